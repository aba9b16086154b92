//! Authentication at connect, as a Ceph client and monitor settle it between them.
//!
//! The client offers the methods of `auth_supported` (if set) or `auth_client_required`
//! (default "cephx, none"); the store requires those of its `auth_service_required` setting
//! (default "cephx"; `ceph config set mon auth_service_required none` turns it off). For cephx
//! the client needs its entity's key: the `key` option, else the `keyfile`, else the first
//! keyring file of the `keyring` list that exists. A client without a key drops cephx, as
//! Ceph's does ("no keyring found, disabling cephx").
//!
//! Outcomes, as librados reports them: no method in common (no key, or `none` against a store
//! that requires cephx) -ENOENT; an entity the store does not know, or a wrong key, -EACCES;
//! a key that does not parse -EINVAL, a keyring that does not -EIO. `none` grants everything,
//! as in Ceph.
//!
//! One liberty: `client.admin` with nothing configured (no key, no keyfile, no keyring file)
//! authenticates by holding the store itself, whose files hold every key and are readable by
//! their owner only. That is the admin keyring Ceph's bootstrap installs on an admin host,
//! without the copy. It also means that every process of the store's owner can be admin: caps
//! confine clients that run as other users, or honest ones, not the store's owner.

use super::caps::Grants;
use super::{get, parse_keyring, EntityName, Key};
use crate::config::Config;
use crate::{Error, Result};
use rbdshim_backend::{Backend, PutMode};
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;

/// Cluster record holding the store's required methods.
const SERVICE_REQUIRED: &str = "config/auth_service_required";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Cephx,
    None,
}

/// Parses a method list ("cephx, none"); unknown names are ignored, as Ceph ignores them.
fn methods(list: &str) -> Vec<Method> {
    list.split([',', ';', ' ', '\t'])
        .filter_map(|m| match m.trim() {
            "cephx" => Some(Method::Cephx),
            "none" => Some(Method::None),
            _ => None,
        })
        .collect()
}

/// The store's `auth_service_required` ("cephx" until set).
pub fn service_required(b: &dyn Backend) -> Result<String> {
    Ok(match b.cluster_record_get(SERVICE_REQUIRED)? {
        Some(v) => String::from_utf8_lossy(&v).into_owned(),
        None => "cephx".to_string(),
    })
}

/// Sets the store's `auth_service_required`; only lists of known methods are taken.
pub fn set_service_required(b: &dyn Backend, value: &str) -> Result<()> {
    let m = methods(value);
    if m.is_empty() || m.len() != value.split([',', ';', ' ', '\t']).filter(|s| !s.trim().is_empty()).count() {
        return Err(Error::msg(libc::EINVAL, format!("invalid auth method list '{value}'")));
    }
    b.cluster_record_put(SERVICE_REQUIRED, value.trim().as_bytes(), PutMode::Upsert)?;
    Ok(())
}

fn connect_error(errno: i32) -> Error {
    Error::msg(errno, "error connecting to the cluster")
}

/// Keyring paths found to be readable by others, warned about once per process.
static WARNED: parking_lot::Mutex<Option<HashSet<String>>> = parking_lot::Mutex::new(None);

fn warn_if_exposed(path: &str, file: &std::fs::File) {
    let Ok(meta) = file.metadata() else { return };
    if meta.permissions().mode() & 0o077 == 0 {
        return;
    }
    let mut w = WARNED.lock();
    if w.get_or_insert_with(HashSet::new).insert(path.to_string()) {
        eprintln!("auth: keyring {path} is readable by other users: chmod 600 it");
    }
}

/// What the client configuration gives for the key of an entity.
enum Configured {
    Key(Key),
    /// A keyring was found, without the entity in it.
    NotInKeyring,
    /// No `key`, no `keyfile`, no keyring file.
    Nothing,
}

/// The key of `name` the client configuration gives, if any.
fn configured_key(conf: &Config, name: &EntityName) -> Result<Configured> {
    let bad_key = |what: &str| Error::msg(libc::EINVAL, format!("failed to decode {what}"));
    if let Some(k) = conf.get("key").filter(|k| !k.trim().is_empty()) {
        return Key::from_base64(k.trim()).map(Configured::Key).map_err(|_| bad_key("key"));
    }
    if let Some(path) = conf.get("keyfile").filter(|k| !k.trim().is_empty()) {
        let text = std::fs::read_to_string(path.trim()).map_err(|e| {
            Error::msg(e.raw_os_error().unwrap_or(libc::EIO), format!("cannot read keyfile {path}: {e}"))
        })?;
        return Key::from_base64(text.trim()).map(Configured::Key).map_err(|_| bad_key(&format!("keyfile {path}")));
    }
    let list = conf.get_or_default("keyring").unwrap_or_default();
    for path in list.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        // As Ceph: the first file that can be opened is the keyring.
        let Ok(mut file) = std::fs::File::open(path) else { continue };
        warn_if_exposed(path, &file);
        let mut text = String::new();
        // As Ceph's KeyRing::load: a file that does not parse is -EIO.
        std::io::Read::read_to_string(&mut file, &mut text)
            .map_err(|_| Error::msg(libc::EIO, format!("failed to load {path}: not a text keyring")))?;
        let entries = parse_keyring(&text).map_err(|e| Error::msg(libc::EIO, format!("failed to load {path}: {e}")))?;
        return Ok(match entries.into_iter().find(|(n, _)| n == name) {
            Some((_, a)) => Configured::Key(a.key),
            None => Configured::NotInKeyring,
        });
    }
    Ok(Configured::Nothing)
}

/// Authenticates the client `conf` describes against the store; returns what it may do
/// (None: everything).
pub fn authenticate(conf: &Config, b: &dyn Backend) -> Result<Option<Grants>> {
    let name = EntityName::parse(&conf.name()).map_err(|_| connect_error(libc::EINVAL))?;
    let offered = match conf.get("auth_supported").filter(|v| !v.trim().is_empty()) {
        Some(v) => v,
        None => conf.get_or_default("auth_client_required").unwrap_or_default(),
    };
    let mut client = methods(&offered);
    let mut key = None;
    let mut implicit = false;
    if client.contains(&Method::Cephx) {
        match configured_key(conf, &name)? {
            Configured::Key(k) => key = Some(k),
            // Only with nothing configured at all: a keyring without the admin is not one.
            Configured::Nothing if name.kind() == "client" && name.id() == "admin" => implicit = true,
            Configured::Nothing | Configured::NotInKeyring => client.retain(|m| *m != Method::Cephx),
        }
    }
    let service = methods(&service_required(b)?);
    let Some(method) = client.iter().find(|m| service.contains(m)) else {
        return Err(connect_error(libc::ENOENT));
    };
    if *method == Method::None {
        return Ok(None);
    }
    let entity = get(b, &name)?.ok_or_else(|| connect_error(libc::EACCES))?;
    if !implicit && key.as_ref().map(Key::secret) != Some(entity.key.secret()) {
        return Err(connect_error(libc::EACCES));
    }
    Ok(Some(Grants::from_caps(&entity.caps)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_lists() {
        assert_eq!(methods("cephx, none"), vec![Method::Cephx, Method::None]);
        assert_eq!(methods("none"), vec![Method::None]);
        assert_eq!(methods("cephx;bogus"), vec![Method::Cephx]);
        assert!(methods("").is_empty());
    }
}
