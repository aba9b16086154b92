//! Changed extents between two versions of an image, answered from the volume's object
//! records and the filesystem's allocation map, never by reading data. Also `du`.

use crate::image::{Image, ImageShared};
use crate::{Error, Result};
use rbdshim_backend::SnapId;

/// One extent reported by diff_iterate: `exists` false means "now zero / deallocated".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffExtent {
    pub off: u64,
    pub len: u64,
    pub exists: bool,
}

impl ImageShared {
    /// Extents of `[off, off+len)` that changed between `from` (None: nothing) and `to`.
    pub(crate) fn diff_extents(
        &self,
        from: Option<SnapId>,
        to: Option<SnapId>,
        off: u64,
        len: u64,
        include_parent: bool,
        whole_object: bool,
    ) -> Result<Vec<DiffExtent>> {
        let h = self.header()?;
        if let Some(f) = from {
            h.snap(f)?;
            if let Some(t) = to {
                if f > t {
                    return Err(Error::InvalidArgument("from-snapshot is newer than the end snapshot"));
                }
            }
        }
        let size = h.size_at(to)?;
        let end = off.saturating_add(len).min(size);
        if off >= end {
            return Ok(Vec::new());
        }
        let order = h.order;
        let obj = h.object_size();
        let first = off >> order;
        let last = (end - 1) >> order;
        let view = ImageShared::view(to);
        let mut out: Vec<DiffExtent> = Vec::new();
        let clip = |a: u64, b: u64| -> Option<(u64, u64)> {
            let s = a.max(off);
            let e = b.min(end);
            if s < e {
                Some((s, e - s))
            } else {
                None
            }
        };
        let mut changed = self.volume.diff(from, view, first, last)?;
        changed.sort_by_key(|c| c.objno);
        let mut child_parts: Vec<DiffExtent> = Vec::new();
        for c in &changed {
            let base = c.objno << order;
            // What the object held at the start: a removed object reports exactly that as
            // zeroed, and gaps in an object that did not exist then are no change.
            // (A clone's parent shows through where it had nothing: then the child's own
            // records do not tell what the start held, and whole objects are reported.)
            let before = match from {
                Some(f) if !whole_object && h.snap(f)?.parent.is_none() => {
                    Some(self.volume.data_extents(rbdshim_backend::View::Snap(f), c.objno)?).filter(|e| !e.is_empty())
                }
                _ => None,
            };
            if !c.exists && !whole_object {
                if let Some(ext) = before.as_ref().filter(|e| !e.is_empty()) {
                    for &(o, l) in ext {
                        if let Some((s, n)) = clip(base + o, base + o + l) {
                            child_parts.push(DiffExtent { off: s, len: n, exists: false });
                        }
                    }
                    continue;
                }
            }
            if whole_object || !c.exists {
                if let Some((s, l)) = clip(base, base + obj) {
                    child_parts.push(DiffExtent { off: s, len: l, exists: c.exists });
                }
                continue;
            }
            let gaps = from.is_some();
            let mut cursor = base;
            for (o, l) in self.volume.data_extents(view, c.objno)? {
                if gaps && base + o > cursor {
                    if let Some((s, n)) = clip(cursor, base + o) {
                        child_parts.push(DiffExtent { off: s, len: n, exists: false });
                    }
                }
                if let Some((s, n)) = clip(base + o, base + o + l) {
                    child_parts.push(DiffExtent { off: s, len: n, exists: true });
                }
                cursor = base + o + l;
            }
            if gaps && cursor < base + obj {
                if let Some((s, n)) = clip(cursor, base + obj) {
                    child_parts.push(DiffExtent { off: s, len: n, exists: false });
                }
            }
        }
        // A clone whose overlap moved (shrunk by a resize, or restored by a rollback) changed
        // content where neither version has its own object: the parent stopped or started
        // showing through there.
        if let Some(f) = from {
            let old = h.snap(f)?.parent.as_ref().map(|p| p.overlap).unwrap_or(0);
            let new = h.parent_at(to)?.map(|p| p.overlap).unwrap_or(0);
            let (lo, hi) = (old.min(new).max(off), old.max(new).min(end));
            if lo < hi {
                for objno in (lo >> order)..=((hi - 1) >> order) {
                    if changed.iter().any(|c| c.objno == objno)
                        || self.volume.object_exists(view, objno)?
                        || self.volume.object_exists(rbdshim_backend::View::Snap(f), objno)?
                    {
                        continue;
                    }
                    let base = objno << order;
                    let (s, e) = if whole_object { (base, base + obj) } else { (base.max(lo), (base + obj).min(hi)) };
                    if let Some((s, l)) = clip(s, e) {
                        child_parts.push(DiffExtent { off: s, len: l, exists: new > old });
                    }
                }
            }
        }
        // From the beginning, a clone also shows what its parent provides where it has nothing.
        if include_parent && from.is_none() {
            if let Some(link) = h.parent_at(to)?.cloned() {
                let parent = self.parent_image(&link)?;
                let pend = end.min(link.overlap);
                if off < pend {
                    for e in parent.diff_extents(None, Some(link.snap_id), off, pend - off, true, whole_object)? {
                        let mut pos = e.off;
                        let stop = e.off + e.len;
                        while pos < stop {
                            let objno = pos >> order;
                            let piece_end = ((objno + 1) << order).min(stop);
                            if !self.volume.object_exists(view, objno)? {
                                out.push(DiffExtent { off: pos, len: piece_end - pos, exists: e.exists });
                            }
                            pos = piece_end;
                        }
                    }
                }
            }
        }
        out.extend(child_parts);
        out.sort_by_key(|e| e.off);
        Ok(merge(out))
    }
}

/// Joins adjacent extents of the same kind.
fn merge(v: Vec<DiffExtent>) -> Vec<DiffExtent> {
    let mut out: Vec<DiffExtent> = Vec::with_capacity(v.len());
    for e in v {
        if let Some(last) = out.last_mut() {
            if last.exists == e.exists && last.off + last.len == e.off {
                last.len += e.len;
                continue;
            }
        }
        out.push(e);
    }
    out
}

impl Image {
    /// rbd_diff_iterate2: calls `cb(off, len, exists)` for each changed extent, in order; a
    /// negative return from `cb` stops the walk and is returned.
    pub fn diff_iterate(
        &self,
        from_snap: Option<&str>,
        off: u64,
        len: u64,
        include_parent: bool,
        whole_object: bool,
        mut cb: impl FnMut(u64, u64, bool) -> i32,
    ) -> Result<i32> {
        self.check_open()?;
        let h = self.header()?;
        let from = match from_snap {
            Some(n) => Some(h.snap_by_name(n)?.id),
            None => None,
        };
        let size = h.size_at(self.current_snap())?;
        if len > 0 && off >= size {
            return Err(Error::InvalidArgument("offset past the end of the image"));
        }
        // Collected first, then reported without holding the IO gate: callbacks usually read
        // the image, and a queued lock hand-over would otherwise deadlock them.
        let extents = {
            let _g = self.sh.gate.read();
            self.sh.diff_extents(from, self.current_snap(), off, len, include_parent, whole_object)?
        };
        for e in extents {
            let r = cb(e.off, e.len, e.exists);
            if r < 0 {
                return Ok(r);
            }
        }
        Ok(0)
    }

    /// Bytes used by the version this handle sees, counted by whole objects as `rbd du` does
    /// with fast-diff, and optionally only what changed since `from_snap`.
    pub fn du(&self, from_snap: Option<&str>) -> Result<u64> {
        let h = self.header()?;
        let from = match from_snap {
            Some(n) => Some(h.snap_by_name(n)?.id),
            None => None,
        };
        let size = h.size_at(self.current_snap())?;
        let mut used = 0;
        for e in self.sh.diff_extents(from, self.current_snap(), 0, size, false, true)? {
            if e.exists {
                used += e.len;
            }
        }
        Ok(used)
    }
}
