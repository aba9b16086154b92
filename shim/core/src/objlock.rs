//! Advisory locks on rados objects (rados_lock_exclusive/shared, unlock, break, list_lockers),
//! with cls_lock's rules: one xattr per lock name holds the lock type, tag and lockers, changed
//! in one atomic step of the object store, so processes sharing the store see each other's locks.

use crate::auth::caps::Rights;
use crate::header::Timestamp;
use crate::ioctx::IoCtx;
use crate::lock::LockMode;
use crate::{Error, Result};
use rbdshim_backend::Error as BError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// rados_lock_* flag: renew the caller's own lock instead of failing -EEXIST.
pub const LOCK_FLAG_MAY_RENEW: u8 = 0x1;
/// rados_lock_* flag: only renew; -ENOENT if the caller does not hold the lock.
pub const LOCK_FLAG_MUST_RENEW: u8 = 0x2;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ObjectLocker {
    pub client: String,
    pub cookie: String,
    pub addr: String,
    pub desc: String,
    /// Milliseconds since the epoch after which the lock no longer counts; 0 = never.
    pub expires_ms: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LockState {
    exclusive: bool,
    tag: String,
    lockers: Vec<ObjectLocker>,
}

/// What a caller asks for in rados_lock_exclusive / rados_lock_shared.
pub struct LockRequest<'a> {
    pub mode: LockMode,
    pub cookie: &'a str,
    pub tag: &'a str,
    pub desc: &'a str,
    /// None = forever.
    pub duration: Option<Duration>,
    pub flags: u8,
}

fn now_ms() -> u64 {
    let t = Timestamp::now();
    t.sec.saturating_mul(1000) + u64::from(t.nsec / 1_000_000)
}

fn xattr_name(name: &str) -> String {
    format!("lock.{name}")
}

fn decode(raw: Option<&[u8]>) -> std::result::Result<LockState, BError> {
    let mut st: LockState = match raw {
        Some(r) => serde_json::from_slice(r).map_err(|e| BError::Corrupt(format!("lock record: {e}")))?,
        None => LockState::default(),
    };
    let now = now_ms();
    st.lockers.retain(|l| l.expires_ms == 0 || l.expires_ms > now);
    Ok(st)
}

fn encode(st: &LockState) -> std::result::Result<Option<Vec<u8>>, BError> {
    if st.lockers.is_empty() {
        return Ok(None);
    }
    serde_json::to_vec(st).map(Some).map_err(|e| BError::Corrupt(e.to_string()))
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("empty lock name"));
    }
    Ok(())
}

impl IoCtx {
    /// This client's entity name, as lockers list it.
    pub fn client_entity(&self) -> String {
        format!("client.{}", self.cluster().instance_id())
    }

    /// cls_lock's methods are class calls: reading and writing the object's lock state needs
    /// class-read and class-write besides `r`/`w` (`allow rw` alone is refused, as in Ceph).
    fn require_lock_class(&self, oid: &str, write: bool) -> Result<()> {
        let need = if write { Rights::R.union(Rights::W).union(Rights::X) } else { Rights::R.union(Rights::CLS_R) };
        self.cluster().require_osd(self.pool_name(), Some(&self.namespace()), Some(oid), need)
    }

    /// Takes lock `name` on object `oid` (creating the object, as cls_lock does).
    pub fn object_lock(&self, oid: &str, name: &str, req: &LockRequest<'_>) -> Result<()> {
        check_name(name)?;
        self.require_lock_class(oid, true)?;
        if req.flags & !(LOCK_FLAG_MAY_RENEW | LOCK_FLAG_MUST_RENEW) != 0 {
            return Err(Error::InvalidArgument("unknown lock flags"));
        }
        // Object namespaces need no creation (rbd's namespaces are another thing).
        let loc = self.loc();
        let me = self.client_entity();
        let addr = self.cluster().client_addr();
        let expires_ms = req
            .duration
            .filter(|d| !d.is_zero())
            .map(|d| now_ms().saturating_add(d.as_millis().try_into().unwrap_or(u64::MAX)).max(1))
            .unwrap_or(0);
        self.objects()
            .xattr_update(&loc, oid, &xattr_name(name), &mut |raw| {
                let mut st = decode(raw)?;
                if !st.lockers.is_empty() && st.tag != req.tag {
                    return Err(BError::Busy);
                }
                let mine = st.lockers.iter().position(|l| l.client == me && l.cookie == req.cookie);
                match mine {
                    Some(i) if req.flags & (LOCK_FLAG_MAY_RENEW | LOCK_FLAG_MUST_RENEW) != 0 => {
                        st.lockers.remove(i);
                    }
                    Some(_) => return Err(BError::Exists),
                    None if req.flags & LOCK_FLAG_MUST_RENEW != 0 => return Err(BError::NotFound),
                    None => {}
                }
                if !st.lockers.is_empty() && (st.exclusive || req.mode == LockMode::Exclusive) {
                    return Err(BError::Busy);
                }
                st.exclusive = req.mode == LockMode::Exclusive;
                st.tag = req.tag.to_string();
                st.lockers.push(ObjectLocker {
                    client: me.clone(),
                    cookie: req.cookie.to_string(),
                    addr: addr.clone(),
                    desc: req.desc.to_string(),
                    expires_ms,
                });
                encode(&st)
            })
            .map_err(Into::into)
    }

    /// Releases this client's lock (-ENOENT if it holds none with this cookie).
    pub fn object_unlock(&self, oid: &str, name: &str, cookie: &str) -> Result<()> {
        let me = self.client_entity();
        self.object_break_lock(oid, name, &me, cookie)
    }

    /// Removes any client's lock (-ENOENT if there is no such locker).
    pub fn object_break_lock(&self, oid: &str, name: &str, client: &str, cookie: &str) -> Result<()> {
        check_name(name)?;
        self.require_lock_class(oid, true)?;
        let loc = self.loc();
        // Unlocking never creates the object.
        self.objects().stat(&loc, oid)?;
        self.objects()
            .xattr_update(&loc, oid, &xattr_name(name), &mut |raw| {
                let mut st = decode(raw)?;
                let before = st.lockers.len();
                st.lockers.retain(|l| !(l.client == client && l.cookie == cookie));
                if st.lockers.len() == before {
                    return Err(BError::NotFound);
                }
                encode(&st)
            })
            .map_err(Into::into)
    }

    /// (exclusive, tag, lockers) of lock `name`; -ENOENT if the object does not exist.
    pub fn object_list_lockers(&self, oid: &str, name: &str) -> Result<(bool, String, Vec<ObjectLocker>)> {
        check_name(name)?;
        self.require_lock_class(oid, false)?;
        let loc = self.loc();
        let raw = match self.objects().xattr_get(&loc, oid, &xattr_name(name)) {
            Ok(r) => Some(r),
            Err(BError::NoData) => None,
            Err(e) => return Err(e.into()),
        };
        let st = decode(raw.as_deref())?;
        Ok((st.exclusive, st.tag, st.lockers))
    }
}
