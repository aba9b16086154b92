//! The core's records, kept in the metadata store under `rbd/rec/<pool>/<ns>/<key>` and
//! `rbd/crec/<key>`, and record locks: an in-process mutex (threads) plus a metadata key
//! naming the holder's session (processes and hosts), taken over when that session ends.

use crate::meta::{Cmp, Op};
use crate::store::CurveStore;
use parking_lot::Mutex;
use rbdshim_backend::{Error, Loc, PutMode, RecordGuard, Result};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub fn pool_key(loc: &Loc, key: &str) -> String {
    format!("rbd/rec/{}/{}/{key}", loc.pool, loc.ns)
}

pub fn cluster_key(key: &str) -> String {
    format!("rbd/crec/{key}")
}

pub fn get(store: &CurveStore, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(store.meta.get(key)?)
}

pub fn put(store: &CurveStore, key: &str, value: &[u8], mode: PutMode) -> Result<()> {
    let op = Op::Put(key.to_string(), value.to_vec());
    match mode {
        PutMode::Upsert => {
            store.meta.txn(&[], &[op])?;
            Ok(())
        }
        PutMode::Create => {
            if store.meta.txn(&[Cmp::Value(key.to_string(), None)], &[op])? {
                Ok(())
            } else {
                Err(Error::Exists)
            }
        }
        PutMode::Replace => loop {
            let cur = store.meta.get(key)?.ok_or(Error::NotFound)?;
            if store.meta.txn(&[Cmp::Value(key.to_string(), Some(cur))], std::slice::from_ref(&op))? {
                return Ok(());
            }
        },
    }
}

pub fn delete(store: &CurveStore, key: &str) -> Result<()> {
    loop {
        let cur = store.meta.get(key)?.ok_or(Error::NotFound)?;
        if store.meta.txn(&[Cmp::Value(key.to_string(), Some(cur))], &[Op::Delete(key.to_string())])? {
            return Ok(());
        }
    }
}

/// Keys under `base` starting with `prefix`, without `base`.
pub fn list(store: &CurveStore, base: &str, prefix: &str) -> Result<Vec<String>> {
    Ok(store.meta.list(&format!("{base}{prefix}"))?.into_iter().map(|(k, _)| k[base.len()..].to_string()).collect())
}

#[derive(Default)]
pub struct LocalLocks {
    map: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

struct Guard {
    store: Arc<CurveStore>,
    key: String,
    session: String,
    gen: u64,
    _local: parking_lot::lock_api::ArcMutexGuard<parking_lot::RawMutex, ()>,
}

impl RecordGuard for Guard {}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.gen == rbdshim_backend::fork::generation() {
            let _ = self.store.meta.txn(
                &[Cmp::Value(self.key.clone(), Some(self.session.clone().into_bytes()))],
                &[Op::Delete(self.key.clone())],
            );
        }
    }
}

pub fn lock(store: &Arc<CurveStore>, locks: &LocalLocks, key: &str) -> Result<Box<dyn RecordGuard>> {
    let m = locks.map.lock().entry(key.to_string()).or_default().clone();
    let local = m.lock_arc();
    let session = store.meta.session()?;
    let mut pause = Duration::from_micros(200);
    let deadline = std::time::Instant::now() + store.opts.meta_timeout.max(Duration::from_secs(60));
    loop {
        let cur = store.meta.get(key)?;
        let free = match &cur {
            None => true,
            Some(holder) => {
                let holder = String::from_utf8_lossy(holder);
                // Our own session holding it is a guard a forked parent left behind.
                holder == session || !store.meta.session_alive(&holder)?
            }
        };
        if free
            && store
                .meta
                .txn(&[Cmp::Value(key.to_string(), cur)], &[Op::Put(key.to_string(), session.clone().into_bytes())])?
        {
            return Ok(Box::new(Guard {
                store: store.clone(),
                key: key.to_string(),
                session,
                gen: rbdshim_backend::fork::generation(),
                _local: local,
            }));
        }
        if std::time::Instant::now() > deadline {
            return Err(Error::TimedOut);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}
