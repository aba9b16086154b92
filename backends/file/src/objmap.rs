//! A volume's object map file (`objmap`, 8 bytes per object), read through a shared mapping.
//!
//! Reading a record is on the data path of every snapshot read and every read through a clone
//! (is the object in this image, or in its parent?), and a `pread` of 8 bytes costs a system
//! call, more than the lookup itself. The map is therefore read from a read-only shared
//! mapping, which shows every process's writes the moment they reach the page cache, as
//! `pread` would. Records are still written with `pwrite` (the file is what `fdatasync`
//! makes durable).
//!
//! A mapping must never be touched past the end of its file (SIGBUS). The object map only ever
//! grows: nothing in the store truncates it (docs/file-backend-format.md says so for other
//! implementations), so a length once seen stays valid. A record past the last length seen
//! first has its page of records allocated (which grows the file to cover it) and is then read
//! through the mapping; records the mapping cannot hold are read with `pread`.

use crate::fsutil::{self, read_at_zero_fill};
use parking_lot::RwLock;
use rbdshim_backend::Result;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{fence, AtomicU64, Ordering};

/// The smallest mapping made; it grows by doubling, so a growing image remaps rarely.
const MIN_MAP: usize = 64 * 1024;
/// The largest mapping: the records of 2^28 objects, the most an image may have (the core
/// refuses larger images). Records past it, if any, are read with `pread`.
const MAX_MAP: u64 = 8 << 28;
/// Records are made readable through the mapping a page at a time.
const PAGE: u64 = 4096;

struct Mapping {
    ptr: *const u8,
    /// Bytes mapped (may run past the end of the file; only `valid` bytes are read).
    len: usize,
}

// SAFETY: the mapping is read-only and only read through atomics; it lives until replaced or
// dropped, and both take the write side of the lock around it.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    fn new(file: &File, len: usize) -> Option<Mapping> {
        // SAFETY: a read-only shared mapping of a file we hold open; pages past the file's end
        // are never read (see `ObjectMap::valid`).
        let ptr =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_SHARED, file.as_raw_fd(), 0) };
        (ptr != libc::MAP_FAILED).then_some(Mapping { ptr: ptr as *const u8, len })
    }

    /// The record at byte `at` (a multiple of 8, `at + 8 <= len`, within the file).
    fn load(&self, at: usize) -> u64 {
        debug_assert!(at.is_multiple_of(8) && at + 8 <= self.len);
        // SAFETY: in bounds (checked by the caller against the mapped and the file's length),
        // 8-byte aligned (page-aligned base), and other processes change it only by writing
        // whole records.
        let word = unsafe { &*(self.ptr.add(at) as *const AtomicU64) };
        u64::from_le(word.load(Ordering::Acquire))
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what `new` mapped; no reference into it outlives the lock
        // guard that gave it.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
    }
}

pub(crate) struct ObjectMap {
    file: File,
    map: RwLock<Option<Mapping>>,
    /// Bytes of the file known to exist (the file only grows).
    valid: AtomicU64,
}

impl ObjectMap {
    pub(crate) fn new(file: File) -> ObjectMap {
        ObjectMap { file, map: RwLock::new(None), valid: AtomicU64::new(0) }
    }

    /// The file itself, for range scans, writes and flushes.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// The record of object `objno` (0 if it was never written). Reads made before this call
    /// (the bytes a snapshot read takes before checking the record) stay before it.
    pub(crate) fn get(&self, objno: u64) -> Result<u64> {
        fence(Ordering::Acquire);
        if objno >= MAX_MAP / 8 {
            return self.pread(objno);
        }
        // In range of the mapping, so `at + 8` cannot overflow anywhere below.
        let at = objno * 8;
        if let Some(rec) = self.mapped(at) {
            return Ok(rec);
        }
        // Past what was seen. Allocating the page of records that holds this one makes sure
        // the file covers it (growing it if needed, never changing a byte), so this and its
        // neighbours are read from the mapping from now on, without a system call: the records
        // of a clone's unwritten objects are read on every read that falls through to the
        // parent. One block per page of records read, as writing one of them would take.
        let page = at & !(PAGE - 1);
        let len = match fsutil::allocate(&self.file, page, PAGE) {
            Ok(()) => Some(page + PAGE),
            Err(_) => self.file.metadata().ok().map(|m| m.len()), // no fallocate here (or no space)
        };
        if let Some(len) = len.filter(|l| *l > self.valid.load(Ordering::Acquire)) {
            self.grow(len);
            if let Some(rec) = self.mapped(at) {
                return Ok(rec);
            }
        }
        self.pread(objno)
    }

    fn pread(&self, objno: u64) -> Result<u64> {
        let mut b = [0u8; 8];
        // A record past the largest file offset was never written.
        let Some(at) = objno.checked_mul(8).filter(|at| *at <= i64::MAX as u64 - 8) else { return Ok(0) };
        read_at_zero_fill(&self.file, &mut b, at)?;
        Ok(u64::from_le_bytes(b))
    }

    pub(crate) fn put(&self, objno: u64, rec: u64) -> Result<()> {
        Ok(self.file.write_all_at(&rec.to_le_bytes(), objno * 8)?)
    }

    fn mapped(&self, at: u64) -> Option<u64> {
        if at + 8 > self.valid.load(Ordering::Acquire) {
            return None;
        }
        let m = self.map.read();
        let m = m.as_ref()?;
        (at + 8 <= m.len as u64).then(|| m.load(at as usize))
    }

    /// Records that the file is `len` bytes long, mapping more of it if needed. Without a
    /// mapping (mmap refused) records are read with `pread`.
    fn grow(&self, len: u64) {
        let mut m = self.map.write();
        let mapped = m.as_ref().map_or(0, |m| m.len as u64);
        if len > mapped && mapped < MAX_MAP {
            let want = len.max(MIN_MAP as u64).next_power_of_two().min(MAX_MAP);
            match usize::try_from(want).ok().and_then(|want| Mapping::new(&self.file, want)) {
                Some(new) => *m = Some(new),
                None => return,
            }
        }
        self.valid.fetch_max(len, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_written_by_another_descriptor_show_through_the_mapping() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("objmap");
        let open =
            || std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).unwrap();
        let map = ObjectMap::new(open());
        let other = open(); // as another process would write it
        assert_eq!(map.get(0).unwrap(), 0);
        assert_eq!(map.get(1 << 40).unwrap(), 0, "far past the end reads as never written");
        assert_eq!(map.get(u64::MAX / 8).unwrap(), 0, "no offset arithmetic overflows");
        assert_eq!(map.get(u64::MAX).unwrap(), 0);
        assert!(map.valid.load(Ordering::SeqCst) >= 4096, "the first page of records is mapped");
        other.write_all_at(&7u64.to_le_bytes(), 3 * 8).unwrap();
        assert_eq!(map.get(3).unwrap(), 7);
        other.write_all_at(&9u64.to_le_bytes(), 3 * 8).unwrap();
        assert_eq!(map.get(3).unwrap(), 9, "a mapped record is read afresh");
        // Growth past the first mapping: the map follows the file.
        let far = (MIN_MAP as u64 / 8) * 3 + 5;
        other.write_all_at(&11u64.to_le_bytes(), far * 8).unwrap();
        assert_eq!(map.get(far).unwrap(), 11);
        assert_eq!(map.get(3).unwrap(), 9);
        map.put(far + 1, 12).unwrap();
        assert_eq!(map.get(far + 1).unwrap(), 12);
        assert_eq!(map.get(far + 2).unwrap(), 0);
    }
}
