//! The auth database: entities (`client.NAME`, `mon.`, `osd.N`, ...), each with a secret key in
//! Ceph's format and capabilities per service, kept in the store's cluster records. `ceph auth`
//! manages it; access checks read it.
//!
//! Keys are Ceph's CryptoKey encoding in base64: le16 type (1 = AES), le32 seconds and le32
//! nanoseconds of creation, le16 secret length (16), then the secret; 28 bytes, 40 characters
//! starting "AQ". A new store's database holds `client.admin` with every capability, as after
//! Ceph's bootstrap.

pub mod caps;
pub mod keyring;
pub mod login;

use crate::{Error, Result};
use rbdshim_backend::{Backend, PutMode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;

pub use keyring::{parse_keyring, write_keyring};

/// Entity types in Ceph's order (an entity list sorts by type first, then id).
const TYPES: [&str; 6] = ["mon", "mds", "osd", "client", "mgr", "auth"];
/// Services capabilities are granted for.
pub const SERVICES: [&str; 4] = ["mds", "mgr", "mon", "osd"];
/// Record key prefix of the entities, and the record saying the database was bootstrapped.
const PREFIX: &str = "auth/";
const BOOTSTRAPPED: &str = "auth-bootstrapped";
const LOCK: &str = "auth";
const AES: u16 = 1;
const SECRET_LEN: usize = 16;

/// `type.id`: `client.admin`, `osd.0`, `mon.` (the monitors' shared entity has an empty id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityName {
    kind: &'static str,
    id: String,
}

impl EntityName {
    /// Parses `type.id` with a known type; the id may be empty only for `mon.`.
    pub fn parse(s: &str) -> Result<EntityName> {
        let bad = || Error::msg(libc::EINVAL, format!("invalid entity_auth {s}"));
        let (t, id) = s.split_once('.').ok_or_else(bad)?;
        let kind = TYPES.iter().find(|k| **k == t).ok_or_else(bad)?;
        if id.is_empty() && *kind != "mon" || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        Ok(EntityName { kind, id: id.to_string() })
    }

    pub fn kind(&self) -> &str {
        self.kind
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn rank(&self) -> usize {
        TYPES.iter().position(|k| *k == self.kind).unwrap_or(TYPES.len())
    }
}

impl fmt::Display for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.id)
    }
}

impl Ord for EntityName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.rank(), &self.id).cmp(&(other.rank(), &other.id))
    }
}

impl PartialOrd for EntityName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A secret key (Ceph's CryptoKey): creation time and an AES secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub created_sec: u32,
    pub created_nsec: u32,
    secret: Vec<u8>,
}

impl Key {
    /// A new random key stamped with the current time.
    pub fn generate() -> Key {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let secret: [u8; SECRET_LEN] = rand::random();
        Key { created_sec: now.as_secs() as u32, created_nsec: now.subsec_nanos(), secret: secret.to_vec() }
    }

    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(12 + self.secret.len());
        v.extend_from_slice(&AES.to_le_bytes());
        v.extend_from_slice(&self.created_sec.to_le_bytes());
        v.extend_from_slice(&self.created_nsec.to_le_bytes());
        v.extend_from_slice(&(self.secret.len() as u16).to_le_bytes());
        v.extend_from_slice(&self.secret);
        v
    }

    pub fn from_bytes(b: &[u8]) -> Result<Key> {
        let bad = |why: &str| Error::msg(libc::EINVAL, format!("bad key: {why}"));
        if b.len() < 12 {
            return Err(bad("too short"));
        }
        let le16 = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let le32 = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        if le16(0) != AES {
            return Err(bad("not an AES key"));
        }
        let len = le16(10) as usize;
        if len < SECRET_LEN {
            return Err(bad("secret too short"));
        }
        if b.len() != 12 + len {
            return Err(bad("length does not match"));
        }
        Ok(Key { created_sec: le32(2), created_nsec: le32(6), secret: b[12..].to_vec() })
    }

    pub fn to_base64(&self) -> String {
        base64_encode(&self.to_bytes())
    }

    pub fn from_base64(s: &str) -> Result<Key> {
        let raw = base64_decode(s.trim()).ok_or_else(|| Error::msg(libc::EINVAL, "bad key: not base64"))?;
        Key::from_bytes(&raw)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// What the database holds for one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityAuth {
    pub key: Key,
    /// Service ("mon", "osd", "mgr", "mds") to capability text.
    pub caps: BTreeMap<String, String>,
}

impl EntityAuth {
    pub fn new(caps: BTreeMap<String, String>) -> EntityAuth {
        EntityAuth { key: Key::generate(), caps }
    }

    /// `{"entity": ..., "key": ..., "caps": {...}}` as `ceph auth get -f json` lists it.
    pub fn to_json(&self, name: &EntityName) -> Value {
        json!({"entity": name.to_string(), "key": self.key.to_base64(), "caps": self.caps})
    }

    fn encode(&self) -> Vec<u8> {
        json!({"key": self.key.to_base64(), "caps": self.caps}).to_string().into_bytes()
    }

    fn decode(name: &str, raw: &[u8]) -> Result<EntityAuth> {
        let corrupt = |why: String| Error::Corrupt(format!("auth entry {name}: {why}"));
        let v: Value = serde_json::from_slice(raw).map_err(|e| corrupt(e.to_string()))?;
        let key = v.get("key").and_then(Value::as_str).ok_or_else(|| corrupt("no key".into()))?;
        let key = Key::from_base64(key).map_err(|e| corrupt(e.to_string()))?;
        let mut caps = BTreeMap::new();
        if let Some(c) = v.get("caps").and_then(Value::as_object) {
            for (svc, cap) in c {
                caps.insert(svc.clone(), cap.as_str().ok_or_else(|| corrupt("caps".into()))?.to_string());
            }
        }
        Ok(EntityAuth { key, caps })
    }
}

/// Checks a capability text the way each service's parser would accept it: grants separated
/// by ',' or ';', each `allow ...` or `profile ...`. Errors carry Ceph's message.
pub fn validate_caps(service: &str, caps: &str) -> Result<()> {
    if !SERVICES.contains(&service) {
        return Err(Error::msg(libc::EINVAL, format!("unknown cap type '{service}'")));
    }
    // The caps clients are checked against are parsed in full; mgr and mds caps only in form.
    match service {
        "osd" => return caps::OsdCaps::parse(caps).map(drop),
        "mon" => return caps::MonCaps::parse(caps).map(drop),
        _ => {}
    }
    for grant in caps.split([',', ';']) {
        let words: Vec<&str> = grant.split_whitespace().collect();
        let ok = match words.first() {
            None => caps.trim().is_empty(),
            Some(&"allow") => words.len() >= 2,
            Some(&"profile") => words.len() >= 2,
            Some(_) => false,
        };
        if !ok {
            return Err(Error::msg(
                libc::EINVAL,
                format!("{service} capability parse failed, stopped at '{}' of '{caps}'", grant.trim()),
            ));
        }
    }
    Ok(())
}

/// Turns `["mon", "allow r", "osd", "allow rwx"]` into a caps map, validating each.
pub fn caps_from_pairs(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    if !pairs.len().is_multiple_of(2) {
        return Err(Error::msg(libc::EINVAL, "bad capabilities request; odd number of arguments"));
    }
    let mut caps = BTreeMap::new();
    for p in pairs.chunks(2) {
        validate_caps(&p[0], &p[1])?;
        caps.insert(p[0].clone(), p[1].clone());
    }
    Ok(caps)
}

/// The whole database, sorted as Ceph lists it.
pub type Db = BTreeMap<EntityName, EntityAuth>;

fn admin_caps() -> BTreeMap<String, String> {
    SERVICES.iter().map(|s| (s.to_string(), "allow *".to_string())).collect()
}

fn load(b: &dyn Backend) -> Result<Db> {
    let mut db = Db::new();
    for k in b.cluster_record_list(PREFIX)? {
        let name = &k[PREFIX.len()..];
        let Some(raw) = b.cluster_record_get(&k)? else { continue };
        let entity = EntityName::parse(name).map_err(|_| Error::Corrupt(format!("auth entry {name:?}")))?;
        db.insert(entity, EntityAuth::decode(name, &raw)?);
    }
    Ok(db)
}

/// Creates `client.admin` the first time the database is used (never again: removing it is
/// the operator's business).
fn bootstrap(b: &dyn Backend) -> Result<()> {
    if b.cluster_record_get(BOOTSTRAPPED)?.is_some() {
        return Ok(());
    }
    let admin = EntityName { kind: "client", id: "admin".into() };
    let key = format!("{PREFIX}{admin}");
    if b.cluster_record_get(&key)?.is_none() {
        b.cluster_record_put(&key, &EntityAuth::new(admin_caps()).encode(), PutMode::Create)?;
    }
    b.cluster_record_put(BOOTSTRAPPED, b"1", PutMode::Upsert)?;
    Ok(())
}

/// Reads the database.
pub fn list(b: &dyn Backend) -> Result<Db> {
    if b.cluster_record_get(BOOTSTRAPPED)?.is_none() {
        let _g = b.cluster_record_lock(LOCK)?;
        bootstrap(b)?;
    }
    load(b)
}

/// One entity, if present.
pub fn get(b: &dyn Backend, name: &EntityName) -> Result<Option<EntityAuth>> {
    Ok(list(b)?.remove(name))
}

/// Runs `f` on the database under its lock and stores what `f` changed (each entity is one
/// record: every change is atomic per entity).
pub fn update<R>(b: &dyn Backend, f: impl FnOnce(&mut Db) -> Result<R>) -> Result<R> {
    let _g = b.cluster_record_lock(LOCK)?;
    bootstrap(b)?;
    let before = load(b)?;
    let mut db = before.clone();
    let r = f(&mut db)?;
    for (name, auth) in &db {
        if before.get(name) != Some(auth) {
            b.cluster_record_put(&format!("{PREFIX}{name}"), &auth.encode(), PutMode::Upsert)?;
        }
    }
    for name in before.keys() {
        if !db.contains_key(name) {
            b.cluster_record_delete(&format!("{PREFIX}{name}"))?;
        }
    }
    Ok(r)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if s.is_empty() || !s.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for (ci, chunk) in s.chunks(4).enumerate() {
        let last = ci == s.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || pad > 0 && !last {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = if i >= 4 - pad { 0 } else { B64.iter().position(|x| x == c)? as u32 };
            n |= v << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_as_ceph_writes_them() {
        // A key written by ceph-authtool (16.2).
        let k = Key::from_base64("AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==").unwrap();
        assert_eq!(k.created_sec, 0x6b0447f4);
        assert_eq!(k.created_nsec, 0x1a0407af);
        assert_eq!(k.secret().len(), 16);
        assert_eq!(k.secret()[0], 0x89);
        assert_eq!(k.to_base64(), "AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==");
    }

    #[test]
    fn new_keys_have_ceph_shape() {
        let k = Key::generate();
        let b = k.to_bytes();
        assert_eq!(b.len(), 28);
        assert_eq!(&b[0..2], &[1, 0]);
        assert_eq!(&b[10..12], &[16, 0]);
        let s = k.to_base64();
        assert_eq!(s.len(), 40);
        assert!(s.starts_with("AQ") && s.ends_with("=="), "{s}");
        assert_eq!(Key::from_base64(&s).unwrap(), k);
        assert_ne!(Key::generate().secret(), k.secret());
    }

    #[test]
    fn bad_keys_are_refused() {
        for bad in ["", "AQ", "not base64!", "AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg=", "AAAAAAAA"] {
            assert!(Key::from_base64(bad).is_err(), "{bad}");
        }
        let mut b = Key::generate().to_bytes();
        b[0] = 2;
        assert!(Key::from_bytes(&b).is_err());
        let mut b = Key::generate().to_bytes();
        b.pop();
        assert!(Key::from_bytes(&b).is_err());
    }

    #[test]
    fn base64_round_trips() {
        for n in 0..40 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            if n == 0 {
                assert_eq!(base64_encode(&data), "");
                continue;
            }
            assert_eq!(base64_decode(&base64_encode(&data)).unwrap(), data, "{n}");
        }
        assert_eq!(base64_encode(b"Man"), "TWFu");
        assert_eq!(base64_encode(b"Ma"), "TWE=");
        assert_eq!(base64_decode("TQ==").unwrap(), b"M");
        assert!(base64_decode("T===").is_none());
        assert!(base64_decode("TQ==TWFu").is_none());
    }

    #[test]
    fn entity_names() {
        for good in ["client.admin", "client.glance-1", "osd.0", "mon.", "mgr.x", "mds.a", "client.a.b"] {
            assert_eq!(EntityName::parse(good).unwrap().to_string(), good);
        }
        for bad in ["admin", "foo.x", "client.", ".x", "client.a b", ""] {
            let e = EntityName::parse(bad).unwrap_err();
            assert_eq!(e.errno(), libc::EINVAL, "{bad}");
            assert_eq!(e.to_string(), format!("invalid entity_auth {bad}"));
        }
        let mut v: Vec<EntityName> =
            ["mgr.x", "client.b", "osd.1", "client.a", "mon."].iter().map(|s| EntityName::parse(s).unwrap()).collect();
        v.sort();
        let s: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(s, ["mon.", "osd.1", "client.a", "client.b", "mgr.x"]);
    }

    #[test]
    fn caps_are_checked() {
        for good in ["allow *", "allow r", "profile rbd", "allow rwx pool=rbd, allow rx pool=images", ""] {
            validate_caps("osd", good).unwrap();
        }
        let e = validate_caps("mon", "bogus").unwrap_err();
        assert_eq!(e.to_string(), "mon capability parse failed, stopped at 'bogus' of 'bogus'");
        assert_eq!(validate_caps("foo", "allow *").unwrap_err().to_string(), "unknown cap type 'foo'");
        assert!(validate_caps("osd", "allow").is_err());
        let pairs: Vec<String> = ["mon", "allow r", "osd"].iter().map(|s| s.to_string()).collect();
        assert_eq!(caps_from_pairs(&pairs).unwrap_err().errno(), libc::EINVAL);
    }
}
