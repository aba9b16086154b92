//! A volume on local files: head data in sparse segment files, per-object records in a sparse
//! object map, snapshot versions of objects in clone files.
//!
//! Layout of a volume directory (see docs/file-backend-format.md):
//! - `volume`: JSON `{"format":1,"order":N}`.
//! - `objmap`: 8 bytes (little-endian) per object: bit 63 = object exists in the head, bit 62 =
//!   the object has clones (a `snaps/` file), bits 0..56 = `hseq`, the snapshot sequence at which
//!   the head version was born. An all-zero record is an object that never existed. Read
//!   through a shared mapping (`objmap.rs`), so the file never shrinks.
//! - `data/<segment hex>`: head data, 4 GiB per segment file, sparse.
//! - `snaps/<objno hex>`: the object's clones, pairs of little-endian u64 `(h, k)`: a clone holds
//!   the version born at `h` and preserved at `k`, and serves snapshots `s` with `h < s <= k`.
//! - `clones/<objno hex>@<h>-<k>`: that version's bytes (immutable once renamed into place).
//!
//! Copy-on-write happens at object granularity when a write reaches an object whose head version
//! is older than the newest snapshot that needs it. Order of updates (crash safety): clone file,
//! then snapset, then the record, then the data. Readers of a snapshot read the head's bytes and
//! then the record: if the record still gives the head to their snapshot, the bytes were its;
//! otherwise they read the clone the record now points to.

use crate::fsutil::{self, data_ranges, mkdir_all, open_rw, punch_hole, read_at_zero_fill};
use crate::objmap::ObjectMap;
use parking_lot::{Mutex, MutexGuard, RwLock};
use rbdshim_backend::{Error, ObjectChange, Result, SnapContext, SnapId, View, Volume};
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

const EXISTS: u64 = 1 << 63;
const CLONES: u64 = 1 << 62;
const SEQ_MASK: u64 = (1 << 56) - 1;
const SEG_SHIFT: u32 = 32;
const STRIPES: usize = 128;

fn hseq(rec: u64) -> u64 {
    rec & SEQ_MASK
}
fn exists(rec: u64) -> bool {
    rec & EXISTS != 0
}

/// Which stored bytes hold an object's content in some view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Head(u64),
    Clone(u64, u64),
    Absent,
}

impl Version {
    /// Identity of the content: the sequence at which it was born.
    fn birth(self) -> Option<u64> {
        match self {
            Version::Head(h) | Version::Clone(h, _) => Some(h),
            Version::Absent => None,
        }
    }
}

pub struct FileVolume {
    dir: PathBuf,
    order: u8,
    objmap: ObjectMap,
    segments: RwLock<HashMap<u64, Arc<File>>>,
    stripes: Vec<Mutex<HashMap<u64, u64>>>,
    /// Fork generation + 1 while this process may cache records (0: never). A forked child
    /// sees another generation, so it never trusts what its parent cached.
    cached: AtomicU64,
    new_segment: AtomicBool,
}

pub fn create(dir: &Path, order: u8) -> Result<()> {
    for sub in ["data", "snaps", "clones"] {
        mkdir_all(&dir.join(sub))?;
    }
    open_rw(&dir.join("objmap"), true)?;
    let meta = format!("{{\"format\":1,\"order\":{order}}}");
    fsutil::write_atomic(&dir.join("volume"), meta.as_bytes())
}

impl FileVolume {
    pub fn open(dir: &Path) -> Result<FileVolume> {
        let meta = fsutil::read_opt(&dir.join("volume"))?.ok_or(Error::NotFound)?;
        let v: serde_json::Value =
            serde_json::from_slice(&meta).map_err(|e| Error::Corrupt(format!("{}: {e}", dir.display())))?;
        let order = v
            .get("order")
            .and_then(|o| o.as_u64())
            .filter(|o| (9..=SEG_SHIFT as u64).contains(o))
            .ok_or_else(|| Error::Corrupt(format!("{}: bad order", dir.display())))? as u8;
        let objmap = ObjectMap::new(open_rw(&dir.join("objmap"), true)?);
        Ok(FileVolume {
            dir: dir.to_path_buf(),
            order,
            objmap,
            segments: RwLock::new(HashMap::new()),
            stripes: (0..STRIPES).map(|_| Mutex::new(HashMap::new())).collect(),
            cached: AtomicU64::new(0),
            new_segment: AtomicBool::new(false),
        })
    }

    /// The sequence at which the content object `objno` shows in `view` was born (`None`:
    /// absent). Equal births mean equal bytes: a snapshot service copies out only objects
    /// whose birth it has not stored yet.
    pub fn birth(&self, view: View, objno: u64) -> Result<Option<u64>> {
        let rec = self.read_rec(objno)?;
        Ok(self.version_at(objno, rec, view)?.birth())
    }

    fn obj_size(&self) -> u64 {
        1 << self.order
    }

    fn is_cached(&self) -> bool {
        self.cached.load(Ordering::Acquire) == rbdshim_backend::fork::generation() + 1
    }

    /// (segment number, byte offset of the object inside the segment file)
    fn place(&self, objno: u64) -> (u64, u64) {
        let per_seg = 1u64 << (SEG_SHIFT - self.order as u32);
        (objno / per_seg, (objno % per_seg) << self.order)
    }

    fn segment(&self, segno: u64, create: bool) -> Result<Option<Arc<File>>> {
        if let Some(f) = self.segments.read().get(&segno) {
            return Ok(Some(f.clone()));
        }
        let path = self.dir.join("data").join(format!("{segno:x}"));
        let existed = create && path.exists();
        let file = match open_rw(&path, create) {
            Ok(f) => {
                if create && !existed {
                    self.new_segment.store(true, Ordering::Release);
                }
                Arc::new(f)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        // Segment files are never unlinked while the volume exists, so a descriptor stays valid
        // for every process however the volume changes.
        Ok(Some(self.segments.write().entry(segno).or_insert(file).clone()))
    }

    fn stripe(&self, objno: u64) -> MutexGuard<'_, HashMap<u64, u64>> {
        self.stripes[(objno as usize) % STRIPES].lock()
    }

    fn get_rec(&self, cache: &mut HashMap<u64, u64>, objno: u64) -> Result<u64> {
        let cached = self.is_cached();
        if cached {
            if let Some(r) = cache.get(&objno) {
                return Ok(*r);
            }
        }
        let rec = self.read_rec(objno)?;
        if cached {
            cache.insert(objno, rec);
        }
        Ok(rec)
    }

    fn read_rec(&self, objno: u64) -> Result<u64> {
        self.objmap.get(objno)
    }

    fn put_rec(&self, cache: &mut HashMap<u64, u64>, objno: u64, rec: u64) -> Result<()> {
        self.objmap.put(objno, rec)?;
        if self.is_cached() {
            cache.insert(objno, rec);
        }
        Ok(())
    }

    fn snapset_path(&self, objno: u64) -> PathBuf {
        self.dir.join("snaps").join(format!("{objno:x}"))
    }

    fn clone_path(&self, objno: u64, h: u64, k: u64) -> PathBuf {
        self.dir.join("clones").join(format!("{objno:x}@{h:x}-{k:x}"))
    }

    fn read_snapset(&self, objno: u64) -> Result<Vec<(u64, u64)>> {
        let Some(raw) = fsutil::read_opt(&self.snapset_path(objno))? else { return Ok(Vec::new()) };
        if raw.len() % 16 != 0 {
            return Err(Error::Corrupt(format!("snapset of object {objno:x} in {}", self.dir.display())));
        }
        Ok(raw
            .chunks_exact(16)
            .map(|c| {
                let h = u64::from_le_bytes(c[..8].try_into().unwrap_or_default());
                let k = u64::from_le_bytes(c[8..].try_into().unwrap_or_default());
                (h, k)
            })
            .collect())
    }

    fn write_snapset(&self, objno: u64, set: &[(u64, u64)]) -> Result<()> {
        if set.is_empty() {
            return fsutil::remove_quiet(&self.snapset_path(objno));
        }
        let mut raw = Vec::with_capacity(set.len() * 16);
        for (h, k) in set {
            raw.extend_from_slice(&h.to_le_bytes());
            raw.extend_from_slice(&k.to_le_bytes());
        }
        fsutil::write_atomic(&self.snapset_path(objno), &raw)
    }

    fn version_at(&self, objno: u64, rec: u64, view: View) -> Result<Version> {
        match view {
            View::Head => Ok(if exists(rec) { Version::Head(hseq(rec)) } else { Version::Absent }),
            View::Snap(s) => {
                if rec & CLONES != 0 {
                    if let Some(&(h, k)) = self.read_snapset(objno)?.iter().find(|(h, k)| *h < s && s <= *k) {
                        return Ok(Version::Clone(h, k));
                    }
                }
                Ok(if exists(rec) && hseq(rec) < s { Version::Head(hseq(rec)) } else { Version::Absent })
            }
        }
    }

    /// Preserves the head version for live snapshots before it changes, and moves the record to
    /// the newest sequence. Persists the record itself when a clone was made (readers must see
    /// the clone before the head changes).
    fn cow(&self, cache: &mut HashMap<u64, u64>, objno: u64, rec: u64, snapc: &SnapContext) -> Result<u64> {
        let h = hseq(rec);
        if h >= snapc.seq {
            return Ok(rec);
        }
        let mut new = (rec & !SEQ_MASK) | (snapc.seq & SEQ_MASK);
        let needed = snapc.snaps.iter().any(|&s| s > h && s <= snapc.seq);
        if exists(rec) && needed {
            let mut set = if rec & CLONES != 0 { self.read_snapset(objno)? } else { Vec::new() };
            if !set.contains(&(h, snapc.seq)) {
                self.copy_out(objno, &self.clone_path(objno, h, snapc.seq))?;
                set.push((h, snapc.seq));
                self.write_snapset(objno, &set)?;
            }
            new |= CLONES;
            self.put_rec(cache, objno, new)?;
        }
        Ok(new)
    }

    /// Copies the head bytes of an object into a new immutable file.
    fn copy_out(&self, objno: u64, dest: &Path) -> Result<()> {
        let tmp = dest.with_extension(format!("tmp{}", std::process::id()));
        let out = open_rw(&tmp, true)?;
        out.set_len(0)?;
        let (segno, base) = self.place(objno);
        if let Some(seg) = self.segment(segno, false)? {
            copy_ranges(&seg, base, &out, self.obj_size())?;
        }
        self.install_clone(out, &tmp, dest)
    }

    /// Makes a clone file durable under its final name before anything refers to it: the
    /// snapset that names it, and then the head that overwrites the old data, may reach the
    /// disk before a later flush would.
    fn install_clone(&self, file: File, tmp: &Path, dest: &Path) -> Result<()> {
        file.sync_data()?;
        drop(file);
        std::fs::rename(tmp, dest)?;
        fsutil::sync_dir(&self.dir.join("clones"));
        Ok(())
    }

    /// Replaces the head bytes of an object with those of a clone file (or zeros).
    fn copy_in(&self, objno: u64, src: Option<&Path>) -> Result<()> {
        let (segno, base) = self.place(objno);
        let seg = self.segment(segno, true)?.ok_or(Error::NotFound)?;
        punch_hole(&seg, base, self.obj_size())?;
        if let Some(src) = src {
            let f = File::open(src)?;
            for (off, len) in data_ranges(&f, 0, self.obj_size())? {
                let mut buf = vec![0u8; len as usize];
                read_at_zero_fill(&f, &mut buf, off)?;
                seg.write_all_at(&buf, base + off)?;
            }
        }
        Ok(())
    }

    /// Calls `f` for each object piece of `[off, off+len)`: (objno, offset in object, length,
    /// offset in the caller's buffer).
    fn pieces(&self, off: u64, len: u64, mut f: impl FnMut(u64, u64, u64, usize) -> Result<()>) -> Result<()> {
        let size = self.obj_size();
        let mut pos = off;
        let end = off.checked_add(len).ok_or(Error::InvalidArgument("offset overflow"))?;
        while pos < end {
            let objno = pos >> self.order;
            let in_obj = pos & (size - 1);
            let n = (size - in_obj).min(end - pos);
            f(objno, in_obj, n, (pos - off) as usize)?;
            pos += n;
        }
        Ok(())
    }

    /// Object numbers whose record is not all-zero, in `[first, last]`, with their records.
    fn records(&self, first: u64, last: u64) -> Result<Vec<(u64, u64)>> {
        let mut out = Vec::new();
        let start = first.saturating_mul(8);
        let end = last.saturating_add(1).saturating_mul(8);
        for (off, len) in data_ranges(self.objmap.file(), start, end - start)? {
            let lo = off / 8 * 8;
            let hi = ((off + len).div_ceil(8) * 8).min(end);
            let mut buf = vec![0u8; (hi - lo) as usize];
            read_at_zero_fill(self.objmap.file(), &mut buf, lo)?;
            for (i, c) in buf.chunks_exact(8).enumerate() {
                let rec = u64::from_le_bytes(c.try_into().unwrap_or_default());
                if rec != 0 {
                    out.push((lo / 8 + i as u64, rec));
                }
            }
        }
        // Records are written through, so the file is current even while they are cached.
        Ok(out)
    }

    /// The head's bytes of object `objno` from `in_obj` (zeros where nothing was written).
    fn read_head(&self, objno: u64, in_obj: u64, out: &mut [u8]) -> Result<()> {
        let (segno, base) = self.place(objno);
        match self.segment(segno, false)? {
            Some(seg) => read_at_zero_fill(&seg, out, base + in_obj),
            None => {
                out.fill(0);
                Ok(())
            }
        }
    }

    /// Fills `out` with what `version` of object `objno` holds from `in_obj`; for the head,
    /// `have_head` says `out` already holds its bytes.
    fn read_version(&self, objno: u64, in_obj: u64, out: &mut [u8], version: Version, have_head: bool) -> Result<()> {
        match version {
            Version::Absent => {
                out.fill(0);
                Ok(())
            }
            Version::Clone(h, k) => {
                let f = File::open(self.clone_path(objno, h, k))?;
                read_at_zero_fill(&f, out, in_obj)
            }
            Version::Head(_) if have_head => Ok(()),
            Version::Head(_) => self.read_head(objno, in_obj, out),
        }
    }

    fn discard_piece(&self, snapc: &SnapContext, objno: u64, in_obj: u64, n: u64, keep: bool) -> Result<()> {
        let mut cache = self.stripe(objno);
        let rec = self.get_rec(&mut cache, objno)?;
        if !exists(rec) && !keep {
            return Ok(());
        }
        let whole = in_obj == 0 && n == self.obj_size();
        let mut new = self.cow(&mut cache, objno, rec, snapc)?;
        let (segno, base) = self.place(objno);
        if let Some(seg) = self.segment(segno, false)? {
            punch_hole(&seg, base + in_obj, n)?;
        }
        if keep {
            new |= EXISTS;
        } else if whole {
            new &= !EXISTS;
        }
        if new != rec {
            self.put_rec(&mut cache, objno, new)?;
        }
        Ok(())
    }
}

fn copy_ranges(src: &File, base: u64, dst: &File, len: u64) -> Result<()> {
    for (off, n) in data_ranges(src, base, len)? {
        let mut buf = vec![0u8; n as usize];
        read_at_zero_fill(src, &mut buf, off)?;
        dst.write_all_at(&buf, off - base)?;
    }
    Ok(())
}

impl Volume for FileVolume {
    fn order(&self) -> u8 {
        self.order
    }

    fn read(&self, view: View, off: u64, buf: &mut [u8]) -> Result<()> {
        let len = buf.len() as u64;
        self.pieces(off, len, |objno, in_obj, n, at| {
            let out = &mut buf[at..at + n as usize];
            match view {
                View::Head => self.read_head(objno, in_obj, out),
                View::Snap(_) if !self.is_cached() => {
                    let _stripe = self.stripe(objno);
                    // The head's bytes first, then the record: a writer preserves a version for
                    // the snapshots (clone, snapset, record) before it changes the head's bytes,
                    // and records only move on, so if the record read after the bytes still
                    // gives the head to this snapshot, the bytes were the snapshot's. One record
                    // read per IO instead of one before and one after.
                    self.read_head(objno, in_obj, out)?;
                    let rec = self.read_rec(objno)?;
                    self.read_version(objno, in_obj, out, self.version_at(objno, rec, view)?, true)
                }
                View::Snap(_) => {
                    // Records cached: this process holds the exclusive lock, no other writes.
                    let mut cache = self.stripe(objno);
                    let rec = self.get_rec(&mut cache, objno)?;
                    self.read_version(objno, in_obj, out, self.version_at(objno, rec, view)?, false)
                }
            }
        })
    }

    fn write(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> Result<()> {
        self.pieces(off, data.len() as u64, |objno, in_obj, n, at| {
            let piece = &data[at..at + n as usize];
            let (segno, base) = self.place(objno);
            let mut cache = self.stripe(objno);
            let rec = self.get_rec(&mut cache, objno)?;
            if exists(rec) && hseq(rec) >= snapc.seq {
                // Fast path: allocated and nothing to preserve, one positioned write. The stripe
                // stays locked so that a whole-object discard cannot slip in between.
                let seg = self.segment(segno, true)?.ok_or(Error::NotFound)?;
                seg.write_all_at(piece, base + in_obj)?;
                return Ok(());
            }
            let new = self.cow(&mut cache, objno, rec, snapc)? | EXISTS;
            let seg = self.segment(segno, true)?.ok_or(Error::NotFound)?;
            seg.write_all_at(piece, base + in_obj)?;
            if new != rec {
                self.put_rec(&mut cache, objno, new)?;
            }
            Ok(())
        })
    }

    fn copy_up(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> Result<()> {
        let objno = off >> self.order;
        if (off + data.len() as u64).saturating_sub(1) >> self.order != objno {
            return Err(Error::InvalidArgument("copy-up crosses an object boundary"));
        }
        let (segno, base) = self.place(objno);
        let mut cache = self.stripe(objno);
        let rec = self.get_rec(&mut cache, objno)?;
        let new = self.cow(&mut cache, objno, rec, snapc)? | EXISTS;
        let seg = self.segment(segno, true)?.ok_or(Error::NotFound)?;
        seg.write_all_at(data, base + (off & (self.obj_size() - 1)))?;
        // The record must not reach the disk before the parent's bytes it stands for.
        seg.sync_data()?;
        if new != rec {
            self.put_rec(&mut cache, objno, new)?;
        }
        Ok(())
    }

    fn discard(&self, snapc: &SnapContext, off: u64, len: u64, keep: bool) -> Result<()> {
        self.pieces(off, len, |objno, in_obj, n, _| self.discard_piece(snapc, objno, in_obj, n, keep))
    }

    fn truncate(&self, snapc: &SnapContext, size: u64) -> Result<()> {
        let first = size >> self.order;
        for (objno, rec) in self.records(first, u64::MAX >> self.order)? {
            if !exists(rec) {
                continue;
            }
            let start = objno << self.order;
            if start >= size {
                self.discard_piece(snapc, objno, 0, self.obj_size(), false)?;
            } else {
                let in_obj = size - start;
                self.discard_piece(snapc, objno, in_obj, self.obj_size() - in_obj, true)?;
            }
        }
        Ok(())
    }

    fn rollback(&self, snapc: &SnapContext, snap: SnapId, size: u64) -> Result<()> {
        let _ = size;
        for (objno, _) in self.records(0, u64::MAX >> self.order)? {
            let mut cache = self.stripe(objno);
            let rec = self.get_rec(&mut cache, objno)?;
            let target = self.version_at(objno, rec, View::Snap(snap))?;
            if let Version::Head(_) = target {
                continue; // unchanged since the snapshot
            }
            let mut new = self.cow(&mut cache, objno, rec, snapc)?;
            match target {
                Version::Clone(h, k) => {
                    self.copy_in(objno, Some(&self.clone_path(objno, h, k)))?;
                    new |= EXISTS;
                }
                _ => {
                    self.copy_in(objno, None)?;
                    new &= !EXISTS;
                }
            }
            if new != rec {
                self.put_rec(&mut cache, objno, new)?;
            }
        }
        Ok(())
    }

    fn trim(&self, live: &[SnapId]) -> Result<()> {
        for (objno, _) in self.records(0, u64::MAX >> self.order)? {
            let mut cache = self.stripe(objno);
            let rec = self.get_rec(&mut cache, objno)?;
            if rec & CLONES == 0 {
                continue;
            }
            let set = self.read_snapset(objno)?;
            let (keep, drop): (Vec<_>, Vec<_>) =
                set.into_iter().partition(|(h, k)| live.iter().any(|s| s > h && s <= k));
            if drop.is_empty() {
                continue;
            }
            if keep.is_empty() {
                self.put_rec(&mut cache, objno, rec & !CLONES)?;
            }
            self.write_snapset(objno, &keep)?;
            for (h, k) in drop {
                fsutil::remove_quiet(&self.clone_path(objno, h, k))?;
            }
        }
        Ok(())
    }

    fn fill_absent(&self, snap: SnapId, objno: u64, data: &[u8]) -> Result<()> {
        if snap == 0 || data.len() as u64 > self.obj_size() {
            return Err(Error::InvalidArgument("fill_absent: bad snapshot or length"));
        }
        let mut cache = self.stripe(objno);
        let rec = self.get_rec(&mut cache, objno)?;
        if self.version_at(objno, rec, View::Snap(snap))? != Version::Absent {
            return Err(Error::Exists);
        }
        let (h, k) = (snap - 1, snap);
        let path = self.clone_path(objno, h, k);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let f = open_rw(&tmp, true)?;
        f.set_len(0)?;
        f.write_all_at(data, 0)?;
        self.install_clone(f, &tmp, &path)?;
        let mut set = if rec & CLONES != 0 { self.read_snapset(objno)? } else { Vec::new() };
        set.push((h, k));
        self.write_snapset(objno, &set)?;
        if rec & CLONES == 0 {
            self.put_rec(&mut cache, objno, rec | CLONES)?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        let segs: Vec<Arc<File>> = self.segments.read().values().cloned().collect();
        for s in segs {
            s.sync_data()?;
        }
        self.objmap.file().sync_data()?;
        if self.new_segment.swap(false, Ordering::AcqRel) {
            fsutil::sync_dir(&self.dir.join("data"));
        }
        Ok(())
    }

    fn object_exists(&self, view: View, objno: u64) -> Result<bool> {
        let mut cache = self.stripe(objno);
        let rec = self.get_rec(&mut cache, objno)?;
        Ok(self.version_at(objno, rec, view)? != Version::Absent)
    }

    fn diff(&self, from: Option<SnapId>, to: View, first: u64, last: u64) -> Result<Vec<ObjectChange>> {
        let mut out = Vec::new();
        for (objno, rec) in self.records(first, last)? {
            let newer = self.version_at(objno, rec, to)?;
            let older = match from {
                Some(s) => self.version_at(objno, rec, View::Snap(s))?,
                None => Version::Absent,
            };
            if newer.birth() != older.birth() {
                out.push(ObjectChange { objno, exists: newer != Version::Absent });
            }
        }
        Ok(out)
    }

    fn data_extents(&self, view: View, objno: u64) -> Result<Vec<(u64, u64)>> {
        let rec = {
            let mut cache = self.stripe(objno);
            self.get_rec(&mut cache, objno)?
        };
        match self.version_at(objno, rec, view)? {
            Version::Absent => Ok(Vec::new()),
            Version::Head(_) => {
                let (segno, base) = self.place(objno);
                let Some(seg) = self.segment(segno, false)? else { return Ok(Vec::new()) };
                Ok(data_ranges(&seg, base, self.obj_size())?.into_iter().map(|(o, l)| (o - base, l)).collect())
            }
            Version::Clone(h, k) => {
                let f = File::open(self.clone_path(objno, h, k))?;
                data_ranges(&f, 0, self.obj_size())
            }
        }
    }

    fn allocated(&self) -> Result<u64> {
        let mut total = 0;
        for sub in ["data", "clones"] {
            for e in std::fs::read_dir(self.dir.join(sub))? {
                let e = e?;
                total += std::os::unix::fs::MetadataExt::blocks(&e.metadata()?) * 512;
            }
        }
        Ok(total)
    }

    fn set_cached(&self, cached: bool) {
        for s in &self.stripes {
            s.lock().clear();
        }
        let v = if cached { rbdshim_backend::fork::generation() + 1 } else { 0 };
        self.cached.store(v, Ordering::Release);
    }
}

/// Checks a volume directory: every record's clones exist and no stray temporary files remain.
pub fn fsck(dir: &Path, repair: bool, report: &mut rbdshim_backend::FsckReport) -> Result<()> {
    let vol = match FileVolume::open(dir) {
        Ok(v) => v,
        Err(e) => {
            report.errors.push(format!("{}: cannot open volume: {e}", dir.display()));
            return Ok(());
        }
    };
    let mut referenced = std::collections::HashSet::new();
    for (objno, rec) in vol.records(0, u64::MAX >> vol.order)? {
        if rec & CLONES != 0 {
            match vol.read_snapset(objno) {
                Ok(set) => {
                    for (h, k) in set {
                        let p = vol.clone_path(objno, h, k);
                        if !p.exists() {
                            report.errors.push(format!("{}: missing clone", p.display()));
                        }
                        referenced.insert(p);
                    }
                }
                Err(e) => report.errors.push(format!("{e}")),
            }
        }
    }
    for e in std::fs::read_dir(dir.join("clones"))? {
        let p = e?.path();
        if !referenced.contains(&p) && !fsutil::is_recent(&p) {
            // A clone written by a copy-on-write interrupted before its snapset was updated.
            report.repaired.push(format!("{}: unreferenced clone", p.display()));
            if repair {
                fsutil::remove_quiet(&p)?;
            }
        }
    }
    for sub in ["snaps", ""] {
        for e in std::fs::read_dir(dir.join(sub))? {
            let p = e?.path();
            if p.file_name().map(|n| n.to_string_lossy().starts_with(".tmp.")).unwrap_or(false)
                && !fsutil::is_recent(&p)
            {
                report.repaired.push(format!("{}: temporary file", p.display()));
                if repair {
                    fsutil::remove_quiet(&p)?;
                }
            }
        }
    }
    Ok(())
}
