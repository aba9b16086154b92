//! The embedded metadata store: one host, one append-only log file.
//!
//! `meta/log` holds transactions as length- and CRC-framed records; every process keeps the
//! whole map in memory and reads only what others appended since its last look. A POSIX lock on
//! `meta/lock` serialises processes; a writer
//! syncs its record before the transaction counts as done. A torn record at the end (a crash
//! mid-append) is cut off by the next writer; a bad record anywhere else is corruption and is
//! reported, never skipped. When the log is mostly superseded it is rewritten and renamed into
//! place, which other processes notice by its new inode.
//!
//! Sessions are files under `meta/sessions/` that their process keeps locked: a session ends
//! exactly when its process does.

use super::{Cmp, MetaStore, Op};
use crate::error::{CurveError, CurveResult};
use parking_lot::Mutex;
use rbdshim_backend_file::fsutil::{posix_lock, posix_locked_by_other, posix_unlock};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 16] = b"rbdshim-cmeta-1\n";
const COMPACT_AT: u64 = 1 << 20;

pub struct Embedded {
    dir: PathBuf,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Fork generation + 1 the open files belong to (0: none open yet).
    gen: u64,
    lock: Option<File>,
    log: Option<File>,
    ino: u64,
    offset: u64,
    live_bytes: u64,
    map: BTreeMap<String, Vec<u8>>,
    session: Option<(String, File)>,
}

fn open_rw(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o600).open(path)
}

/// Space kept allocated past the end of the log, so that metadata can still be written when
/// chunk data has filled the filesystem (opening a volume to read or to free space needs a
/// session and a record or two).
const RESERVE: u64 = 1 << 20;

/// Allocates the reserve beyond `end` without changing the file's size. Best effort: a
/// filesystem without fallocate, or one already full, simply has no reserve.
fn reserve(log: &File, end: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: fallocate on an open descriptor with a valid range; it touches no memory of ours.
    let r = unsafe {
        libc::fallocate(log.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, end as libc::off_t, RESERVE as libc::off_t)
    };
    if r != 0 {
        tracing::debug!("metadata log reserve: {}", std::io::Error::last_os_error());
    }
}

fn encode(ops: &[Op]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&(ops.len() as u32).to_le_bytes());
    for op in ops {
        let (tag, key, val) = match op {
            Op::Put(k, v) => (1u8, k, Some(v)),
            Op::Delete(k) => (2u8, k, None),
        };
        p.push(tag);
        p.extend_from_slice(&(key.len() as u32).to_le_bytes());
        p.extend_from_slice(key.as_bytes());
        if let Some(v) = val {
            p.extend_from_slice(&(v.len() as u32).to_le_bytes());
            p.extend_from_slice(v);
        }
    }
    let mut rec = Vec::with_capacity(p.len() + 8);
    rec.extend_from_slice(&(p.len() as u32).to_le_bytes());
    rec.extend_from_slice(&crc32fast::hash(&p).to_le_bytes());
    rec.extend_from_slice(&p);
    rec
}

fn decode(p: &[u8]) -> Option<Vec<Op>> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = p.get(at..at.checked_add(n)?)?;
        at += n;
        Some(s)
    };
    let u32_of = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize;
    let n = u32_of(take(4)?);
    let mut ops = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let tag = take(1)?[0];
        let klen = u32_of(take(4)?);
        let key = String::from_utf8(take(klen)?.to_vec()).ok()?;
        ops.push(match tag {
            1 => {
                let vlen = u32_of(take(4)?);
                Op::Put(key, take(vlen)?.to_vec())
            }
            2 => Op::Delete(key),
            _ => return None,
        });
    }
    (at == p.len()).then_some(ops)
}

impl State {
    fn apply(&mut self, ops: &[Op]) {
        for op in ops {
            match op {
                Op::Put(k, v) => {
                    if let Some(old) = self.map.insert(k.clone(), v.clone()) {
                        self.live_bytes -= (k.len() + old.len()) as u64;
                    }
                    self.live_bytes += (k.len() + v.len()) as u64;
                }
                Op::Delete(k) => {
                    if let Some(old) = self.map.remove(k) {
                        self.live_bytes -= (k.len() + old.len()) as u64;
                    }
                }
            }
        }
    }
}

impl Embedded {
    pub fn open(dir: &Path) -> CurveResult<Embedded> {
        rbdshim_backend_file::fsutil::mkdir_all(&dir.join("sessions"))?;
        let e = Embedded { dir: dir.to_path_buf(), state: Mutex::new(State::default()) };
        // Fail early on a store that does not decode.
        e.read(|_| Ok(()))?;
        Ok(e)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("log")
    }

    /// Opens the files in this process (again after a fork: POSIX locks are not inherited).
    fn files(&self, st: &mut State) -> CurveResult<()> {
        let gen = rbdshim_backend::fork::generation() + 1;
        if st.gen != gen {
            *st = State { gen, lock: Some(open_rw(&self.dir.join("lock"))?), ..State::default() };
        }
        Ok(())
    }

    /// Brings the in-memory map up to date with the log. With `writer`, a torn tail is cut off.
    fn refresh(&self, st: &mut State, writer: bool) -> CurveResult<()> {
        let path = self.log_path();
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && writer => {
                let f = open_rw(&path)?;
                f.write_all_at(MAGIC, 0)?;
                f.sync_all()?;
                f.metadata()?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if st.log.is_none() || meta.ino() != st.ino {
            let f = open_rw(&path)?;
            if meta.len() == 0 && writer {
                // Created, then a crash before its header was written: nothing was ever in it.
                f.write_all_at(MAGIC, 0)?;
                f.sync_all()?;
            }
            let mut magic = [0u8; 16];
            f.read_exact_at(&mut magic, 0).map_err(|_| corrupt(&path, "no header"))?;
            if &magic != MAGIC {
                return Err(corrupt(&path, "not a metadata log"));
            }
            st.ino = f.metadata()?.ino();
            st.log = Some(f);
            st.offset = MAGIC.len() as u64;
            st.map.clear();
            st.live_bytes = 0;
        }
        let buf = {
            let Some(log) = st.log.as_ref() else { return Ok(()) };
            let size = log.metadata()?.len();
            if size <= st.offset {
                return Ok(());
            }
            let mut buf = vec![0u8; (size - st.offset) as usize];
            log.read_exact_at(&mut buf, st.offset)?;
            buf
        };
        let mut at = 0usize;
        let mut batches = Vec::new();
        while at < buf.len() {
            if buf.len() - at < 8 {
                break;
            }
            let len = u32::from_le_bytes(buf[at..at + 4].try_into().unwrap_or_default()) as usize;
            if len == 0 && buf[at..].iter().all(|b| *b == 0) {
                // A crash extended the file without writing the record: a torn tail.
                break;
            }
            let crc = u32::from_le_bytes(buf[at + 4..at + 8].try_into().unwrap_or_default());
            let end = at + 8 + len;
            if end > buf.len() {
                break;
            }
            let payload = &buf[at + 8..end];
            let ops = (crc32fast::hash(payload) == crc).then(|| decode(payload)).flatten();
            match ops {
                Some(ops) => batches.push(ops),
                None if end == buf.len() => break,
                None => return Err(corrupt(&path, &format!("bad record at {}", st.offset + at as u64))),
            }
            at = end;
        }
        for ops in &batches {
            st.apply(ops);
        }
        st.offset += at as u64;
        if let Some(log) = st.log.as_ref().filter(|_| at < buf.len() && writer) {
            // The tail of an append that never completed: no one acknowledged it.
            log.set_len(st.offset)?;
        }
        Ok(())
    }

    /// Runs `f` on the up-to-date state with the store locked against other processes;
    /// `writer` may cut a torn tail off the log.
    fn locked<T>(&self, writer: bool, f: impl FnOnce(&mut State) -> CurveResult<T>) -> CurveResult<T> {
        let mut st = self.state.lock();
        self.files(&mut st)?;
        let lock = st.lock.take();
        let r = (|| {
            let l = lock.as_ref().ok_or(CurveError::InternalError)?;
            posix_lock(l, true)?;
            let r = self.refresh(&mut st, writer).and_then(|_| f(&mut st));
            posix_unlock(l)?;
            r
        })();
        st.lock = lock;
        r
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> CurveResult<T>) -> CurveResult<T> {
        self.locked(false, |st| f(st))
    }

    fn write<T>(&self, f: impl FnOnce(&mut State) -> CurveResult<(Vec<Op>, T)>) -> CurveResult<T> {
        self.locked(true, |st| {
            let (ops, out) = f(st)?;
            if !ops.is_empty() {
                self.append(st, &ops)?;
            }
            Ok(out)
        })
    }

    fn append(&self, st: &mut State, ops: &[Op]) -> CurveResult<()> {
        let rec = encode(ops);
        let log = st.log.as_ref().ok_or(CurveError::InternalError)?;
        log.write_all_at(&rec, st.offset)?;
        log.sync_data()?;
        st.offset += rec.len() as u64;
        reserve(log, st.offset);
        st.apply(ops);
        if st.offset > COMPACT_AT && st.offset > 4 * st.live_bytes {
            // The transaction is durable already: a failed compaction (no space) only leaves
            // the log longer.
            if let Err(e) = self.compact(st) {
                tracing::warn!("metadata log compaction failed: {e}");
            }
        }
        Ok(())
    }

    /// Rewrites the log as one record of the live map.
    fn compact(&self, st: &mut State) -> CurveResult<()> {
        let tmp = self.dir.join("log.new");
        let f = open_rw(&tmp)?;
        f.set_len(0)?;
        let ops: Vec<Op> = st.map.iter().map(|(k, v)| Op::Put(k.clone(), v.clone())).collect();
        let rec = encode(&ops);
        f.write_all_at(MAGIC, 0)?;
        f.write_all_at(&rec, MAGIC.len() as u64)?;
        f.sync_all()?;
        std::fs::rename(&tmp, self.log_path())?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        st.ino = f.metadata()?.ino();
        st.offset = (MAGIC.len() + rec.len()) as u64;
        st.log = Some(f);
        Ok(())
    }

    /// Checks that the whole log decodes (fsck).
    pub fn check(&self) -> CurveResult<usize> {
        self.read(|st| Ok(st.map.len()))
    }
}

fn corrupt(path: &Path, why: &str) -> CurveError {
    CurveError::Store(rbdshim_backend::Error::Corrupt(format!("{}: {why}", path.display())))
}

impl MetaStore for Embedded {
    fn get(&self, key: &str) -> CurveResult<Option<Vec<u8>>> {
        self.read(|st| Ok(st.map.get(key).cloned()))
    }

    fn list(&self, prefix: &str) -> CurveResult<Vec<(String, Vec<u8>)>> {
        self.read(|st| {
            Ok(st
                .map
                .range(prefix.to_string()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect())
        })
    }

    fn txn(&self, cmps: &[Cmp], ops: &[Op]) -> CurveResult<bool> {
        self.write(|st| {
            let holds = cmps.iter().all(|c| match c {
                Cmp::Value(k, want) => st.map.get(k) == want.as_ref(),
            });
            Ok(if holds { (ops.to_vec(), true) } else { (Vec::new(), false) })
        })
    }

    fn session(&self) -> CurveResult<String> {
        let mut st = self.state.lock();
        self.files(&mut st)?;
        if let Some((id, _)) = &st.session {
            return Ok(id.clone());
        }
        // The pid keeps ids of processes forked from one parent apart (they may share its
        // random number generator state).
        let id = format!("{:08x}{:016x}", std::process::id(), rand::random::<u64>());
        let dir = self.dir.join("sessions");
        // Locked under a hidden name first: a checker must never see it unlocked.
        let tmp = dir.join(format!(".new-{id}"));
        let f = OpenOptions::new().read(true).write(true).create_new(true).mode(0o600).open(&tmp)?;
        if !posix_lock(&f, false)? {
            return Err(CurveError::InternalError);
        }
        // Empty (its name holds the pid): creating it needs no data block on a full filesystem.
        std::fs::rename(&tmp, dir.join(&id))?;
        st.session = Some((id.clone(), f));
        Ok(id)
    }

    fn session_alive(&self, id: &str) -> CurveResult<bool> {
        {
            let st = self.state.lock();
            if st.gen == rbdshim_backend::fork::generation() + 1 && st.session.as_ref().is_some_and(|(s, _)| s == id) {
                return Ok(true);
            }
        }
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(false);
        }
        let path = self.dir.join("sessions").join(id);
        let f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        if posix_locked_by_other(&f)? {
            return Ok(true);
        }
        let _ = std::fs::remove_file(&path);
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_reopen_and_compaction() {
        let d = tempfile::tempdir().unwrap();
        let m = Embedded::open(d.path()).unwrap();
        for i in 0..3000u32 {
            assert!(m.txn(&[], &[Op::Put("k".into(), vec![(i % 250) as u8; 600])]).unwrap());
        }
        assert!(m.txn(&[Cmp::Value("a".into(), None)], &[Op::Put("a".into(), b"1".to_vec())]).unwrap());
        assert!(!m.txn(&[Cmp::Value("a".into(), None)], &[Op::Put("a".into(), b"2".to_vec())]).unwrap());
        assert!(std::fs::metadata(d.path().join("log")).unwrap().len() < 2 * COMPACT_AT, "compacted");
        let other = Embedded::open(d.path()).unwrap();
        assert_eq!(other.get("a").unwrap().unwrap(), b"1");
        assert_eq!(other.get("k").unwrap().unwrap(), vec![(2999 % 250) as u8; 600]);
        // A second instance sees a later write by the first (another process, in effect).
        m.txn(&[], &[Op::Put("b/1".into(), vec![]), Op::Put("b/2".into(), vec![1]), Op::Delete("a".into())]).unwrap();
        assert_eq!(other.list("b/").unwrap().len(), 2);
        assert_eq!(other.get("a").unwrap(), None);
    }

    #[test]
    fn torn_tail_is_dropped_and_damage_is_reported() {
        let d = tempfile::tempdir().unwrap();
        let m = Embedded::open(d.path()).unwrap();
        m.txn(&[], &[Op::Put("x".into(), b"1".to_vec())]).unwrap();
        m.txn(&[], &[Op::Put("y".into(), b"2".to_vec())]).unwrap();
        let log = d.path().join("log");
        let len = std::fs::metadata(&log).unwrap().len();
        // A crash half-way through the last append.
        std::fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(len - 3).unwrap();
        let m2 = Embedded::open(d.path()).unwrap();
        assert_eq!(m2.get("x").unwrap().unwrap(), b"1");
        assert_eq!(m2.get("y").unwrap(), None);
        m2.txn(&[], &[Op::Put("z".into(), b"3".to_vec())]).unwrap();
        assert_eq!(Embedded::open(d.path()).unwrap().get("z").unwrap().unwrap(), b"3");
        // A flipped byte inside an earlier record is corruption, not a tail.
        let mut raw = std::fs::read(&log).unwrap();
        raw[MAGIC.len() + 10] ^= 0xff;
        std::fs::write(&log, raw).unwrap();
        assert!(matches!(Embedded::open(d.path()), Err(CurveError::Store(rbdshim_backend::Error::Corrupt(_)))));
    }

    #[test]
    fn sessions_end_with_their_process() {
        let d = tempfile::tempdir().unwrap();
        let m = Embedded::open(d.path()).unwrap();
        let me = m.session().unwrap();
        assert_eq!(m.session().unwrap(), me);
        assert!(m.session_alive(&me).unwrap());
        assert!(!m.session_alive("0123").unwrap());
        assert!(!m.session_alive("../x").unwrap());
        // SAFETY: the child only calls into this store and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let code = match m.session() {
                Ok(s) if s != me && m.session_alive(&me).unwrap_or(false) => 0,
                _ => 1,
            };
            // SAFETY: leaving the forked child without running the parent's destructors.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waiting for the child forked above.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(libc::WEXITSTATUS(status), 0);
    }
}
