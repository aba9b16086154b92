//! An open volume: the data path of the client. Every request is checked against the
//! volume's rules (block alignment, length, the epoch fence), allocates segments on first write,
//! and, in a lazy clone, copies a chunk from the clone's source before first touching it
//! (copy-on-read, copy-on-write).

use crate::chunks::Chunks;
use crate::error::{CurveError, CurveResult};
use crate::namespace::{FileInfo, FileStatus};
use crate::store::CurveStore;
use parking_lot::Mutex;
use rbdshim_backend::{SnapContext, View, Volume};
use std::collections::HashSet;
use std::sync::Arc;

pub struct OpenFile {
    pub(crate) store: Arc<CurveStore>,
    info: Mutex<FileInfo>,
    pub(crate) chunks: Arc<Chunks>,
    /// The epoch this client opened at (or took over with).
    epoch: std::sync::atomic::AtomicU64,
    open_key: String,
    /// Fork generation of the open: a forked child must not drop its parent's registration.
    gen: u64,
    segments: Mutex<HashSet<u64>>,
    /// Set while the file is a lazy clone not yet filled.
    lazy: Mutex<Option<crate::snapshot::Source>>,
}

impl OpenFile {
    pub(crate) fn open(store: Arc<CurveStore>, info: FileInfo) -> CurveResult<Arc<OpenFile>> {
        let chunks = store.chunks.get(info.id)?;
        let open_key = store.register_open(info.id)?;
        let lazy = if info.status == FileStatus::Cloning { info.clone_source.clone() } else { None };
        Ok(Arc::new(OpenFile {
            epoch: std::sync::atomic::AtomicU64::new(info.epoch),
            info: Mutex::new(info),
            chunks,
            open_key,
            gen: rbdshim_backend::fork::generation(),
            segments: Mutex::new(HashSet::new()),
            lazy: Mutex::new(lazy),
            store,
        }))
    }

    pub fn info(&self) -> FileInfo {
        self.info.lock().clone()
    }

    /// Re-reads the namespace entry (length, sequence, clone status).
    pub fn refresh(&self) -> CurveResult<FileInfo> {
        let cur = self.info.lock().clone();
        let new = self.store.ns.refresh(&cur)?;
        if new.status != FileStatus::Cloning {
            *self.lazy.lock() = None;
        }
        *self.info.lock() = new.clone();
        Ok(new)
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Moves this client to the file's current epoch after bumping it (taking over as writer).
    pub fn take_over(&self) -> CurveResult<u64> {
        let info = self.refresh()?;
        let e = self.store.increase_epoch_of(&info)?;
        self.epoch.store(e, std::sync::atomic::Ordering::Release);
        Ok(e)
    }

    /// The snapshot context of the store's own snapshots, for clients that do not bring one.
    pub fn snapc(&self) -> CurveResult<SnapContext> {
        let info = self.refresh()?;
        Ok(SnapContext { seq: info.seq, snaps: info.snaps.clone() })
    }

    /// Checks alignment and range; the length is re-read once if the request reaches past it.
    fn check(&self, off: u64, len: u64) -> CurveResult<()> {
        let (bs, length) = {
            let i = self.info.lock();
            (i.block_size, i.length)
        };
        if off % bs != 0 || len % bs != 0 {
            return Err(CurveError::NotAligned);
        }
        let end = off.checked_add(len).ok_or(CurveError::ParamError)?;
        if end > length && end > self.refresh()?.length {
            return Err(CurveError::ParamError);
        }
        Ok(())
    }

    fn chunk_size(&self) -> u64 {
        self.info.lock().chunk_size
    }

    /// Chunks touched by `off..off+len`.
    fn chunk_range(&self, off: u64, len: u64) -> std::ops::Range<u64> {
        let cs = self.chunk_size();
        if len == 0 {
            return 0..0;
        }
        off / cs..(off + len).div_ceil(cs)
    }

    fn before_write(&self, off: u64, len: u64) -> CurveResult<()> {
        self.check(off, len)?;
        self.chunks.check_epoch(self.epoch())?;
        let seg = self.info.lock().segment_size;
        if len > 0 {
            for s in off / seg..(off + len).div_ceil(seg) {
                if self.segments.lock().contains(&s) {
                    continue;
                }
                self.store.allocate_segment(self.info.lock().id, s)?;
                self.segments.lock().insert(s);
            }
        }
        Ok(())
    }

    /// In a lazy clone, copies chunk `c` from the source unless it is here already. The caller
    /// holds the chunk's fill lock.
    fn fill(&self, snapc: &SnapContext, c: u64) -> CurveResult<()> {
        let Some(src) = self.lazy.lock().clone() else { return Ok(()) };
        if self.chunks.vol.object_exists(View::Head, c)? {
            return Ok(());
        }
        let cs = self.chunk_size();
        if !crate::snapshot::source_has(&self.store, &src, c)? {
            // Nothing to copy: an empty chunk hides the source from now on.
            return Ok(self.chunks.vol.discard(snapc, c * cs, cs, true)?);
        }
        let mut buf = vec![0u8; cs as usize];
        crate::snapshot::read_source(&self.store, &src, c * cs, &mut buf)?;
        self.chunks.vol.copy_up(snapc, c * cs, &buf)?;
        Ok(())
    }

    /// Runs `f` with every touched chunk filled and locked against fills (lazy clones only).
    fn with_filled<T>(
        &self,
        snapc: &SnapContext,
        off: u64,
        len: u64,
        f: impl FnOnce() -> CurveResult<T>,
    ) -> CurveResult<T> {
        if self.lazy.lock().is_none() {
            return f();
        }
        let range = self.chunk_range(off, len);
        let mut stripes: Vec<u64> = range.clone().map(|c| c % 64).collect();
        stripes.sort_unstable();
        stripes.dedup();
        let _g: Vec<_> = stripes.iter().map(|&s| self.chunks.fill_lock(s)).collect();
        for c in range {
            self.fill(snapc, c)?;
        }
        f()
    }

    pub fn read(&self, view: View, off: u64, buf: &mut [u8]) -> CurveResult<()> {
        self.check(off, buf.len() as u64)?;
        if view == View::Head && self.lazy.lock().is_some() {
            let snapc = self.snapc()?;
            return self.with_filled(&snapc, off, buf.len() as u64, || Ok(self.chunks.vol.read(view, off, buf)?));
        }
        Ok(self.chunks.vol.read(view, off, buf)?)
    }

    pub fn write(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> CurveResult<()> {
        self.before_write(off, data.len() as u64)?;
        self.with_filled(snapc, off, data.len() as u64, || Ok(self.chunks.vol.write(snapc, off, data)?))
    }

    pub fn copy_up(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> CurveResult<()> {
        self.before_write(off, data.len() as u64)?;
        Ok(self.chunks.vol.copy_up(snapc, off, data)?)
    }

    pub fn discard(&self, snapc: &SnapContext, off: u64, len: u64, keep: bool) -> CurveResult<()> {
        self.before_write(off, len)?;
        // In a lazy clone a discarded chunk must still hide its source.
        let keep = keep || self.lazy.lock().is_some();
        self.with_filled(snapc, off, len, || Ok(self.chunks.vol.discard(snapc, off, len, keep)?))
    }

    /// Copies every chunk not yet here from the clone's source (the background fill and
    /// flatten); `progress` is told each chunk done.
    /// Only chunks holding data in the source need copying: once the clone is cut loose, the
    /// others read as zeros anyway.
    pub fn fill_all(&self, mut progress: impl FnMut(u64, u64)) -> CurveResult<()> {
        let info = self.refresh()?;
        let Some(src) = self.lazy.lock().clone() else { return Ok(()) };
        let todo = crate::snapshot::source_chunks(&self.store, &src, info.length.div_ceil(info.chunk_size))?;
        let n = todo.len() as u64;
        for (i, c) in todo.into_iter().enumerate() {
            let snapc = SnapContext { seq: info.seq, snaps: info.snaps.clone() };
            self.with_filled(&snapc, c * info.chunk_size, info.chunk_size, || Ok(()))?;
            progress(i as u64 + 1, n);
        }
        progress(n, n);
        Ok(())
    }

    pub(crate) fn set_filled(&self) {
        *self.lazy.lock() = None;
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if self.gen != rbdshim_backend::fork::generation() {
            return;
        }
        let _ = self.store.meta.txn(&[], &[crate::meta::Op::Delete(self.open_key.clone())]);
    }
}
