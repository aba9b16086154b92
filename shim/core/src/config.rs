//! Client configuration, as librados reads it: ceph.conf files, CEPH_ARGS, argv and explicit
//! sets, with Ceph's key normalisation (spaces, underscores and dashes in option names are the
//! same only where Ceph says so: spaces and underscores) and `$cluster`/`$id`/`$name` expansion.
//!
//! As in Ceph, only known options ([`crate::options`]) can be set; a configuration file may
//! hold others, which are kept but not visible through `rados_conf_get`.
//! The backend is chosen by `RBDSHIM_BACKEND` or the option `rbdshim_backend`.

use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Environment variable that selects the backend (wins over ceph.conf).
pub const BACKEND_ENV: &str = "RBDSHIM_BACKEND";
/// Option that selects the backend.
pub const BACKEND_OPTION: &str = "rbdshim_backend";

#[derive(Debug, Clone)]
pub struct Config {
    pub cluster: String,
    /// Entity type and id: "client" and "admin" for `client.admin`.
    pub entity_type: String,
    pub id: String,
    values: BTreeMap<String, String>,
}

/// Options whose values Ceph validates as booleans.
const BOOL_OPTIONS: &[&str] = &["rbd_cache", "rbd_cache_writethrough_until_flush", "log_to_stderr", "err_to_stderr"];

/// Ceph treats spaces and underscores in option names alike.
pub fn normalize_key(key: &str) -> String {
    key.trim().replace(' ', "_")
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

impl Config {
    /// `name` is either a full entity name (`client.glance`) or, with `full_name == false`, an id.
    pub fn new(cluster: Option<&str>, name: Option<&str>, full_name: bool) -> Result<Config> {
        let (entity_type, id) = match name {
            // A full name is required to be one (rados_create2 refuses ""); an empty id is admin.
            Some(n) if full_name => entity_name(n)?,
            None | Some("") => ("client".to_string(), "admin".to_string()),
            Some(n) => ("client".to_string(), n.to_string()),
        };
        let mut c = Config {
            cluster: cluster.filter(|c| !c.is_empty()).unwrap_or("ceph").to_string(),
            entity_type,
            id,
            values: BTreeMap::new(),
        };
        c.values.insert("client_mount_timeout".into(), "300".into());
        c.values.insert("rbd_default_order".into(), "22".into());
        c.values.insert("rbd_default_features".into(), "61".into());
        c.values.insert("rbd_default_format".into(), "2".into());
        c.values.insert("rbd_cache".into(), "true".into());
        Ok(c)
    }

    pub fn name(&self) -> String {
        format!("{}.{}", self.entity_type, self.id)
    }

    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let key = normalize_key(key);
        if !crate::options::is_known(&key) {
            return Err(Error::NotFound);
        }
        if BOOL_OPTIONS.contains(&key.as_str()) && parse_bool(value).is_none() {
            return Err(Error::InvalidArgument("not a boolean"));
        }
        self.values.insert(key, value.to_string());
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<String> {
        let key = normalize_key(key);
        match key.as_str() {
            "cluster" => return Some(self.cluster.clone()),
            "name" => return Some(self.name()),
            "id" => return Some(self.id.clone()),
            _ => {}
        }
        self.values.get(&key).map(|v| self.expand(v))
    }

    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|v| v.trim().parse().ok())
    }

    /// Expands `$cluster`, `$id`, `$name`, `$type` as Ceph does in option values.
    pub fn expand(&self, v: &str) -> String {
        v.replace("$cluster", &self.cluster)
            .replace("$name", &self.name())
            .replace("$type", &self.entity_type)
            .replace("$id", &self.id)
    }

    /// The files `rados_conf_read_file(NULL)` tries, in order.
    pub fn default_conf_paths(&self) -> Vec<PathBuf> {
        let mut v = Vec::new();
        if let Ok(p) = std::env::var("CEPH_CONF") {
            if !p.is_empty() {
                v.push(PathBuf::from(p));
            }
        }
        v.push(PathBuf::from(format!("/etc/ceph/{}.conf", self.cluster)));
        if let Ok(home) = std::env::var("HOME") {
            v.push(Path::new(&home).join(".ceph").join("config"));
            v.push(Path::new(&home).join(".ceph").join(format!("{}.conf", self.cluster)));
        }
        v.push(PathBuf::from(format!("{}.conf", self.cluster)));
        v
    }

    /// `path` may be a comma-separated list, as in Ceph; None searches the default places.
    /// The first file that exists is read. Missing everywhere: `NotFound`.
    pub fn read_file(&mut self, path: Option<&str>) -> Result<()> {
        let candidates: Vec<PathBuf> = match path {
            Some(p) => p
                .split([',', ';'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| PathBuf::from(self.expand(s)))
                .collect(),
            None => self.default_conf_paths(),
        };
        for p in candidates {
            match std::fs::read(&p) {
                Ok(raw) => {
                    let text = String::from_utf8(raw).map_err(|_| Error::InvalidArgument("conf file is not UTF-8"))?;
                    return self.apply_ini(&text);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) if e.raw_os_error() == Some(libc::EACCES) => return Err(Error::PermissionDenied),
                Err(_) => return Err(Error::InvalidArgument("unreadable conf file")),
            }
        }
        Err(Error::NotFound)
    }

    /// Applies the sections of an ini text that concern this client: global, then the entity
    /// type, then the full name (later wins), as Ceph does.
    pub fn apply_ini(&mut self, text: &str) -> Result<()> {
        let sections = parse_ini(text)?;
        let order = ["global".to_string(), self.entity_type.clone(), self.name()];
        for want in order.iter() {
            for (section, key, value) in &sections {
                if section == want {
                    let k = normalize_key(key);
                    if BOOL_OPTIONS.contains(&k.as_str()) && parse_bool(value).is_none() {
                        continue;
                    }
                    self.values.insert(k, value.clone());
                }
            }
        }
        Ok(())
    }

    /// A command-line tool's arguments, as Ceph's tools take them: the identity and the
    /// configuration file (`--id X`, `-n T.X`, `--cluster C`, `-c F`, read last), then the
    /// configuration options as [`Config::parse_conf_argv`] does; returns what it did not consume.
    pub fn parse_argv(&mut self, args: &[String]) -> Result<Vec<String>> {
        let mut rest = Vec::new();
        let mut i = 0;
        let mut conf_file = None;
        while i < args.len() {
            let a = &args[i];
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) if a.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (a.clone(), None),
            };
            let takes = |i: &mut usize| -> Result<String> {
                if let Some(v) = inline.clone() {
                    return Ok(v);
                }
                *i += 1;
                args.get(*i).cloned().ok_or(Error::InvalidArgument("option needs a value"))
            };
            match flag.as_str() {
                "-c" | "--conf" => conf_file = Some(takes(&mut i)?),
                "--id" | "--user" | "-i" => self.id = takes(&mut i)?,
                "-n" | "--name" => (self.entity_type, self.id) = entity_name(&takes(&mut i)?)?,
                "--cluster" => self.cluster = takes(&mut i)?,
                "--" => {
                    rest.extend_from_slice(&args[i..]);
                    break;
                }
                _ => rest.push(a.clone()),
            }
            i += 1;
        }
        let rest = self.parse_conf_argv(&rest)?;
        if let Some(f) = conf_file {
            self.read_file(Some(&f))?;
        }
        Ok(rest)
    }

    /// Reads CEPH_ARGS (or the named variable) as [`Config::parse_conf_argv`] does. As in
    /// Ceph, it never fails: parsing stops at a bad option, and what came before it stays set.
    pub fn parse_env(&mut self, var: Option<&str>) -> Result<()> {
        let Ok(v) = std::env::var(var.unwrap_or("CEPH_ARGS")) else { return Ok(()) };
        let args: Vec<String> = v.split_whitespace().map(str::to_string).collect();
        if let Err(e) = self.parse_conf_argv(&args) {
            tracing::warn!("ignoring the rest of the environment's options: {e}");
        }
        Ok(())
    }

    /// The backend spec: `RBDSHIM_BACKEND`, else the option, else the default file store.
    pub fn backend_spec(&self) -> String {
        if let Ok(v) = std::env::var(BACKEND_ENV) {
            if !v.trim().is_empty() {
                return v.trim().to_string();
            }
        }
        if let Some(v) = self.get(BACKEND_OPTION) {
            if !v.trim().is_empty() {
                return v.trim().to_string();
            }
        }
        format!("file:{}", default_store_dir().display())
    }
}

/// Splits an entity name `TYPE.ID` (the id may be empty, or hold dots), refusing types Ceph
/// does not have.
fn entity_name(n: &str) -> Result<(String, String)> {
    match n.split_once('.') {
        Some((t, id)) if ["auth", "mon", "osd", "mds", "mgr", "client"].contains(&t) => {
            Ok((t.to_string(), id.to_string()))
        }
        _ => Err(Error::InvalidArgument("entity name must be TYPE.ID with a known type")),
    }
}

/// Where the file backend lives when nothing is configured: /var/lib/rbdshim for root,
/// otherwise $XDG_DATA_HOME/rbdshim (~/.local/share/rbdshim).
pub fn default_store_dir() -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/lib/rbdshim");
    }
    if let Ok(x) = std::env::var("XDG_DATA_HOME") {
        if !x.is_empty() {
            return Path::new(&x).join("rbdshim");
        }
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
    Path::new(&home).join(".local/share/rbdshim")
}

/// (section, key, value) triples of an ini text in Ceph's dialect: `;` and `#` comments,
/// `key = value`, quoted values, continuation lines ending in `\`.
pub fn parse_ini(text: &str) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    let mut section = String::from("global");
    let mut pending = String::new();
    for raw in text.lines() {
        let mut line = raw.to_string();
        if !pending.is_empty() {
            line = format!("{pending}{}", line.trim_start());
            pending.clear();
        }
        if let Some(stripped) = line.strip_suffix('\\') {
            pending = stripped.to_string();
            continue;
        }
        let line = strip_comment(&line);
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with('[') {
            let end = t.find(']').ok_or(Error::InvalidArgument("unterminated section header"))?;
            section = t[1..end].trim().to_string();
            if section.is_empty() {
                return Err(Error::InvalidArgument("empty section name"));
            }
            continue;
        }
        let (k, v) = t.split_once('=').ok_or(Error::InvalidArgument("conf line without '='"))?;
        let k = k.trim();
        if k.is_empty() {
            return Err(Error::InvalidArgument("conf line without a key"));
        }
        let mut v = v.trim().to_string();
        if v.len() >= 2 && (v.starts_with('"') && v.ends_with('"') || v.starts_with('\'') && v.ends_with('\'')) {
            v = v[1..v.len() - 1].to_string();
        }
        out.push((section.clone(), k.to_string(), v));
    }
    Ok(out)
}

fn strip_comment(line: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (None, ';') | (None, '#') => break,
            (None, '"') | (None, '\'') => {
                quote = Some(c);
                out.push(c)
            }
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c)
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_apply_in_ceph_order() {
        let mut c = Config::new(None, Some("glance"), false).unwrap();
        c.apply_ini("[global]\nmon host = a ; comment\nfoo=1\n[client]\nfoo = 2\n[client.glance]\nfoo=3\n[client.other]\nfoo=4\n")
            .unwrap();
        assert_eq!(c.get("mon_host").as_deref(), Some("a"));
        assert_eq!(c.get("foo").as_deref(), Some("3"));
    }

    #[test]
    fn keys_with_spaces_are_underscores_dashes_are_not() {
        let mut c = Config::new(None, None, false).unwrap();
        c.set("rbd cache size", "1").unwrap();
        assert_eq!(c.get("rbd_cache_size").as_deref(), Some("1"));
        assert!(matches!(c.set("rbd-cache-size", "1"), Err(Error::NotFound)));
        assert!(matches!(c.set("rbd_cache", "notabool"), Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn entity_names_have_a_known_type() {
        for ok in ["client.x", "client.", "mgr.a.b", "auth.x"] {
            assert!(Config::new(None, Some(ok), true).is_ok(), "{ok}");
        }
        for bad in ["invalid", "bad.invalid", ".x", "", "CLIENT.x"] {
            assert!(matches!(Config::new(None, Some(bad), true), Err(Error::InvalidArgument(_))), "{bad}");
        }
        assert_eq!(Config::new(None, Some(""), false).unwrap().name(), "client.admin");
    }

    #[test]
    fn malformed_ini_is_an_error_not_a_panic() {
        for bad in ["[global\nx=1", "novalue", "[]\n", " = 3"] {
            assert!(parse_ini(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn expansion_and_argv() {
        let mut c = Config::new(Some("prod"), Some("client.nova"), true).unwrap();
        c.set("keyring", "/etc/ceph/$cluster.$name.keyring").unwrap();
        assert_eq!(c.get("keyring").unwrap(), "/etc/ceph/prod.client.nova.keyring");
        let rest = c.parse_argv(&["--id".into(), "cinder".into(), "--rbd-cache=false".into(), "ls".into()]).unwrap();
        assert_eq!(rest, vec!["ls".to_string()]);
        assert_eq!(c.id, "cinder");
        assert_eq!(c.get("rbd_cache").as_deref(), Some("false"));
    }
}
