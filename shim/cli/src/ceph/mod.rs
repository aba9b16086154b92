//! `ceph`: status, health, fsid, df, mon dump, osd pool commands, auth and version.

/// Runs one `ceph` command line (without the program name).
pub fn main(argv: Vec<String>) -> i32 {
    crate::run_tool("ceph", argv, |_g, _rest| Err(crate::CliError::usage("ceph: not implemented yet").into()))
}
