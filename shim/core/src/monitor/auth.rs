//! `auth ...`: the entities of the auth database, their keys and capabilities, keyrings in and
//! out, with Ceph's messages.

use super::{Answer, Cmd};
use crate::auth::{self, caps_from_pairs, parse_keyring, write_keyring, EntityAuth, EntityName};
use crate::{Error, Result};
use serde_json::{json, Value};

fn entity(c: &Cmd) -> Result<EntityName> {
    EntityName::parse(c.req("entity")?)
}

/// A keyring of the given entities: JSON `[{"entity", "key", "caps"}]`, or Ceph's text.
fn keyring_out(c: &Cmd, entries: &[(&EntityName, &EntityAuth)]) -> Vec<u8> {
    let v = Value::Array(entries.iter().map(|(n, a)| a.to_json(n)).collect());
    c.out(&v, "auth", "auth_entities", || write_keyring(entries.iter().copied()))
}

/// A bare key: JSON `{"key": ...}`, or the key alone (no newline, as Ceph prints it).
fn key_out(c: &Cmd, a: &EntityAuth) -> Vec<u8> {
    c.out(&json!({"key": a.key.to_base64()}), "auth", "item", || a.key.to_base64())
}

pub(super) fn ls(c: &Cmd) -> Result<Answer> {
    let db = auth::list(&*c.cluster.backend()?)?;
    let v = json!({"auth_dump": db.iter().map(|(n, a)| a.to_json(n)).collect::<Vec<_>>()});
    let out = c.out(&v, "auth", "auth_entities", || {
        let mut s = String::new();
        for (n, a) in &db {
            s += &format!("{n}\n\tkey: {}\n", a.key);
            for (svc, cap) in &a.caps {
                s += &format!("\tcaps: [{svc}] {cap}\n");
            }
        }
        s
    });
    let outs = if db.is_empty() { "no installed auth entries!\n" } else { "installed auth entries:\n" };
    Ok((out, outs.into()))
}

pub(super) fn get(c: &Cmd) -> Result<Answer> {
    let name = entity(c)?;
    let a = auth::get(&*c.cluster.backend()?, &name)?
        .ok_or_else(|| Error::msg(libc::ENOENT, format!("failed to find {name} in keyring")))?;
    Ok((keyring_out(c, &[(&name, &a)]), format!("exported keyring for {name}")))
}

pub(super) fn get_key(c: &Cmd) -> Result<Answer> {
    let name = entity(c)?;
    let a = auth::get(&*c.cluster.backend()?, &name)?
        .ok_or_else(|| Error::msg(libc::ENOENT, format!("don't have {name}")))?;
    Ok((key_out(c, &a), String::new()))
}

pub(super) fn export(c: &Cmd) -> Result<Answer> {
    let db = auth::list(&*c.cluster.backend()?)?;
    match c.str("entity") {
        Some(e) => {
            let name = EntityName::parse(e)?;
            let a = db.get(&name).ok_or_else(|| Error::msg(libc::ENOENT, format!("no key for {name}")))?;
            Ok((keyring_out(c, &[(&name, a)]), format!("export auth(key={})", a.key)))
        }
        None => {
            let all: Vec<_> = db.iter().collect();
            Ok((keyring_out(c, &all), "exported master keyring".into()))
        }
    }
}

pub(super) fn get_or_create(c: &Cmd, key_only: bool) -> Result<Answer> {
    let name = entity(c)?;
    let caps = caps_from_pairs(&c.strs("caps"))?;
    let a = auth::update(&*c.cluster.backend()?, |db| {
        if let Some(have) = db.get(&name) {
            for (svc, cap) in &caps {
                if have.caps.get(svc) != Some(cap) {
                    return Err(Error::msg(
                        libc::EINVAL,
                        format!("key for {name} exists but cap {svc} does not match"),
                    ));
                }
            }
            return Ok(have.clone());
        }
        let a = EntityAuth::new(caps.clone());
        db.insert(name.clone(), a.clone());
        Ok(a)
    })?;
    let out = if key_only { key_out(c, &a) } else { keyring_out(c, &[(&name, &a)]) };
    Ok((out, String::new()))
}

/// The entity's entry in the keyring given with `-i`.
fn from_inbuf(c: &Cmd, name: &EntityName) -> Result<Option<EntityAuth>> {
    if c.inbuf.is_empty() {
        return Ok(None);
    }
    let text =
        std::str::from_utf8(c.inbuf).map_err(|_| Error::msg(libc::EINVAL, "error decoding keyring: not text"))?;
    let entries = parse_keyring(text).map_err(|e| Error::msg(libc::EINVAL, format!("error decoding keyring: {e}")))?;
    match entries.into_iter().find(|(n, _)| n == name) {
        Some((_, a)) => Ok(Some(a)),
        None => Err(Error::msg(libc::EINVAL, format!("key for {name} not found in provided keyring"))),
    }
}

pub(super) fn add(c: &Cmd) -> Result<Answer> {
    let name = entity(c)?;
    let mut caps = caps_from_pairs(&c.strs("caps"))?;
    let given = from_inbuf(c, &name)?;
    if let Some(g) = &given {
        if caps.is_empty() {
            caps = g.caps.clone();
        }
    }
    let msg = auth::update(&*c.cluster.backend()?, |db| {
        if let Some(have) = db.get(&name) {
            return match &given {
                Some(g) if g.key == have.key && caps == have.caps => Ok(String::new()),
                Some(g) if g.key == have.key => {
                    Err(Error::msg(libc::EINVAL, format!("entity {name} exists but caps do not match")))
                }
                _ => Err(Error::msg(libc::EEXIST, format!("entity {name} exists but key does not match"))),
            };
        }
        let mut a = EntityAuth::new(caps.clone());
        if let Some(g) = &given {
            a.key = g.key.clone();
        }
        db.insert(name.clone(), a);
        Ok(format!("added key for {name}"))
    })?;
    Ok((Vec::new(), msg))
}

pub(super) fn caps(c: &Cmd) -> Result<Answer> {
    let name = entity(c)?;
    let caps = caps_from_pairs(&c.strs("caps"))?;
    auth::update(&*c.cluster.backend()?, |db| {
        let a = db.get_mut(&name).ok_or_else(|| Error::msg(libc::ENOENT, format!("couldn't find entry {name}")))?;
        a.caps = caps;
        Ok(())
    })?;
    Ok((Vec::new(), format!("updated caps for {name}")))
}

pub(super) fn rm(c: &Cmd) -> Result<Answer> {
    let name = entity(c)?;
    let removed = auth::update(&*c.cluster.backend()?, |db| Ok(db.remove(&name).is_some()))?;
    Ok((Vec::new(), if removed { "updated".into() } else { format!("entity {name} does not exist") }))
}

pub(super) fn import(c: &Cmd) -> Result<Answer> {
    if c.inbuf.is_empty() {
        return Err(Error::msg(libc::EINVAL, "auth import: no data supplied"));
    }
    let text =
        std::str::from_utf8(c.inbuf).map_err(|_| Error::msg(libc::EINVAL, "error decoding keyring: not text"))?;
    let entries = parse_keyring(text).map_err(|e| Error::msg(libc::EINVAL, format!("error decoding keyring: {e}")))?;
    auth::update(&*c.cluster.backend()?, |db| {
        db.extend(entries);
        Ok(())
    })?;
    Ok((Vec::new(), "imported keyring".into()))
}

/// `config set WHO NAME VALUE`: the store keeps the settings its clients are checked against;
/// of those, `auth_service_required` (and `auth_cluster_required`, the same here).
pub(super) fn config_set(c: &Cmd) -> Result<Answer> {
    let name = crate::config::normalize_key(c.req("name")?);
    let value = c.req("value")?;
    let who = c.req("who")?;
    match name.as_str() {
        // The store's side of authentication: the monitors' (or everyone's) setting only.
        "auth_service_required" | "auth_cluster_required" if !matches!(who, "mon" | "global") => Err(Error::msg(
            libc::EINVAL,
            format!("{name} is the store's own setting: set it for 'mon' or 'global', not '{who}'"),
        )),
        "auth_service_required" | "auth_cluster_required" => {
            auth::login::set_service_required(&*c.cluster.backend()?, value)?;
            Ok((Vec::new(), String::new()))
        }
        _ => Err(Error::msg(libc::EINVAL, format!("unrecognized config option '{name}'"))),
    }
}

/// `config get WHO NAME`.
pub(super) fn config_get(c: &Cmd) -> Result<Answer> {
    let name = crate::config::normalize_key(c.req("key")?);
    match name.as_str() {
        "auth_service_required" | "auth_cluster_required" => {
            let v = auth::login::service_required(&*c.cluster.backend()?)?;
            Ok((format!("{v}\n").into_bytes(), String::new()))
        }
        _ => Err(Error::msg(libc::ENOENT, format!("unrecognized key '{name}'"))),
    }
}
