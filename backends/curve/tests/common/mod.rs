//! Shared by the curve crate's test binaries: a re-run of the test binary that plays the
//! `child_role` test (opening a volume, then waiting to be killed).

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

/// Starts this test binary's `child_role` with `var=value` in its environment and returns once
/// the child says it has the volume open.
pub fn spawn_open_child(var: &str, value: &std::ffi::OsStr) -> Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child_role", "--exact", "--nocapture", "--test-threads=1", "-q"])
        .env(var, value)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("@@ open") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child ended early");
    }
    child
}
