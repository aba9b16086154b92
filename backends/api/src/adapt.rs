//! Hides a store's IO rules from the volume's users (the core, and the behaviour suite).
//!
//! A store that only takes aligned IO (CurveBS: 4 KiB) gets byte-granular requests turned into
//! aligned ones here, with read-modify-write of the partial blocks at either end; blocks being
//! modified are locked so that concurrent AIO on neighbouring bytes cannot lose an update. A
//! store that cannot shrink gets shrinking emulated by deallocating what lies past the new end.
//! Volumes are created at least as large as the store's minimum and in its size steps; the
//! image size users see stays the one they asked for.

use crate::{Caps, ObjectChange, Result, SnapContext, SnapId, View, Volume};
use parking_lot::Mutex;
use std::sync::Arc;

const STRIPES: usize = 64;

/// The volume size to ask the store for, for a logical image size.
pub fn physical_size(caps: &Caps, logical: u64) -> u64 {
    let step = caps.size_step.max(1);
    logical.max(caps.min_volume_size).div_ceil(step).saturating_mul(step)
}

/// Wraps `inner` if the store has rules to hide.
pub fn adapt(caps: &Caps, inner: Arc<dyn Volume>) -> Arc<dyn Volume> {
    if caps.io_alignment <= 1 && caps.can_shrink {
        return inner;
    }
    Arc::new(Rmw {
        inner,
        align: caps.io_alignment.max(1),
        can_shrink: caps.can_shrink,
        locks: (0..STRIPES).map(|_| Mutex::new(())).collect(),
    })
}

struct Rmw {
    inner: Arc<dyn Volume>,
    align: u64,
    can_shrink: bool,
    locks: Vec<Mutex<()>>,
}

impl Rmw {
    fn down(&self, x: u64) -> u64 {
        x / self.align * self.align
    }

    fn up(&self, x: u64) -> u64 {
        x.div_ceil(self.align) * self.align
    }

    /// Locks the stripes of every block in `[start, end)`, in a fixed order.
    fn lock_blocks(&self, start: u64, end: u64) -> Vec<parking_lot::MutexGuard<'_, ()>> {
        let mut idx: Vec<usize> =
            (start / self.align..end.div_ceil(self.align)).map(|b| (b as usize) % STRIPES).take(STRIPES).collect();
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter().map(|i| self.locks[i].lock()).collect()
    }

    /// Writes `data` at `off` through aligned requests. `data == None` writes zeros.
    fn write_any(&self, snapc: &SnapContext, off: u64, len: u64, data: Option<&[u8]>) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let (start, end) = (self.down(off), self.up(off + len));
        // Aligned requests lock their blocks too: one landing in the middle of another request's
        // read-modify-write of the same block would otherwise be overwritten with old bytes.
        let _g = self.lock_blocks(start, end);
        if start == off && end == off + len {
            return match data {
                Some(d) => self.inner.write(snapc, off, d),
                None => self.inner.discard(snapc, off, len, true),
            };
        }
        // Only the partial blocks at the edges need their old bytes.
        let mut buf = vec![0u8; (end - start) as usize];
        let head_end = (start + self.align).min(end);
        self.inner.read(View::Head, start, &mut buf[..(head_end - start) as usize])?;
        if end - self.align > start {
            let tail = (end - self.align - start) as usize;
            self.inner.read(View::Head, end - self.align, &mut buf[tail..])?;
        }
        let at = (off - start) as usize;
        match data {
            Some(d) => buf[at..at + d.len()].copy_from_slice(d),
            None => buf[at..at + len as usize].fill(0),
        }
        self.inner.write(snapc, start, &buf)
    }
}

impl Volume for Rmw {
    fn order(&self) -> u8 {
        self.inner.order()
    }

    fn read(&self, view: View, off: u64, buf: &mut [u8]) -> Result<()> {
        let len = buf.len() as u64;
        let (start, end) = (self.down(off), self.up(off + len));
        if start == off && end == off + len {
            return self.inner.read(view, off, buf);
        }
        let mut tmp = vec![0u8; (end - start) as usize];
        self.inner.read(view, start, &mut tmp)?;
        let at = (off - start) as usize;
        buf.copy_from_slice(&tmp[at..at + buf.len()]);
        Ok(())
    }

    fn write(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> Result<()> {
        self.write_any(snapc, off, data.len() as u64, Some(data))
    }

    fn copy_up(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> Result<()> {
        self.write(snapc, off, data)?;
        self.inner.flush()
    }

    fn discard(&self, snapc: &SnapContext, off: u64, len: u64, keep: bool) -> Result<()> {
        let (a, b) = (self.up(off), self.down(off + len));
        if a >= b {
            return self.write_any(snapc, off, len, None);
        }
        self.write_any(snapc, off, a - off, None)?;
        {
            let _g = self.lock_blocks(a, b);
            self.inner.discard(snapc, a, b - a, keep)?;
        }
        self.write_any(snapc, b, off + len - b, None)
    }

    fn truncate(&self, snapc: &SnapContext, size: u64) -> Result<()> {
        if self.can_shrink {
            let edge = self.up(size);
            self.write_any(snapc, size, edge - size, None)?;
            return self.inner.truncate(snapc, edge);
        }
        // Emulated: deallocate every object past the new end, and the tail of the last one.
        let obj = 1u64 << self.order();
        let first_whole = size.div_ceil(obj);
        for c in self.inner.diff(None, View::Head, size / obj, u64::MAX >> self.order())? {
            if c.objno >= first_whole {
                self.inner.discard(snapc, c.objno * obj, obj, false)?;
            } else {
                let end = (c.objno + 1) * obj;
                self.discard(snapc, size, end - size, true)?;
            }
        }
        Ok(())
    }

    fn rollback(&self, snapc: &SnapContext, snap: SnapId, size: u64) -> Result<()> {
        self.inner.rollback(snapc, snap, size)
    }

    fn trim(&self, live: &[SnapId]) -> Result<()> {
        self.inner.trim(live)
    }

    fn fill_absent(&self, snap: SnapId, objno: u64, data: &[u8]) -> Result<()> {
        let padded_len = self.up(data.len() as u64) as usize;
        if padded_len == data.len() {
            return self.inner.fill_absent(snap, objno, data);
        }
        let mut padded = data.to_vec();
        padded.resize(padded_len, 0);
        self.inner.fill_absent(snap, objno, &padded)
    }

    fn grow(&self, size: u64) -> Result<()> {
        self.inner.grow(size)
    }

    fn flush(&self) -> Result<()> {
        self.inner.flush()
    }

    fn object_exists(&self, view: View, objno: u64) -> Result<bool> {
        self.inner.object_exists(view, objno)
    }

    fn diff(&self, from: Option<SnapId>, to: View, first: u64, last: u64) -> Result<Vec<ObjectChange>> {
        self.inner.diff(from, to, first, last)
    }

    fn data_extents(&self, view: View, objno: u64) -> Result<Vec<(u64, u64)>> {
        self.inner.data_extents(view, objno)
    }

    fn allocated(&self) -> Result<u64> {
        self.inner.allocated()
    }

    fn set_cached(&self, cached: bool) {
        self.inner.set_cached(cached)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_sizes_follow_the_store() {
        let caps = Caps { min_volume_size: 10 << 30, size_step: 1 << 30, ..Caps::default() };
        assert_eq!(physical_size(&caps, 1 << 30), 10 << 30);
        assert_eq!(physical_size(&caps, (10 << 30) + 1), 11 << 30);
        assert_eq!(physical_size(&Caps::default(), 12345), 12345);
    }
}
