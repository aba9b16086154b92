//! An RBD image's data on the store: one volume whose chunks are the image's objects.
//!
//! The core sends its own snapshot context with every write; chunk copy-on-write follows it,
//! so rbd snapshots are in-cluster snapshots of the volume. The store's rules still hold here
//! (aligned IO only, no shrink, lengths in segments): the core's adapter hides them.

use crate::file::OpenFile;
use rbdshim_backend::{ObjectChange, Result, SnapContext, SnapId, View, Volume};
use std::sync::Arc;

pub struct CurveVolume {
    pub(crate) file: Arc<OpenFile>,
}

impl Volume for CurveVolume {
    fn order(&self) -> u8 {
        self.file.chunks.vol.order()
    }

    fn read(&self, view: View, off: u64, buf: &mut [u8]) -> Result<()> {
        Ok(self.file.read(view, off, buf)?)
    }

    fn write(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> Result<()> {
        Ok(self.file.write(snapc, off, data)?)
    }

    fn copy_up(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> Result<()> {
        Ok(self.file.copy_up(snapc, off, data)?)
    }

    fn discard(&self, snapc: &SnapContext, off: u64, len: u64, keep: bool) -> Result<()> {
        Ok(self.file.discard(snapc, off, len, keep)?)
    }

    fn truncate(&self, snapc: &SnapContext, size: u64) -> Result<()> {
        // Volumes never shrink: what lies past `size` is deallocated instead (up to the current
        // length: another process may have grown the volume).
        let info = self.file.refresh()?;
        let bs = info.block_size;
        let start = size.div_ceil(bs) * bs;
        if start > size && start <= info.length {
            let mut block = vec![0u8; bs as usize];
            self.file.read(View::Head, start - bs, &mut block)?;
            block[(size - (start - bs)) as usize..].fill(0);
            self.file.write(snapc, start - bs, &block)?;
        }
        if start < info.length {
            self.file.discard(snapc, start, info.length - start, false)?;
        }
        Ok(())
    }

    fn rollback(&self, snapc: &SnapContext, snap: SnapId, size: u64) -> Result<()> {
        self.file.chunks.check_epoch(self.file.epoch())?;
        self.file.chunks.vol.rollback(snapc, snap, size)
    }

    fn trim(&self, live: &[SnapId]) -> Result<()> {
        self.file.chunks.vol.trim(live)
    }

    fn fill_absent(&self, snap: SnapId, objno: u64, data: &[u8]) -> Result<()> {
        self.file.chunks.vol.fill_absent(snap, objno, data)
    }

    fn grow(&self, size: u64) -> Result<()> {
        let info = self.file.refresh()?;
        if size > info.length {
            self.file.store.ns.modify(&info, |f| {
                if size > f.length {
                    self.file.store.ns.check_length(size, f.segment_size)?;
                    f.length = size;
                }
                Ok(())
            })?;
            self.file.refresh()?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        self.file.chunks.vol.flush()
    }

    fn object_exists(&self, view: View, objno: u64) -> Result<bool> {
        self.file.chunks.vol.object_exists(view, objno)
    }

    fn diff(&self, from: Option<SnapId>, to: View, first: u64, last: u64) -> Result<Vec<ObjectChange>> {
        self.file.chunks.vol.diff(from, to, first, last)
    }

    fn data_extents(&self, view: View, objno: u64) -> Result<Vec<(u64, u64)>> {
        self.file.chunks.vol.data_extents(view, objno)
    }

    fn allocated(&self) -> Result<u64> {
        self.file.chunks.vol.allocated()
    }

    fn set_cached(&self, cached: bool) {
        self.file.chunks.vol.set_cached(cached)
    }
}
