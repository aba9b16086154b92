#![allow(dead_code)]
//! What the CLI suites share: a fresh file store per test, a cluster handle on it, and running
//! one of the tools against it (no ceph.conf, no CEPH_ARGS, the store's directory as cwd).

use rbdshim_core::Cluster;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

pub struct Store {
    pub dir: tempfile::TempDir,
    pub spec: String,
}

impl Store {
    pub fn empty() -> Store {
        let dir = tempfile::tempdir().unwrap();
        let spec = format!("file:{}", dir.path().join("store").display());
        Store { dir, spec }
    }

    pub fn cluster(&self) -> Arc<Cluster> {
        let c = Cluster::new(None, None, false).unwrap();
        c.conf_set("rbdshim_backend", &self.spec).unwrap();
        c.connect().unwrap();
        c
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `tool` (a binary path) with `args`, feeding `stdin` if given.
    pub fn exec(&self, tool: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut cmd = Command::new(tool);
        cmd.args(args)
            .env("RBDSHIM_BACKEND", &self.spec)
            .env_remove("CEPH_ARGS")
            .env("CEPH_CONF", "/nonexistent")
            .current_dir(self.dir.path())
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("run {tool}: {e}"));
        if let Some(data) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(data).unwrap();
        }
        child.wait_with_output().unwrap()
    }
}
