//! Structured output as Ceph's formatters write it: JSON compact (no spaces) or pretty (four
//! spaces, `"key": value`), and XML where every value is an element named after its key (array
//! items after the section's item name). Shared by the monitor commands and the CLI tools.

use crate::{Error, Result};
use serde_json::Value;

/// The output formats Ceph's `--format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Plain,
    Json,
    JsonPretty,
    Xml,
    XmlPretty,
}

impl Format {
    /// "json", "json-pretty", "xml", "xml-pretty", "plain"; none or empty is plain.
    pub fn parse(s: Option<&str>) -> Result<Format> {
        Ok(match s.unwrap_or("") {
            "" | "plain" => Format::Plain,
            "json" => Format::Json,
            "json-pretty" => Format::JsonPretty,
            "xml" => Format::Xml,
            "xml-pretty" => Format::XmlPretty,
            _ => return Err(Error::InvalidArgument("unknown output format")),
        })
    }

    pub fn is_plain(self) -> bool {
        self == Format::Plain
    }

    pub fn is_json(self) -> bool {
        matches!(self, Format::Json | Format::JsonPretty)
    }

    /// Renders `v` (plain is rendered as compact JSON; callers print their own text for it).
    /// `root` names the XML document element, `item` the elements of its arrays.
    pub fn render(self, v: &Value, root: &str, item: &str) -> String {
        let mut s = String::new();
        match self {
            Format::Plain | Format::Json => json(&mut s, v, false, 0),
            Format::JsonPretty => json(&mut s, v, true, 0),
            Format::Xml => xml(&mut s, root, v, item, false, 0),
            Format::XmlPretty => xml(&mut s, root, v, item, true, 0),
        }
        s.push('\n');
        s
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

/// An XML element name for a key: characters XML does not allow in names become '_'.
fn element(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
        out.insert(0, '_');
    }
    out
}

/// Ceph's XML formatter: each value an element named after its key, array items after `item`.
pub fn xml(s: &mut String, name: &str, v: &Value, item: &str, pretty: bool, level: usize) {
    let name = element(name);
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_compact_and_pretty() {
        let v = json!({"a": [1, "x"], "b": {}});
        assert_eq!(Format::Json.render(&v, "r", "i"), "{\"a\":[1,\"x\"],\"b\":{}}\n");
        assert_eq!(
            Format::JsonPretty.render(&v, "r", "i"),
            "{\n    \"a\": [\n        1,\n        \"x\"\n    ],\n    \"b\": {}\n}\n"
        );
    }

    #[test]
    fn xml_names_sections_and_escapes() {
        let v = json!({"pools": ["a", "b<"], "up:standby": 0});
        assert_eq!(
            Format::Xml.render(&v, "status", "pool"),
            "<status><pools><pools>a</pools><pools>b&lt;</pools></pools><up_standby>0</up_standby></status>\n"
        );
        assert_eq!(Format::Xml.render(&json!(["a"]), "pools", "pool"), "<pools><pool>a</pool></pools>\n");
        assert!(Format::XmlPretty.render(&v, "status", "pool").contains("\n    <pools>"));
    }

    #[test]
    fn formats_parse() {
        assert_eq!(Format::parse(None).unwrap(), Format::Plain);
        assert_eq!(Format::parse(Some("json-pretty")).unwrap(), Format::JsonPretty);
        assert!(Format::parse(Some("yaml")).is_err());
    }
}
