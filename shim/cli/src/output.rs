//! Output formats: plain text tables, and JSON or XML (compact, or pretty with
//! --pretty-format) shaped as Ceph's formatters shape them.

use crate::{CliError, CliResult};
use rbdshim_core::formatter::Format;
use serde_json::Value;
use std::io::Write;

/// rbd's --format (plain, json, xml) and --pretty-format, over the core's formatter.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    format: Format,
}

impl Output {
    pub fn parse(format: Option<&str>, pretty: bool) -> CliResult<Output> {
        let format = match (format.unwrap_or("plain"), pretty) {
            ("plain", _) => Format::Plain,
            ("json", false) => Format::Json,
            ("json", true) => Format::JsonPretty,
            ("xml", false) => Format::Xml,
            ("xml", true) => Format::XmlPretty,
            (other, _) => {
                return Err(CliError::usage(format!("rbd: --format chosen: {other} is not one of plain, json, or xml")))
            }
        };
        Ok(Output { format })
    }

    pub fn is_plain(&self) -> bool {
        self.format.is_plain()
    }

    /// Prints `v` as JSON or XML; `root` names the XML document element and `item` each
    /// element of an array (Ceph's formatters name sections explicitly).
    pub fn emit(&self, v: &Value, root: &str, item: &str) -> CliResult<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(self.format.render(v, root, item).as_bytes())?;
        Ok(())
    }
}

/// A plain-text table with Ceph's TextTable look: upper-case headers, columns separated by
/// two spaces, numbers right-aligned.
pub struct Table {
    headers: Vec<(String, bool)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// `(header, right_aligned)` per column.
    pub fn new(headers: &[(&str, bool)]) -> Table {
        Table { headers: headers.iter().map(|(h, r)| (h.to_string(), *r)).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let n = self.headers.len();
        let mut width: Vec<usize> = self.headers.iter().map(|(h, _)| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String]| {
            let mut l = String::new();
            for i in 0..n {
                let c = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = width[i] - c.chars().count();
                if i > 0 {
                    l.push_str("  ");
                }
                if self.headers[i].1 {
                    l.push_str(&" ".repeat(pad));
                    l.push_str(c);
                } else {
                    l.push_str(c);
                    if i + 1 < n {
                        l.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        // Headings are left-aligned whatever their column's alignment, as in Ceph's tables.
        let mut head = String::new();
        for (i, (h, _)) in self.headers.iter().enumerate() {
            if i > 0 {
                head.push_str("  ");
            }
            head.push_str(h);
            if i + 1 < n {
                head.push_str(&" ".repeat(width[i] - h.chars().count()));
            }
        }
        out.push_str(head.trim_end());
        out.push('\n');
        for r in &self.rows {
            line(&mut out, r);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let mut t = Table::new(&[("NAME", false), ("SIZE", true)]);
        t.row(vec!["a".into(), "1 GiB".into()]);
        t.row(vec!["long".into(), "10 MiB".into()]);
        assert_eq!(t.render(), "NAME  SIZE\na      1 GiB\nlong  10 MiB\n");
    }
}
