//! Output formats: plain text tables, and JSON or XML (compact, or pretty with
//! --pretty-format) shaped as Ceph's formatters shape them.

use crate::{CliError, CliResult};
use serde_json::Value;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Plain,
    Json,
    Xml,
}

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub format: Format,
    pub pretty: bool,
}

impl Output {
    pub fn parse(format: Option<&str>, pretty: bool) -> CliResult<Output> {
        let format = match format.unwrap_or("plain") {
            "plain" => Format::Plain,
            "json" => Format::Json,
            "xml" => Format::Xml,
            other => {
                return Err(CliError::usage(format!("rbd: --format chosen: {other} is not one of plain, json, or xml")))
            }
        };
        Ok(Output { format, pretty })
    }

    pub fn is_plain(&self) -> bool {
        self.format == Format::Plain
    }

    /// Prints `v` as JSON or XML; `root` names the XML document element and `item` each
    /// element of an array (Ceph's formatters name sections explicitly).
    pub fn emit(&self, v: &Value, root: &str, item: &str) -> CliResult<()> {
        let mut s = String::new();
        match self.format {
            Format::Json | Format::Plain => json(&mut s, v, self.pretty, 0),
            Format::Xml => xml(&mut s, root, v, item, self.pretty, 0),
        }
        s.push('\n');
        let mut out = std::io::stdout().lock();
        out.write_all(s.as_bytes())?;
        Ok(())
    }
}

fn indent(s: &mut String, pretty: bool, level: usize) {
    if pretty {
        s.push('\n');
        s.push_str(&"    ".repeat(level));
    }
}

/// Ceph's JSON formatter: compact without spaces, or four-space indents when pretty.
pub fn json(s: &mut String, v: &Value, pretty: bool, level: usize) {
    match v {
        Value::Array(a) => {
            s.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                indent(s, pretty, level + 1);
                json(s, x, pretty, level + 1);
            }
            if !a.is_empty() {
                indent(s, pretty, level);
            }
            s.push(']');
        }
        Value::Object(o) => {
            s.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                indent(s, pretty, level + 1);
                s.push_str(&Value::String(k.clone()).to_string());
                s.push(':');
                if pretty {
                    s.push(' ');
                }
                json(s, x, pretty, level + 1);
            }
            if !o.is_empty() {
                indent(s, pretty, level);
            }
            s.push('}');
        }
        other => s.push_str(&other.to_string()),
    }
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn xml(s: &mut String, name: &str, v: &Value, item: &str, pretty: bool, level: usize) {
    if level > 0 {
        indent(s, pretty, level);
    }
    s.push_str(&format!("<{name}>"));
    match v {
        Value::Array(a) => {
            for x in a {
                xml(s, item, x, item, pretty, level + 1);
            }
            if !a.is_empty() {
                indent(s, pretty, level);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                xml(s, k, x, k, pretty, level + 1);
            }
            if !o.is_empty() {
                indent(s, pretty, level);
            }
        }
        Value::String(t) => s.push_str(&escape(t)),
        Value::Null => {}
        other => s.push_str(&other.to_string()),
    }
    s.push_str(&format!("</{name}>"));
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
    use serde_json::json;

    #[test]
    fn json_compact_and_pretty() {
        let v = json!({"a": [1, "x"], "b": {}});
        let mut s = String::new();
        json(&mut s, &v, false, 0);
        assert_eq!(s, r#"{"a":[1,"x"],"b":{}}"#);
        let mut s = String::new();
        json(&mut s, &v, true, 0);
        assert_eq!(s, "{\n    \"a\": [\n        1,\n        \"x\"\n    ],\n    \"b\": {}\n}");
    }

    #[test]
    fn xml_names_sections() {
        let mut s = String::new();
        xml(&mut s, "images", &json!(["a", "b<"]), "name", false, 0);
        assert_eq!(s, "<images><name>a</name><name>b&lt;</name></images>");
    }

    #[test]
    fn tables_align() {
        let mut t = Table::new(&[("NAME", false), ("SIZE", true)]);
        t.row(vec!["a".into(), "1 GiB".into()]);
        t.row(vec!["long".into(), "10 MiB".into()]);
        assert_eq!(t.render(), "NAME  SIZE\na      1 GiB\nlong  10 MiB\n");
    }
}
