//! Keyring files in the text form Ceph reads and writes (each field line starts with a tab):
//!
//! ```text
//! [client.admin]
//!     key = AQBL...==
//!     caps mon = "allow *"
//! ```
//!
//! Read as tolerantly as Ceph reads them: any spacing, `caps_mon` for `caps mon`, quoted or bare
//! values, `#` and `;` comments. Anything else is an error naming the line, never a panic.

use super::{validate_caps, EntityAuth, EntityName, Key};
use crate::{Error, Result};
use std::collections::BTreeMap;

fn bad(line: usize, why: impl std::fmt::Display) -> Error {
    Error::msg(libc::EINVAL, format!("line {line}: {why}"))
}

/// Removes a comment (`#` or `;` outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '#' | ';' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// A value as written: bare (trimmed) or in double quotes with `\"` and `\\` escapes.
fn unquote(v: &str, line: usize) -> Result<String> {
    let v = v.trim();
    let Some(inner) = v.strip_prefix('"') else { return Ok(v.to_string()) };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().ok_or_else(|| bad(line, "unterminated quoted value"))?),
            '"' => {
                if !chars.as_str().trim().is_empty() {
                    return Err(bad(line, "text after a quoted value"));
                }
                return Ok(out);
            }
            c => out.push(c),
        }
    }
    Err(bad(line, "unterminated quoted value"))
}

/// One `[entity]` section while it is read: name, key, caps, and the line it started on.
type Section = (EntityName, Option<Key>, BTreeMap<String, String>, usize);

/// Parses keyring text into its entities, in file order (a repeated section adds to the first).
pub fn parse_keyring(text: &str) -> Result<Vec<(EntityName, EntityAuth)>> {
    let mut out: Vec<Section> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let t = strip_comment(raw).trim();
        if t.is_empty() {
            continue;
        }
        if let Some(rest) = t.strip_prefix('[') {
            let name = rest.strip_suffix(']').ok_or_else(|| bad(line, "unterminated section header"))?.trim();
            let entity = EntityName::parse(name).map_err(|_| bad(line, format!("bad entity name [{name}]")))?;
            if !out.iter().any(|(e, ..)| *e == entity) {
                out.push((entity, None, BTreeMap::new(), line));
            }
            continue;
        }
        let (k, v) = t.split_once('=').ok_or_else(|| bad(line, format!("expected 'key = value', found '{t}'")))?;
        let section = out.last_mut().ok_or_else(|| bad(line, "setting outside any [entity] section"))?;
        // Spaces and underscores in a field name are one separator, as in ceph.conf.
        let words: Vec<&str> = k.split([' ', '\t', '_']).filter(|w| !w.is_empty()).collect();
        let value = unquote(v, line)?;
        match words.as_slice() {
            ["key"] => {
                let key = Key::from_base64(&value).map_err(|e| bad(line, format!("{e} for [{}]", section.0)))?;
                section.1 = Some(key);
            }
            ["caps", service] => {
                validate_caps(service, &value).map_err(|e| bad(line, e))?;
                section.2.insert(service.to_string(), value);
            }
            // Ceph still reads and ignores the retired auid field.
            ["auid"] => {}
            _ => return Err(bad(line, format!("unknown field '{}' in [{}]", k.trim(), section.0))),
        }
    }
    out.into_iter()
        .map(|(entity, key, caps, line)| match key {
            Some(key) => Ok((entity, EntityAuth { key, caps })),
            None => Err(bad(line, format!("[{entity}] has no key"))),
        })
        .collect()
}

/// Writes entities as Ceph does: a tab before each field, caps quoted, services sorted.
pub fn write_keyring<'a>(entries: impl IntoIterator<Item = (&'a EntityName, &'a EntityAuth)>) -> String {
    let mut s = String::new();
    for (name, auth) in entries {
        s.push_str(&format!("[{name}]\n\tkey = {}\n", auth.key));
        for (svc, cap) in &auth.caps {
            s.push_str(&format!("\tcaps {svc} = \"{}\"\n", cap.replace('\\', "\\\\").replace('"', "\\\"")));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHTOOL: &str = "[client.x]\n\tkey = AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==\n\tcaps mon = \"allow r\"\n\tcaps osd = \"allow rwx pool=rbd\"\n";

    #[test]
    fn reads_and_writes_what_ceph_authtool_writes() {
        let entries = parse_keyring(AUTHTOOL).unwrap();
        assert_eq!(entries.len(), 1);
        let (name, auth) = &entries[0];
        assert_eq!(name.to_string(), "client.x");
        assert_eq!(auth.key.to_base64(), "AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==");
        assert_eq!(auth.caps["mon"], "allow r");
        assert_eq!(auth.caps["osd"], "allow rwx pool=rbd");
        assert_eq!(write_keyring(entries.iter().map(|(n, a)| (n, a))), AUTHTOOL);
    }

    #[test]
    fn round_trip_of_many_entities() {
        let mut db = crate::auth::Db::new();
        for (n, caps) in
            [("client.admin", vec![("mon", "allow *"), ("osd", "allow *")]), ("osd.0", vec![]), ("mon.", vec![])]
        {
            let caps = caps.into_iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
            db.insert(EntityName::parse(n).unwrap(), EntityAuth::new(caps));
        }
        db.values_mut().next().unwrap().caps.insert("mgr".into(), "allow command \"config get\"".into());
        let text = write_keyring(&db);
        let back: crate::auth::Db = parse_keyring(&text).unwrap().into_iter().collect();
        assert_eq!(back, db);
    }

    #[test]
    fn tolerant_of_spacing_and_spellings() {
        let text = "# a comment\n; another\n  [ client.y ]  \nkey=AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==\ncaps_mon=allow *\n  caps   osd   =  \"allow r\"  # trailing\nauid = 18446744073709551615\n\n[client.y]\ncaps mgr = 'x'\n";
        let e = parse_keyring(text);
        // 'x' is not a capability.
        assert!(e.is_err());
        let text = text.replace("'x'", "\"allow r; allow command foo\"");
        let entries = parse_keyring(&text).unwrap();
        assert_eq!(entries.len(), 1);
        let caps = &entries[0].1.caps;
        assert_eq!(caps["mon"], "allow *");
        assert_eq!(caps["osd"], "allow r");
        assert_eq!(caps["mgr"], "allow r; allow command foo");
    }

    #[test]
    fn malformed_keyrings_say_where() {
        let cases = [
            ("key = AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==\n", "line 1: setting outside any [entity] section"),
            ("[client.x\nkey = a\n", "line 1: unterminated section header"),
            ("[foo.x]\n", "line 1: bad entity name [foo.x]"),
            ("[client.x]\nkey = garbage\n", "line 2: bad key: not base64 for [client.x]"),
            ("[client.x]\nnonsense\n", "line 2: expected 'key = value', found 'nonsense'"),
            ("[client.x]\nbogus = 1\n", "line 2: unknown field 'bogus' in [client.x]"),
            ("[client.x]\ncaps mon = \"allow r\n", "line 2: unterminated quoted value"),
            ("[client.x]\ncaps mon = \"allow r\" x\n", "line 2: text after a quoted value"),
            ("[client.x]\ncaps foo = \"allow r\"\n", "line 2: unknown cap type 'foo'"),
            ("[client.x]\ncaps mon = \"allow r\"\n", "line 1: [client.x] has no key"),
        ];
        for (text, msg) in cases {
            let e = parse_keyring(text).unwrap_err();
            assert_eq!(e.errno(), libc::EINVAL);
            assert_eq!(e.to_string(), msg, "{text:?}");
        }
        assert!(parse_keyring("").unwrap().is_empty());
        // Binary junk never panics.
        let junk: String = (0..2000u32).map(|i| char::from_u32((i * 7919) % 0x2FF).unwrap_or('?')).collect();
        let _ = parse_keyring(&junk);
    }
}
