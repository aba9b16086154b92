//! The metadata store in an etcd cluster, as CurveBS's MDS keeps it, so that several hosts
//! share one namespace.
//!
//! The client and its runtime are made on first use in the process that uses them, and made
//! anew in a forked child (a child has none of its parent's threads; what it inherited is left
//! alone, never used or dropped). Every request retries on another member until the metadata
//! timeout, then fails with [`CurveError::TimedOut`]: without a quorum, metadata work stops with
//! a clear error instead of hanging. A session is a lease the client keeps alive; its key
//! `<prefix>sess/<lease id>` disappears with the lease when the client dies.

use super::{Cmp, MetaStore, Op};
use crate::error::{CurveError, CurveResult};
use etcd_client::{Client, Compare, CompareOp, ConnectOptions, GetOptions, PutOptions, Txn, TxnOp};
use parking_lot::Mutex;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest one attempt of a request may take before it is tried again.
const ATTEMPT: Duration = Duration::from_secs(1);

pub struct Etcd {
    endpoints: Vec<String>,
    prefix: String,
    lease: Duration,
    timeout: Duration,
    conn: Mutex<Option<Conn>>,
    /// Serialises making the session, so that two first callers do not grant two leases.
    session_init: Mutex<()>,
}

struct Conn {
    gen: u64,
    rt: tokio::runtime::Runtime,
    client: Client,
    /// This process's lease; cleared by its keeper when etcd says it expired, so the next
    /// call makes a new session instead of acting under a dead one.
    session: Arc<Mutex<Option<i64>>>,
}

fn failed(e: etcd_client::Error) -> CurveError {
    tracing::debug!("etcd: {e}");
    CurveError::Failed
}

impl Etcd {
    /// A store on the cluster at `endpoints` (`host:port`), its keys under `prefix`. Nothing
    /// connects until the first request.
    pub fn new(endpoints: &[String], prefix: &str, lease: Duration, timeout: Duration) -> CurveResult<Etcd> {
        if endpoints.is_empty() {
            return Err(CurveError::ParamError);
        }
        let endpoints =
            endpoints.iter().map(|e| if e.contains("://") { e.clone() } else { format!("http://{e}") }).collect();
        Ok(Etcd {
            endpoints,
            prefix: prefix.to_string(),
            lease,
            timeout,
            conn: Mutex::new(None),
            session_init: Mutex::new(()),
        })
    }

    fn key(&self, k: &str) -> String {
        format!("{}{k}", self.prefix)
    }

    /// Runs `f` with this process's client, retrying failed attempts until the timeout.
    fn call<T, F, Fut>(&self, mut f: F) -> CurveResult<T>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let deadline = Instant::now() + self.timeout;
        let mut guard = self.conn.lock();
        let gen = rbdshim_backend::fork::generation();
        if guard.as_ref().is_some_and(|c| c.gen != gen) {
            // Inherited across fork(): its threads are not here. Never drop it.
            std::mem::forget(guard.take());
        }
        if guard.is_none() {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("curve-etcd")
                .enable_all()
                .build()?;
            let opts = ConnectOptions::new()
                .with_connect_timeout(self.timeout)
                .with_timeout(ATTEMPT)
                .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2));
            let client = rt
                .block_on(async {
                    tokio::time::timeout(self.timeout, Client::connect(&self.endpoints, Some(opts))).await
                })
                .map_err(|_| CurveError::TimedOut)?
                .map_err(failed)?;
            *guard = Some(Conn { gen, rt, client, session: Arc::new(Mutex::new(None)) });
        }
        let conn = guard.as_ref().ok_or(CurveError::InternalError)?;
        // Requests run in parallel: only getting the client is serialised.
        let (handle, client) = (conn.rt.handle().clone(), conn.client.clone());
        drop(guard);
        let mut pause = Duration::from_millis(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(CurveError::TimedOut);
            }
            // An attempt stuck on a member that went away is abandoned and tried again (the
            // channel balances over the members still up).
            let fut = f(client.clone());
            let attempt = handle.block_on(async move { tokio::time::timeout(left.min(ATTEMPT), fut).await });
            match attempt {
                Err(_) => {
                    tracing::debug!("etcd request timed out, retrying");
                    continue;
                }
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => {
                    tracing::debug!("etcd request failed, retrying: {e}");
                    std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
            }
        }
    }
}

impl MetaStore for Etcd {
    fn get(&self, key: &str) -> CurveResult<Option<Vec<u8>>> {
        let k = self.key(key);
        let resp = self.call(|mut c| {
            let k = k.clone();
            async move { c.get(k, None).await }
        })?;
        Ok(resp.kvs().first().map(|kv| kv.value().to_vec()))
    }

    fn list(&self, prefix: &str) -> CurveResult<Vec<(String, Vec<u8>)>> {
        let k = self.key(prefix);
        let resp = self.call(|mut c| {
            let k = k.clone();
            async move { c.get(k, Some(GetOptions::new().with_prefix())).await }
        })?;
        let mut out = Vec::with_capacity(resp.kvs().len());
        for kv in resp.kvs() {
            let key = std::str::from_utf8(kv.key()).map_err(|_| CurveError::InternalError)?;
            out.push((key[self.prefix.len()..].to_string(), kv.value().to_vec()));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn txn(&self, cmps: &[Cmp], ops: &[Op]) -> CurveResult<bool> {
        let compares: Vec<Compare> = cmps
            .iter()
            .map(|c| match c {
                Cmp::Value(k, Some(v)) => Compare::value(self.key(k), CompareOp::Equal, v.clone()),
                Cmp::Value(k, None) => Compare::version(self.key(k), CompareOp::Equal, 0),
            })
            .collect();
        let txn_ops: Vec<TxnOp> = ops
            .iter()
            .map(|o| match o {
                Op::Put(k, v) => TxnOp::put(self.key(k), v.clone(), None),
                Op::Delete(k) => TxnOp::delete(self.key(k), None),
            })
            .collect();
        // A transaction whose answer was lost may have applied: re-sending it is safe only if
        // its comparisons would now fail or it is idempotent (puts and deletes are).
        let resp = self.call(|mut c| {
            let txn = Txn::new().when(compares.clone()).and_then(txn_ops.clone());
            async move { c.txn(txn).await }
        })?;
        Ok(resp.succeeded())
    }

    fn session(&self) -> CurveResult<String> {
        let current = |me: &Self| -> Option<i64> {
            let guard = me.conn.lock();
            let c = guard.as_ref()?;
            if c.gen != rbdshim_backend::fork::generation() {
                return None;
            }
            let id = *c.session.lock();
            id
        };
        if let Some(id) = current(self) {
            return Ok(format!("{id:x}"));
        }
        let _init = self.session_init.lock();
        if let Some(id) = current(self) {
            return Ok(format!("{id:x}"));
        }
        let ttl = self.lease.as_secs().max(2) as i64;
        let lease = self.call(|mut c| async move { c.lease_grant(ttl, None).await })?;
        let id = lease.id();
        let key = self.key(&format!("sess/{id:x}"));
        self.call(|mut c| {
            let key = key.clone();
            async move { c.put(key, std::process::id().to_string(), Some(PutOptions::new().with_lease(id))).await }
        })?;
        let guard = self.conn.lock();
        let conn = guard.as_ref().ok_or(CurveError::InternalError)?;
        let client = conn.client.clone();
        let slot = conn.session.clone();
        let period = Duration::from_millis((ttl as u64 * 1000) / 3);
        // Keeps the lease alive while the process runs; a killed process stops renewing it.
        conn.rt.spawn(async move {
            let mut client = client;
            loop {
                if let Ok((mut keeper, mut stream)) = client.lease_keep_alive(id).await {
                    loop {
                        if keeper.keep_alive().await.is_err() {
                            break;
                        }
                        match stream.message().await {
                            Ok(Some(r)) if r.ttl() > 0 => {}
                            Ok(Some(_)) => {
                                tracing::warn!("etcd session {id:x} expired");
                                let mut s = slot.lock();
                                if *s == Some(id) {
                                    *s = None;
                                }
                                return;
                            }
                            _ => break,
                        }
                        tokio::time::sleep(period).await;
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        *conn.session.lock() = Some(id);
        Ok(format!("{id:x}"))
    }

    fn session_alive(&self, id: &str) -> CurveResult<bool> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(false);
        }
        Ok(self.get(&format!("sess/{id}"))?.is_some())
    }
}
