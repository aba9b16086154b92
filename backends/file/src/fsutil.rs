//! Small filesystem helpers: name encoding, atomic replacement, POSIX record locks.

use rbdshim_backend::{Error, Result};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Store files are private to their owner.
pub const FILE_MODE: u32 = 0o600;
pub const DIR_MODE: u32 = 0o700;

/// Turns a user-supplied name into a file name that can never be a path: short names become
/// lowercase hex, long ones "x" + SHA-256 (the original name is then stored in the file itself).
pub fn encode(name: &str) -> String {
    if name.is_empty() {
        return "_".to_string();
    }
    if name.len() <= 100 {
        name.bytes().map(|b| format!("{b:02x}")).collect()
    } else {
        let digest = Sha256::digest(name.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("x{hex}")
    }
}

/// Reverses [`encode`] for short names; `None` for hashed ones (read the name from the file).
pub fn decode(file: &str) -> Option<String> {
    if file == "_" {
        return Some(String::new());
    }
    if file.starts_with('x') || !file.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..file.len()).step_by(2).map(|i| u8::from_str_radix(file.get(i..i + 2)?, 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}

pub fn mkdir_all(path: &Path) -> Result<()> {
    fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(path)?;
    Ok(())
}

pub fn open_rw(path: &Path, create: bool) -> std::io::Result<File> {
    OpenOptions::new().read(true).write(true).create(create).mode(FILE_MODE).open(path)
}

/// Replaces `path` with `data` atomically: a crash leaves either the old or the new content.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    publish(path, data, |tmp, path| Ok(fs::rename(tmp, path)?))
}

/// Like [`write_atomic`] but fails with `Exists` if `path` exists.
pub fn create_atomic(path: &Path, data: &[u8]) -> Result<()> {
    // link() refuses to replace, which gives create-exclusive semantics atomically.
    publish(path, data, |tmp, path| {
        fs::hard_link(tmp, path).map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => Error::Exists,
            _ => Error::from(e),
        })
    })
}

/// Writes `data` to a synced temporary file beside `path`, lets `install` put it in place,
/// syncs the directory, and never leaves the temporary file behind.
fn publish(path: &Path, data: &[u8], install: impl FnOnce(&Path, &Path) -> Result<()>) -> Result<()> {
    let dir = path.parent().ok_or(Error::InvalidArgument("path without parent"))?;
    let tmp = dir.join(format!(".tmp.{}.{}", std::process::id(), rand::random::<u64>()));
    let result = (|| -> Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(&tmp)?;
        f.write_all(data)?;
        f.sync_data()?;
        install(&tmp, path)?;
        sync_dir(dir);
        Ok(())
    })();
    let _ = fs::remove_file(&tmp);
    result
}

pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

pub fn read_opt(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Removes a file, treating "already gone" as success.
pub fn remove_quiet(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// POSIX (per-process) write lock on byte 0 of `file`. `wait` blocks until granted.
/// Returns false if another process holds it and `wait` is false.
pub fn posix_lock(file: &File, wait: bool) -> Result<bool> {
    let mut fl = lock_struct(libc::F_WRLCK);
    let cmd = if wait { libc::F_SETLKW } else { libc::F_SETLK };
    loop {
        // SAFETY: fcntl with a valid fd and a pointer to an initialised flock struct.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), cmd, &mut fl) };
        if rc == 0 {
            return Ok(true);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) | Some(libc::EACCES) if !wait => return Ok(false),
            _ => return Err(err.into()),
        }
    }
}

pub fn posix_unlock(file: &File) -> Result<()> {
    let mut fl = lock_struct(libc::F_UNLCK);
    // SAFETY: as in posix_lock.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &mut fl) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(())
}

/// Whether a process other than this one holds a lock on byte 0 of `file`.
pub fn posix_locked_by_other(file: &File) -> Result<bool> {
    let mut fl = lock_struct(libc::F_WRLCK);
    // SAFETY: as in posix_lock; F_GETLK only fills in the struct.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut fl) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(fl.l_type != libc::F_UNLCK as libc::c_short)
}

fn lock_struct(kind: i32) -> libc::flock {
    // SAFETY: flock is plain old data; all-zero is a valid value that we then fill in.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = 0;
    fl.l_len = 1;
    fl
}

/// `fallocate(2)` with `mode` on `[off, off + len)`.
fn fallocate(file: &File, mode: i32, off: u64, len: u64) -> std::io::Result<()> {
    // SAFETY: fallocate on a valid fd; the kernel checks the range.
    let rc = unsafe { libc::fallocate(file.as_raw_fd(), mode, off as libc::off_t, len as libc::off_t) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Allocates `[off, off + len)` of a file, growing it to `off + len` if it is shorter. Unlike
/// `set_len` this never shrinks the file and never changes a byte, so it is safe while other
/// processes write the file.
pub fn allocate(file: &File, off: u64, len: u64) -> Result<()> {
    Ok(fallocate(file, 0, off, len)?)
}

/// Deallocates a byte range of a file; falls back to writing zeros where holes are unsupported.
pub fn punch_hole(file: &File, off: u64, len: u64) -> Result<()> {
    if len == 0 {
        return Ok(());
    }
    let Err(err) = fallocate(file, libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE, off, len) else {
        return Ok(());
    };
    if err.raw_os_error() != Some(libc::EOPNOTSUPP) {
        return Err(err.into());
    }
    let size = file.metadata()?.len();
    if off >= size {
        return Ok(());
    }
    let end = (off + len).min(size);
    let zeros = vec![0u8; 1 << 20];
    let mut pos = off;
    while pos < end {
        let n = ((end - pos) as usize).min(zeros.len());
        std::os::unix::fs::FileExt::write_all_at(file, &zeros[..n], pos)?;
        pos += n as u64;
    }
    Ok(())
}

/// Data (non-hole) ranges of `file` inside `[off, off+len)`, from the filesystem's own map.
pub fn data_ranges(file: &File, off: u64, len: u64) -> Result<Vec<(u64, u64)>> {
    let end = off + len;
    let mut out = Vec::new();
    let mut pos = off;
    let fd = file.as_raw_fd();
    while pos < end {
        // SAFETY: lseek on a valid fd.
        let data = unsafe { libc::lseek(fd, pos as libc::off_t, libc::SEEK_DATA) };
        if data < 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::ENXIO) {
                break;
            }
            return Err(err.into());
        }
        let data = data as u64;
        if data >= end {
            break;
        }
        // SAFETY: as above.
        let hole = unsafe { libc::lseek(fd, data as libc::off_t, libc::SEEK_HOLE) };
        let hole = if hole < 0 { end } else { (hole as u64).min(end) };
        out.push((data, hole - data));
        pos = hole;
    }
    Ok(out)
}

/// Reads into `buf` at `off`, zero-filling what lies beyond the end of the file.
pub fn read_at_zero_fill(file: &File, buf: &mut [u8], off: u64) -> Result<()> {
    use std::os::unix::fs::FileExt;
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], off + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
    }
    buf[done..].fill(0);
    Ok(())
}

/// Capacity of the filesystem holding `path`.
pub fn usage(path: &Path) -> Result<rbdshim_backend::Usage> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| Error::InvalidArgument("path"))?;
    // SAFETY: a zeroed statvfs is a valid out-struct.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: statvfs with a NUL-terminated path and a live out-struct.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    let bs = st.f_frsize as u64;
    let total = st.f_blocks as u64 * bs;
    Ok(rbdshim_backend::Usage {
        total_bytes: total,
        used_bytes: total.saturating_sub(st.f_bfree as u64 * bs),
        avail_bytes: st.f_bavail as u64 * bs,
        objects: 0,
    })
}

/// Whether a left-over might still belong to an operation in progress (younger than a minute):
/// fsck leaves those alone.
pub fn is_recent(path: &Path) -> bool {
    match std::fs::symlink_metadata(path).and_then(|m| m.modified()) {
        Ok(t) => t.elapsed().map(|d| d.as_secs() < 60).unwrap_or(true),
        Err(_) => false,
    }
}

/// Bytes of data stored under `dir`, as a pool's statistics count them.
pub fn data_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            // Data only, as Ceph's pool statistics count it: names, records and object sidecars
            // (xattrs, omap) are metadata, so a new pool uses 0 bytes.
            let name = e.file_name();
            if ["NAME", "pool.json", "records"].iter().any(|m| name == *m) || name.to_string_lossy().ends_with("~m") {
                continue;
            }
            if let Ok(m) = e.metadata() {
                if m.is_dir() {
                    total += data_bytes(&e.path());
                } else {
                    total += std::os::unix::fs::MetadataExt::blocks(&m) * 512;
                }
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_become_paths() {
        for name in ["../../x", "a/b", "..", ".", "a@b", "\u{1}"] {
            let e = encode(name);
            assert!(!e.contains('/') && !e.starts_with('.'), "{name} -> {e}");
            assert_eq!(decode(&e).as_deref(), Some(name));
        }
        let long = "n".repeat(300);
        let e = encode(&long);
        assert!(e.starts_with('x') && e.len() < 100);
        assert_eq!(decode(&e), None);
        assert_eq!(decode(&encode("")), Some(String::new()));
    }

    #[test]
    fn atomic_create_refuses_existing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        create_atomic(&p, b"one").unwrap();
        assert!(matches!(create_atomic(&p, b"two"), Err(Error::Exists)));
        write_atomic(&p, b"three").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"three");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1, "no temp files left");
    }
}
