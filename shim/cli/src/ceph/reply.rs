//! The tool's side of a command: the input file (`-i`), the output file (`-o`), and the reply
//! printed as Ceph's tool prints it: output on stdout (JSON after an empty line), the status
//! string on stderr, "Error ENOENT: ..." and the errno as exit status on failure.

use crate::error::strerror;
use crate::CliError;
use rbdshim_core::monitor::Reply;
use std::io::{Read, Write};

/// Python's errno names, as Ceph's tool prints them.
const NAMES: &[(i32, &str)] = &[
    (1, "EPERM"),
    (2, "ENOENT"),
    (5, "EIO"),
    (11, "EAGAIN"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (16, "EBUSY"),
    (17, "EEXIST"),
    (22, "EINVAL"),
    (27, "EFBIG"),
    (28, "ENOSPC"),
    (30, "EROFS"),
    (34, "ERANGE"),
    (36, "ENAMETOOLONG"),
    (38, "ENOSYS"),
    (39, "ENOTEMPTY"),
    (61, "ENODATA"),
    (95, "ENOTSUP"),
    (107, "ENOTCONN"),
    (108, "ESHUTDOWN"),
    (110, "ETIMEDOUT"),
    (122, "EDQUOT"),
];

pub fn errno_name(errno: i32) -> &'static str {
    NAMES.iter().find(|(n, _)| *n == errno).map(|(_, s)| *s).unwrap_or("Unknown")
}

/// Python's text for a failed open: "[Errno 2] No such file or directory: 'x'".
fn py_error(e: &std::io::Error, path: &str) -> String {
    match e.raw_os_error() {
        Some(n) => format!("[Errno {n}] {}: '{path}'", strerror(n)),
        None => e.to_string(),
    }
}

/// The bytes of `-i FILE` ("-": standard input).
pub fn read_input(path: &str) -> Result<Vec<u8>, CliError> {
    let r = if path == "-" {
        let mut v = Vec::new();
        std::io::stdin().read_to_end(&mut v).map(|_| v)
    } else {
        std::fs::read(path)
    };
    r.map_err(|e| CliError::new(format!("Can't open input file {path}: {}", py_error(&e, path)), 0))
}

/// Where `-o FILE` sends the output ("-": standard output). Opened before the command runs, as
/// Ceph's tool does; a new file is private to its owner (it often receives keys).
pub fn open_output(path: &str) -> Result<Box<dyn Write>, CliError> {
    if path == "-" {
        return Ok(Box::new(std::io::stdout()));
    }
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map(|f| Box::new(f) as Box<dyn Write>)
        .map_err(|e| CliError::new(format!("Can't open output file {path}: {}", py_error(&e, path)), 0))
}

/// Prints a reply; returns the exit status.
pub fn print(reply: &Reply, json: bool, out_file: Option<&mut Box<dyn Write>>) -> Result<i32, CliError> {
    match out_file {
        Some(f) => {
            f.write_all(&reply.outbuf)?;
            f.flush()?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            // Ceph's tool puts an empty line before JSON, for consumers that skip a status line.
            let r = (|| -> std::io::Result<()> {
                if json {
                    out.write_all(b"\n")?;
                }
                out.write_all(&reply.outbuf)?;
                out.flush()
            })();
            match r {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
    }
    if reply.ret < 0 {
        let errno = -reply.ret;
        eprintln!("Error {}: {}", errno_name(errno), reply.outs);
        return Ok(errno & 0xff);
    }
    if !reply.outs.is_empty() {
        eprintln!("{}", reply.outs);
    }
    Ok(0)
}
