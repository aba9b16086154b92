//! The data path: clipping to the image size, clone read-through and copy-up, and the calls
//! into the volume.
//!
//! Byte-granular requests go straight to the volume when the store is byte-granular; stores
//! with an IO alignment get read-modify-write here (not in front ends).

use crate::header::{Header, ParentLink};
use crate::image::{Image, ImageShared, COPYUP_STRIPES};
use crate::lock::{with_lock, with_lock_quiesced};
use crate::{Error, Result};
use rbdshim_backend::{SnapContext, SnapId, View};
use std::sync::Arc;

/// librbd's clip_io: zero-length is always fine, a start at or past the end is -EINVAL,
/// anything crossing the end is shortened.
pub(crate) fn clip(off: u64, len: u64, size: u64) -> Result<u64> {
    if len == 0 {
        return Ok(0);
    }
    if off >= size {
        return Err(Error::InvalidArgument("offset past the end of the image"));
    }
    Ok(len.min(size - off))
}

/// Splits `[off, off+len)` into object pieces: (objno, offset in object, length, buffer offset).
pub(crate) fn pieces(order: u8, off: u64, len: u64) -> impl Iterator<Item = (u64, u64, u64, usize)> {
    let size = 1u64 << order;
    let end = off + len;
    let mut pos = off;
    std::iter::from_fn(move || {
        if pos >= end {
            return None;
        }
        let objno = pos >> order;
        let in_obj = pos & (size - 1);
        let n = (size - in_obj).min(end - pos);
        let item = (objno, in_obj, n, (pos - off) as usize);
        pos += n;
        Some(item)
    })
}

/// Entries kept in an image's absent-object cache before it starts over.
const ABSENT_CACHE_MAX: usize = 1 << 20;

impl ImageShared {
    /// Whether object `objno` exists in `view`. A clone's parent is read through a snapshot
    /// view, and a snapshot's absent object stays absent: snapshots are immutable, and the two
    /// things that fill or drop one (deep flatten, snapshot removal) rewrite the header, which
    /// moves the generation the cache is tagged with. (A flatten fills a snapshot with the very
    /// bytes its parent link supplies, so a reader racing it reads the same data either way.)
    /// So every level of a clone chain asks the store once per object, not once per read.
    pub(crate) fn exists_in(&self, view: View, objno: u64) -> Result<bool> {
        let View::Snap(snap) = view else {
            return Ok(self.volume.object_exists(view, objno)?);
        };
        // The generation of the header the caller just read (asking the coordinator again
        // would be a metadata-store read per object on some backends).
        let gen = self.cache.read().0;
        {
            let c = self.absent.read();
            if c.0 == gen && c.1.contains(&(snap, objno)) {
                return Ok(false);
            }
        }
        let exists = self.volume.object_exists(view, objno)?;
        if !exists {
            let mut c = self.absent.write();
            if c.0 != gen || c.1.len() >= ABSENT_CACHE_MAX {
                c.0 = gen;
                c.1.clear();
            }
            c.1.insert((snap, objno));
        }
        Ok(exists)
    }

    /// Reads what the image holds at `snap` (None: head), following the parent chain.
    pub(crate) fn read_at(&self, h: &Header, snap: Option<SnapId>, off: u64, buf: &mut [u8]) -> Result<()> {
        let view = ImageShared::view(snap);
        let Some(link) = h.parent_at(snap)? else {
            return Ok(self.volume.read(view, off, buf)?);
        };
        let parent = self.parent_image(link)?;
        let ph = parent.header()?;
        for (objno, in_obj, n, at) in pieces(h.order, off, buf.len() as u64) {
            let out = &mut buf[at..at + n as usize];
            if self.exists_in(view, objno)? {
                self.volume.read(view, (objno << h.order) + in_obj, out)?;
                continue;
            }
            let start = (objno << h.order) + in_obj;
            let from_parent = link.overlap.saturating_sub(start).min(n) as usize;
            if from_parent > 0 {
                parent.read_at(&ph, Some(link.snap_id), start, &mut out[..from_parent])?;
            }
            out[from_parent..].fill(0);
        }
        Ok(())
    }

    /// Copies the parent's bytes of object `objno` into the child (if the child lacks it),
    /// merging `patch` at `in_obj`. Returns true if it wrote (the patch is then applied).
    fn copyup(
        &self,
        h: &Header,
        snapc: &SnapContext,
        link: &ParentLink,
        objno: u64,
        patch: Option<(u64, &[u8])>,
    ) -> Result<bool> {
        let start = objno << h.order;
        let from_parent = link.overlap.saturating_sub(start).min(h.object_size());
        if from_parent == 0 {
            return Ok(false);
        }
        let _g = self.copyup[(objno as usize) % COPYUP_STRIPES].lock();
        if self.volume.object_exists(View::Head, objno)? {
            return Ok(false);
        }
        let parent = self.parent_image(link)?;
        let ph = parent.header()?;
        let end = match patch {
            Some((at, data)) => from_parent.max(at + data.len() as u64),
            None => from_parent,
        };
        let mut buf = vec![0u8; end as usize];
        parent.read_at(&ph, Some(link.snap_id), start, &mut buf[..from_parent as usize])?;
        if buf.iter().all(|b| *b == 0) {
            // Nothing to copy: the object only has to exist, so that the parent stays hidden.
            match patch {
                Some((at, data)) => self.volume.write(snapc, start + at, data)?,
                None => self.volume.discard(snapc, start, h.object_size(), true)?,
            }
            return Ok(true);
        }
        if let Some((at, data)) = patch {
            buf[at as usize..at as usize + data.len()].copy_from_slice(data);
        }
        self.volume.copy_up(snapc, start, &buf)?;
        Ok(true)
    }

    pub(crate) fn write_locked(&self, h: &Header, off: u64, data: &[u8]) -> Result<()> {
        let snapc = h.snapc();
        match &h.parent {
            None => Ok(self.volume.write(&snapc, off, data)?),
            Some(link) => {
                for (objno, in_obj, n, at) in pieces(h.order, off, data.len() as u64) {
                    let piece = &data[at..at + n as usize];
                    if !self.copyup(h, &snapc, link, objno, Some((in_obj, piece)))? {
                        self.volume.write(&snapc, (objno << h.order) + in_obj, piece)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Deallocates a range; inside a clone's overlap the child keeps (zeroed) objects so that
    /// the parent's data never shows through again.
    pub(crate) fn discard_locked(&self, h: &Header, off: u64, len: u64) -> Result<()> {
        let snapc = h.snapc();
        let Some(link) = &h.parent else {
            return Ok(self.volume.discard(&snapc, off, len, false)?);
        };
        for (objno, in_obj, n, _) in pieces(h.order, off, len) {
            let start = objno << h.order;
            let abs = start + in_obj;
            if start >= link.overlap {
                self.volume.discard(&snapc, abs, n, false)?;
                continue;
            }
            if n < h.object_size() {
                self.copyup(h, &snapc, link, objno, None)?;
            }
            self.volume.discard(&snapc, abs, n, true)?;
        }
        Ok(())
    }
}

impl Image {
    /// Reads up to `buf.len()` bytes at `off`; returns how many (clipped at the end).
    pub fn read(&self, off: u64, buf: &mut [u8]) -> Result<usize> {
        self.check_open()?;
        let h = self.sh.header()?;
        let snap = self.current_snap();
        let n = clip(off, buf.len() as u64, h.size_at(snap)?)? as usize;
        if n == 0 {
            return Ok(0);
        }
        let _g = self.sh.gate.read();
        self.sh.read_at(&h, snap, off, &mut buf[..n])?;
        Ok(n)
    }

    pub fn write(&self, off: u64, data: &[u8]) -> Result<usize> {
        self.check_writable()?;
        let sh: &Arc<ImageShared> = &self.sh;
        with_lock(sh, self.client(), || {
            let h = sh.header()?;
            let n = clip(off, data.len() as u64, h.size)? as usize;
            if n > 0 {
                sh.write_locked(&h, off, &data[..n])?;
            }
            Ok(n)
        })
    }

    pub fn discard(&self, off: u64, len: u64) -> Result<u64> {
        self.check_writable()?;
        let sh = &self.sh;
        with_lock(sh, self.client(), || {
            let h = sh.header()?;
            let n = clip(off, len, h.size)?;
            if n > 0 {
                sh.discard_locked(&h, off, n)?;
            }
            Ok(n)
        })
    }

    /// Zeroes a range. Holes read as zeros, so this deallocates, unless `thick` asks for
    /// allocated zeros (RBD_WRITE_ZEROES_FLAG_THICK_PROVISION).
    pub fn write_zeroes(&self, off: u64, len: u64, thick: bool) -> Result<u64> {
        self.check_writable()?;
        if thick {
            let sh = &self.sh;
            return with_lock(sh, self.client(), || {
                let h = sh.header()?;
                let n = clip(off, len, h.size)?;
                let zeros = vec![0u8; (n.min(1 << 22)) as usize];
                let mut pos = 0;
                while pos < n {
                    let k = (n - pos).min(zeros.len() as u64) as usize;
                    sh.write_locked(&h, off + pos, &zeros[..k])?;
                    pos += k as u64;
                }
                Ok(n)
            });
        }
        self.discard(off, len)
    }

    /// Waits for the requests submitted before it, then makes every write durable.
    pub fn flush(&self) -> Result<()> {
        self.check_open()?;
        self.tracker.drain();
        Ok(self.sh.volume.flush()?)
    }

    /// rbd_sparsify: deallocates every `sparse_size`-aligned block of the image's own data that
    /// reads as zeros. Each object is checked and trimmed with IO in this process paused and
    /// the exclusive lock held, so no write can land between the check and the trim.
    pub fn sparsify(&self, sparse_size: u64) -> Result<()> {
        self.check_writable()?;
        let h = self.header()?;
        if sparse_size < 4096 || !sparse_size.is_power_of_two() || sparse_size > h.object_size() {
            return Err(Error::InvalidArgument("sparse size"));
        }
        let mut extents = Vec::new();
        self.diff_iterate(None, 0, h.size, false, false, |off, len, exists| {
            if exists {
                extents.push((off, len));
            }
            0
        })?;
        // Blocks of the image's own data, grouped by object.
        let mut by_obj: std::collections::BTreeMap<u64, Vec<u64>> = Default::default();
        for (off, len) in extents {
            let mut b = off & !(sparse_size - 1);
            while b < off + len {
                let blocks = by_obj.entry(b >> h.order).or_default();
                if blocks.last() != Some(&b) {
                    blocks.push(b);
                }
                b += sparse_size;
            }
        }
        let mut buf = vec![0u8; sparse_size as usize];
        for blocks in by_obj.values() {
            with_lock_quiesced(&self.sh, self.client(), || {
                let h = self.sh.header()?;
                let mut zero = Vec::new();
                for &b in blocks {
                    let n = h.size.saturating_sub(b).min(sparse_size) as usize;
                    if n == 0 {
                        break;
                    }
                    self.sh.read_at(&h, None, b, &mut buf[..n])?;
                    if buf[..n].iter().all(|&x| x == 0) {
                        zero.push((b, n as u64));
                    }
                }
                if zero.len() == blocks.len() {
                    // Nothing but zeros: drop the whole object, as librbd removes it.
                    let start = blocks[0] & !(h.object_size() - 1);
                    let end = (start + h.object_size()).min(h.size);
                    return self.sh.discard_locked(&h, start, end - start);
                }
                for (b, n) in zero {
                    self.sh.discard_locked(&h, b, n)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Reads `len` bytes (clipped) into a new buffer.
    pub fn read_vec(&self, off: u64, len: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        let n = self.read(off, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_matches_librbd() {
        assert_eq!(clip(0, 0, 0).unwrap(), 0);
        assert_eq!(clip(100, 0, 10).unwrap(), 0);
        assert!(clip(10, 1, 10).is_err());
        assert_eq!(clip(5, 10, 10).unwrap(), 5);
    }

    #[test]
    fn pieces_split_at_object_boundaries() {
        let v: Vec<_> = pieces(12, 4000, 5000).collect();
        assert_eq!(v, vec![(0, 4000, 96, 0), (1, 0, 4096, 96), (2, 0, 808, 4192)]);
    }
}
