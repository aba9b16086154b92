//! The metadata store: where the namespace, segment allocation, sessions, epochs, snapshot and
//! clone records live (CurveBS's MDS keeps them in etcd).
//!
//! A small key-value contract: reads, prefix listings, and transactions that apply only if their
//! comparisons hold (etcd's Txn). Sessions are the store's notion of a live client: an embedded
//! store ties one to a lock held by the process, etcd to a lease the client keeps alive.

pub mod embedded;
pub mod etcd;

use crate::error::{CurveError, CurveResult};

/// A condition a transaction checks before applying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmp {
    /// The key holds exactly this value (`None`: the key is absent).
    Value(String, Option<Vec<u8>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Put(String, Vec<u8>),
    Delete(String),
}

pub trait MetaStore: Send + Sync {
    fn get(&self, key: &str) -> CurveResult<Option<Vec<u8>>>;
    /// Keys starting with `prefix` with their values, sorted by key.
    fn list(&self, prefix: &str) -> CurveResult<Vec<(String, Vec<u8>)>>;
    /// Applies every op, atomically, if every comparison holds; returns whether it applied.
    fn txn(&self, cmps: &[Cmp], ops: &[Op]) -> CurveResult<bool>;
    /// This process's session id, created on first use in the process (and anew in a forked
    /// child): it lives while the process does and keeps it alive.
    fn session(&self) -> CurveResult<String>;
    /// Whether session `id` is alive (its process runs and keeps it; a killed process's session
    /// ends, at the latest after the lease).
    fn session_alive(&self, id: &str) -> CurveResult<bool>;
}

/// Read-modify-write of one key: `f` maps the current value to the new one (`None`: delete,
/// `Err`: give up); retried until no other writer came in between.
pub fn update<T>(
    m: &dyn MetaStore,
    key: &str,
    mut f: impl FnMut(Option<&[u8]>) -> CurveResult<(Option<Vec<u8>>, T)>,
) -> CurveResult<T> {
    loop {
        let cur = m.get(key)?;
        let (new, out) = f(cur.as_deref())?;
        if new == cur {
            return Ok(out);
        }
        let op = match new {
            Some(v) => Op::Put(key.to_string(), v),
            None => Op::Delete(key.to_string()),
        };
        if m.txn(&[Cmp::Value(key.to_string(), cur)], &[op])? {
            return Ok(out);
        }
    }
}

/// Increments a decimal counter stored at `key` and returns the new value.
pub fn next_counter(m: &dyn MetaStore, key: &str) -> CurveResult<u64> {
    update(m, key, |cur| {
        let n = match cur {
            None => 0,
            Some(v) => {
                std::str::from_utf8(v).ok().and_then(|s| s.parse::<u64>().ok()).ok_or(CurveError::InternalError)?
            }
        } + 1;
        Ok((Some(n.to_string().into_bytes()), n))
    })
}

/// Reads a decimal counter (0 when absent).
pub fn counter(m: &dyn MetaStore, key: &str) -> CurveResult<u64> {
    match m.get(key)? {
        None => Ok(0),
        Some(v) => std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok()).ok_or(CurveError::InternalError),
    }
}
