//! Copies of images: `copy` (the head, as one new image) and `deep_copy` (every snapshot too,
//! oldest first, each written as the difference from the previous one). Only allocated data is
//! read and written, so holes stay holes.

use crate::image::Image;
use crate::ioctx::IoCtx;
use crate::manage::{self, CreateOptions};
use crate::{Error, Result};

/// Bytes moved per request.
const CHUNK: u64 = 4 << 20;

/// Writes into `dst` what `src` (at its current view) holds in the extents that differ from
/// `from_snap` (None: all data), and zeroes what was deallocated since.
fn copy_extents(src: &Image, from_snap: Option<&str>, dst: &Image) -> Result<()> {
    let size = src.size()?;
    let mut extents = Vec::new();
    src.diff_iterate(from_snap, 0, size, true, false, |off, len, exists| {
        extents.push((off, len, exists));
        0
    })?;
    let mut buf = Vec::new();
    for (off, len, exists) in extents {
        if !exists {
            dst.discard(off, len)?;
            continue;
        }
        let mut pos = off;
        while pos < off + len {
            let n = (off + len - pos).min(CHUNK) as usize;
            buf.resize(n, 0);
            let got = src.read(pos, &mut buf)?;
            if buf[..got].iter().any(|b| *b != 0) {
                dst.write(pos, &buf[..got])?;
            } else if from_snap.is_some() {
                dst.discard(pos, got as u64)?;
            }
            pos += n as u64;
        }
    }
    Ok(())
}

fn create_like(src: &Image, dst_io: &IoCtx, name: &str, opts: &CreateOptions, size: u64) -> Result<Image> {
    let h = src.header()?;
    let o = CreateOptions {
        order: opts.order.filter(|o| *o != 0).or(Some(h.order)),
        features: opts.features.or(Some(h.features)),
        stripe_unit: opts.stripe_unit.or(Some(h.stripe_unit)),
        stripe_count: opts.stripe_count.or(Some(h.stripe_count)),
        data_pool: opts.data_pool.clone(),
    };
    manage::create(dst_io, name, size, &o)?;
    let dst = Image::open(dst_io, name, None, false)?;
    for (k, v) in h.metadata.iter() {
        dst.metadata_set(k, v)?;
    }
    Ok(dst)
}

impl Image {
    /// Copies what this handle sees into a new image `name` (rbd_copy3).
    pub fn copy_to(&self, dst_io: &IoCtx, name: &str, opts: &CreateOptions) -> Result<()> {
        self.check_open()?;
        let dst = create_like(self, dst_io, name, opts, self.size()?)?;
        copy_extents(self, None, &dst)?;
        dst.close()
    }

    /// Copies what this handle sees into an existing image of at least the same size
    /// (rbd_copy2).
    pub fn copy_into(&self, dst: &Image) -> Result<()> {
        self.check_open()?;
        if dst.size()? < self.size()? {
            return Err(Error::InvalidArgument("destination is smaller than the source"));
        }
        copy_extents(self, None, dst)?;
        dst.flush()
    }

    /// Copies the image with all its snapshots into a new image `name` (rbd_deep_copy).
    pub fn deep_copy_to(&self, dst_io: &IoCtx, name: &str, opts: &CreateOptions) -> Result<()> {
        self.check_open()?;
        let snaps = self.snap_list()?;
        let first = snaps.first().map(|s| s.size).unwrap_or(self.size()?);
        let dst = create_like(self, dst_io, name, opts, first)?;
        let view = Image::open_by_id(self.ioctx(), self.id(), None, true)?;
        let mut prev: Option<String> = None;
        for s in &snaps {
            view.snap_set(Some(&s.name))?;
            if dst.size()? != s.size {
                dst.resize(s.size)?;
            }
            copy_extents(&view, prev.as_deref(), &dst)?;
            dst.snap_create(&s.name)?;
            if s.protected {
                dst.snap_protect(&s.name)?;
            }
            prev = Some(s.name.clone());
        }
        view.snap_set(None)?;
        if dst.size()? != view.size()? {
            dst.resize(view.size()?)?;
        }
        copy_extents(&view, prev.as_deref(), &dst)?;
        dst.close()
    }
}
