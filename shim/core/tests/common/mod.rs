#![allow(dead_code)]
//! Shared set-up for the core's integration tests: a fresh store per test.

pub mod child;
pub mod strict;

use rbdshim_core::{Cluster, CreateOptions, Image, IoCtx};
use std::sync::Arc;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub cluster: Arc<Cluster>,
    pub io: IoCtx,
}

/// The store a test directory holds: the file backend, or the curve backend when
/// `RBDSHIM_TEST_STORE=curve` (CI runs the suites on both).
pub fn spec(dir: &std::path::Path) -> String {
    match default_store() {
        Store::Curve => format!("curve:{}", dir.display()),
        _ => format!("file:{}", dir.display()),
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
        Store::File => format!("file:{}", dir.path().display()),
        Store::Curve => format!("curve:{}", dir.path().display()),
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
