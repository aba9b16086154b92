#![allow(dead_code)]
//! Shared set-up for the core's integration tests: a fresh store per test.

pub mod child;
pub mod strict;

use rbdshim_core::{Cluster, CreateOptions, Image, IoCtx};
use std::sync::Arc;
use std::time::Duration;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub cluster: Arc<Cluster>,
    pub io: IoCtx,
}

/// The store a test directory holds: the file backend; or the curve backend when
/// `RBDSHIM_TEST_STORE=curve`, with its metadata in etcd when `RBDSHIM_TEST_ETCD` names a
/// cluster (`host:port,...`; each store gets its own key prefix). CI runs the suites on all three.
pub fn spec(dir: &std::path::Path) -> String {
    spec_on(default_store(), dir)
}

pub fn spec_on(store: Store, dir: &std::path::Path) -> String {
    match store {
        Store::Curve => match std::env::var("RBDSHIM_TEST_ETCD") {
            Ok(eps) if !eps.is_empty() => {
                // A prefix of its own per test store, the same in every process that opens it.
                format!("curve:{}?etcd={eps}&prefix=t{:016x}/&lease_ms=2000", dir.display(), path_hash(dir))
            }
            _ => format!("curve:{}", dir.display()),
        },
        _ => format!("file:{}", dir.display()),
    }
}

fn path_hash(dir: &std::path::Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    h.finish()
}

/// How long a killed process may still count as alive: no time where the store sees processes
/// end (POSIX locks), a lease (2 s in tests) where sessions live in etcd.
pub fn session_end_limit() -> Duration {
    match (default_store(), std::env::var("RBDSHIM_TEST_ETCD")) {
        (Store::Curve, Ok(eps)) if !eps.is_empty() => Duration::from_secs(6),
        _ => Duration::from_secs(1),
    }
}

/// Polls `f` until it holds or `limit` passes; returns whether it held.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn default_store() -> Store {
    match std::env::var("RBDSHIM_TEST_STORE").as_deref() {
        Ok("curve") => Store::Curve,
        _ => Store::File,
    }
}

pub fn connect(spec: &str) -> Arc<Cluster> {
    let c = Cluster::new(None, None, false).unwrap();
    c.conf_set("rbdshim_backend", spec).unwrap();
    c.connect().unwrap();
    c
}

pub fn env() -> Env {
    env_on(default_store())
}

/// Which store a test runs on: the plain file backend, the file backend given CurveBS's rules,
/// or the curve backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    File,
    Strict,
    Curve,
}

pub fn env_on(store: Store) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let spec = match store {
        Store::File | Store::Curve => spec_on(store, dir.path()),
        Store::Strict => {
            let spec = format!("strict:{}", dir.path().display());
            rbdshim_core::cluster::register_backend(&spec, std::sync::Arc::new(strict::Strict::open(dir.path())));
            spec
        }
    };
    let cluster = connect(&spec);
    cluster.pool_create("rbd").unwrap();
    let io = cluster.ioctx("rbd").unwrap();
    Env { dir, cluster, io }
}

impl Env {
    pub fn create(&self, name: &str, size: u64) -> Image {
        self.create_order(name, size, 22)
    }

    pub fn create_order(&self, name: &str, size: u64, order: u8) -> Image {
        let opts = CreateOptions { order: Some(order), ..Default::default() };
        rbdshim_core::manage::create(&self.io, name, size, &opts).unwrap();
        Image::open(&self.io, name, None, false).unwrap()
    }
}

pub fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

pub fn errno<T: std::fmt::Debug>(r: rbdshim_core::Result<T>) -> i32 {
    r.expect_err("expected an error").errno()
}
