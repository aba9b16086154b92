//! Cross-process coordination of one volume through the metadata store, so that it holds across
//! hosts when the metadata is in etcd: the exclusive lock is a key naming the holder's session
//! (free again when that session ends), hand-over requests and the change generation are
//! counters, watchers are keys of their sessions.

use crate::meta::{self, Cmp, MetaStore, Op};
use parking_lot::Mutex;
use rbdshim_backend::{Coordinator, Error, Result, WatchGuard, WatcherInfo};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct MetaCoordinator {
    meta: Arc<dyn MetaStore>,
    prefix: String,
    /// Fork generation + 1 while this process holds the lock (0: not held).
    held: AtomicU64,
    requests_seen: AtomicU64,
}

impl MetaCoordinator {
    pub fn new(meta: Arc<dyn MetaStore>, file_id: u64) -> MetaCoordinator {
        MetaCoordinator {
            meta,
            prefix: format!("coord/{file_id}/"),
            held: AtomicU64::new(0),
            requests_seen: AtomicU64::new(0),
        }
    }

    fn key(&self, what: &str) -> String {
        format!("{}{what}", self.prefix)
    }

    fn holder(&self) -> Result<Option<String>> {
        Ok(self.meta.get(&self.key("lock"))?.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Forgets everything kept for the volume (it is being removed).
    pub fn clear(meta: &dyn MetaStore, file_id: u64) -> Result<()> {
        let ops: Vec<Op> = meta.list(&format!("coord/{file_id}/"))?.into_iter().map(|(k, _)| Op::Delete(k)).collect();
        if !ops.is_empty() {
            meta.txn(&[], &ops)?;
        }
        Ok(())
    }
}

fn gen() -> u64 {
    rbdshim_backend::fork::generation() + 1
}

impl Coordinator for MetaCoordinator {
    fn try_lock(&self) -> Result<bool> {
        if self.is_locked_here() {
            return Ok(true);
        }
        let me = self.meta.session()?;
        let key = self.key("lock");
        let cur = self.holder()?;
        let free = match &cur {
            None => true,
            Some(s) => *s == me || !self.meta.session_alive(s)?,
        };
        if !free {
            return Ok(false);
        }
        let ok =
            self.meta.txn(&[Cmp::Value(key.clone(), cur.map(String::into_bytes))], &[Op::Put(key, me.into_bytes())])?;
        if ok {
            self.requests_seen.store(meta::counter(self.meta.as_ref(), &self.key("req"))?, Ordering::SeqCst);
            self.held.store(gen(), Ordering::SeqCst);
        }
        Ok(ok)
    }

    fn lock(&self, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        let mut asked: Option<Instant> = None;
        let mut pause = Duration::from_micros(500);
        loop {
            if self.try_lock()? {
                return Ok(());
            }
            // Ask (again now and then: a holder may have re-taken it after an older request).
            if asked.is_none_or(|t| t.elapsed() > Duration::from_millis(50)) {
                meta::next_counter(self.meta.as_ref(), &self.key("req"))?;
                asked = Some(Instant::now());
            }
            if start.elapsed() >= timeout {
                return Err(Error::TimedOut);
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(5));
        }
    }

    fn unlock(&self) -> Result<()> {
        if self.is_locked_here() {
            let me = self.meta.session()?;
            let key = self.key("lock");
            self.meta.txn(&[Cmp::Value(key.clone(), Some(me.into_bytes()))], &[Op::Delete(key)])?;
        }
        self.held.store(0, Ordering::SeqCst);
        Ok(())
    }

    fn is_locked_here(&self) -> bool {
        self.held.load(Ordering::SeqCst) == gen()
    }

    fn release_requested(&self) -> bool {
        self.is_locked_here()
            && meta::counter(self.meta.as_ref(), &self.key("req"))
                .is_ok_and(|n| n != self.requests_seen.load(Ordering::SeqCst))
    }

    fn is_locked_anywhere(&self) -> Result<bool> {
        if self.is_locked_here() {
            return Ok(true);
        }
        match self.holder()? {
            None => Ok(false),
            Some(s) => Ok(self.meta.session_alive(&s)?),
        }
    }

    fn generation(&self) -> u64 {
        meta::counter(self.meta.as_ref(), &self.key("gen")).unwrap_or(0)
    }

    fn bump_generation(&self) -> u64 {
        meta::next_counter(self.meta.as_ref(), &self.key("gen")).unwrap_or(0)
    }

    fn watch(&self, info: WatcherInfo) -> Result<Box<dyn WatchGuard>> {
        let me = self.meta.session()?;
        let key = self.key(&format!("watch/{me}/{:016x}", rand::random::<u64>()));
        let body = format!("{}\n{}\n{}", info.addr, info.id, info.cookie);
        self.meta.txn(&[], &[Op::Put(key.clone(), body.into_bytes())])?;
        Ok(Box::new(Watch { meta: self.meta.clone(), key, gen: gen(), _live: Mutex::new(()) }))
    }

    fn watchers(&self) -> Result<Vec<WatcherInfo>> {
        let mut out = Vec::new();
        let mut dead = Vec::new();
        let prefix = self.key("watch/");
        for (key, body) in self.meta.list(&prefix)? {
            let session = key[prefix.len()..].split('/').next().unwrap_or("");
            if !self.meta.session_alive(session)? {
                dead.push(Op::Delete(key));
                continue;
            }
            let text = String::from_utf8_lossy(&body);
            let mut lines = text.lines();
            let addr = lines.next().unwrap_or("").to_string();
            let id = lines.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let cookie = lines.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            out.push(WatcherInfo { addr, id, cookie });
        }
        if !dead.is_empty() {
            self.meta.txn(&[], &dead)?;
        }
        out.sort_by_key(|w| (w.id, w.cookie));
        Ok(out)
    }
}

struct Watch {
    meta: Arc<dyn MetaStore>,
    key: String,
    gen: u64,
    _live: Mutex<()>,
}

impl WatchGuard for Watch {}

impl Drop for Watch {
    fn drop(&mut self) {
        // A forked child's copy of its parent's watch is not the child's to end.
        if self.gen == gen() {
            let _ = self.meta.txn(&[], &[Op::Delete(self.key.clone())]);
        }
    }
}
