//! One error type for both tools: a message and the errno it ends with. Printed as Ceph's
//! tools print failures, and the errno becomes the exit status, as with Ceph's `rbd`.

use std::fmt;

#[derive(Debug)]
pub struct CliError {
    pub msg: String,
    /// Positive errno; 0 for failures that carry none (exit status 1).
    pub errno: i32,
}

pub type CliResult<T> = Result<T, CliError>;

/// strerror text without Rust's " (os error N)" suffix.
pub fn strerror(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl CliError {
    pub fn new(msg: impl Into<String>, errno: i32) -> Self {
        CliError { msg: msg.into(), errno }
    }

    /// A failure whose explanation was already printed.
    pub fn silent(errno: i32) -> Self {
        CliError { msg: String::new(), errno }
    }

    /// A usage mistake: Ceph's tools report these with -EINVAL.
    pub fn usage(msg: impl Into<String>) -> Self {
        CliError { msg: msg.into(), errno: libc::EINVAL }
    }

    pub fn exit_code(&self) -> i32 {
        match self.errno {
            0 => 1,
            e => e & 0xff,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.errno == 0 {
            write!(f, "{}", self.msg)
        } else {
            write!(f, "{}: ({}) {}", self.msg, self.errno, strerror(self.errno))
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        let errno = e.raw_os_error().unwrap_or(libc::EIO);
        CliError::new("I/O error", errno)
    }
}

/// Attaches the action that failed to a core error: `.ctx(|| format!("error opening image {n}"))`.
pub trait Ctx<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> CliResult<T>;
}

impl<T> Ctx<T> for rbdshim_core::Result<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> CliResult<T> {
        self.map_err(|e| CliError::new(what(), e.errno()))
    }
}

impl<T> Ctx<T> for std::io::Result<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> CliResult<T> {
        self.map_err(|e| CliError::new(what(), e.raw_os_error().unwrap_or(libc::EIO)))
    }
}
