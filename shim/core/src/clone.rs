//! Clones (copy-on-write children of protected snapshots), flatten, parent and children.
//!
//! A clone starts empty: its objects read through to the parent snapshot within the overlap,
//! and the first write to an object copies the parent's bytes up at object granularity.
//! Parent and child are linked both ways: the child's header names its parent, the parent's
//! header lists its children (written first, so a crash can only leave a stale child entry,
//! which listing skips).

use crate::auth::caps::Rights;
use crate::features;
use crate::header::{ChildLink, ParentLink};
use crate::image::{update_other_header, Image, ImageShared};
use crate::ioctx::IoCtx;
use crate::lock::with_lock_quiesced;
use crate::manage::{self, CreateOptions};
use crate::naming::{check_image_name, check_snap_name};
use crate::{Error, Result};
use rbdshim_backend::{Loc, PoolId, SnapId};

/// A parent as rbd_get_parent reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentInfo {
    pub pool_id: PoolId,
    pub pool_name: String,
    pub namespace: String,
    pub image_id: String,
    pub image_name: String,
    pub snap_id: SnapId,
    pub snap_name: String,
    pub overlap: u64,
    pub trash: bool,
}

/// A child as rbd_list_children3 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildInfo {
    pub pool_id: PoolId,
    pub pool_name: String,
    pub namespace: String,
    pub image_id: String,
    pub image_name: String,
    pub trash: bool,
}

/// Clones snapshot `snap` of `parent` into a new image `child` in `child_ioctx`.
pub fn clone(
    parent_ioctx: &IoCtx,
    parent: &str,
    snap: &str,
    child_ioctx: &IoCtx,
    child: &str,
    opts: &CreateOptions,
) -> Result<String> {
    check_image_name(parent)?;
    check_snap_name(snap)?;
    check_image_name(child)?;
    // Caps: read on the parent (its child link is written as rbd-read-only allows), write on
    // the child's pool.
    child_ioctx.require(Rights::IMAGE_WRITE)?;
    let pimg = Image::open(parent_ioctx, parent, None, true)?;
    let parent_rights =
        parent_ioctx.cluster().osd_rights(parent_ioctx.pool_name(), Some(&parent_ioctx.namespace()), None);
    if !parent_rights.may_attach_child() {
        return Err(Error::PermissionDenied);
    }
    let ph = pimg.header()?;
    let psnap = ph.snap_by_name(snap)?.clone();
    if ph.features & features::LAYERING == 0 {
        return Err(Error::NoSys);
    }
    if opts.features.is_some_and(|f| f & features::LAYERING == 0) {
        // A clone without layering cannot read its parent (librbd: -ENOSYS).
        return Err(Error::NoSys);
    }
    // Format 1 needs a protected snapshot; format 2 (rbd_default_clone_format = 2) does not.
    // "auto" is format 1, as on a cluster that still admits pre-mimic clients.
    let v2 = child_ioctx.cluster().conf_get("rbd_default_clone_format").map(|v| v.trim() == "2").unwrap_or(false);
    if psnap.trash_name.is_some() {
        return Err(Error::NotFound);
    }
    if !psnap.protected && !v2 {
        return Err(Error::InvalidArgument("parent snapshot must be protected"));
    }
    let mut opts = opts.clone();
    if opts.order.unwrap_or(0) == 0 {
        opts.order = Some(ph.order);
    }
    let mut feats = opts.features.unwrap_or(ph.features);
    feats |= features::LAYERING;
    opts.features = Some(feats);
    let child_loc = child_ioctx.checked_loc(Rights::IMAGE_WRITE)?;
    let parent_loc = pimg.sh.loc.clone();
    if child_ioctx.backend().record_get(&child_loc, &crate::header::dir_key(child))?.is_some() {
        return Err(Error::Exists);
    }
    // Reserve the link under the parent's header lock, re-checking protection there.
    let placeholder = format!("pending-{}", crate::naming::new_image_id());
    pimg.sh.update_header(|h| {
        let s = h.snap(psnap.id)?;
        if !s.protected && !v2 {
            return Err(Error::InvalidArgument("parent snapshot must be protected"));
        }
        h.children.push(ChildLink {
            snap_id: psnap.id,
            pool: child_loc.pool,
            ns: child_loc.ns.clone(),
            image_id: placeholder.clone(),
        });
        h.op_features |= features::OP_FEATURE_CLONE_PARENT;
        Ok(())
    })?;
    let result = (|| {
        let (order, feats, unit, count) = {
            let o = opts.order.unwrap_or(ph.order);
            if !(features::MIN_ORDER..=features::MAX_ORDER).contains(&o) {
                return Err(Error::Domain);
            }
            features::validate(feats)?;
            (
                o,
                feats,
                opts.stripe_unit.filter(|u| *u != 0).unwrap_or(1 << o),
                opts.stripe_count.filter(|c| *c != 0).unwrap_or(1),
            )
        };
        let data_pool = manage::data_pool_id(child_ioctx, &opts)?;
        let feats = if data_pool.is_some() { feats | features::DATA_POOL } else { feats };
        let mut header = manage::new_header_for_clone(child, psnap.size, order, feats, unit, count);
        header.data_pool = data_pool;
        header.parent = Some(ParentLink {
            pool: parent_loc.pool,
            ns: parent_loc.ns.clone(),
            image_id: ph.id.clone(),
            snap_id: psnap.id,
            overlap: psnap.size,
        });
        header.op_features |= features::OP_FEATURE_CLONE_CHILD;
        manage::create_with(child_ioctx, child, header)
    })();
    let child_id = result.as_ref().ok().cloned();
    pimg.sh.update_header(|h| {
        match &child_id {
            Some(id) => {
                for c in h.children.iter_mut().filter(|c| c.image_id == placeholder) {
                    c.image_id = id.clone();
                }
            }
            None => h.children.retain(|c| c.image_id != placeholder),
        }
        Ok(())
    })?;
    crate::snapshot::sync_snapshots(&*pimg.sh.backend, &pimg.sh.loc, &*pimg.sh.header()?);
    result
}

impl Image {
    /// The parent of this image at its current view (-ENOENT if it is not a clone).
    pub fn parent_info(&self) -> Result<ParentInfo> {
        let h = self.header()?;
        let link = h.parent_at(self.current_snap())?.cloned().ok_or(Error::NotFound)?;
        let backend = &self.sh.backend;
        let ploc = Loc::new(link.pool, &link.ns);
        let ph = manage::read_header(&**backend, &ploc, &link.image_id)?;
        let pool_name = self.ioctx.cluster().pool_reverse_lookup(link.pool).unwrap_or_default();
        let snap_name = ph.snap(link.snap_id).map(|s| s.name.clone()).unwrap_or_default();
        Ok(ParentInfo {
            pool_id: link.pool,
            pool_name,
            namespace: link.ns.clone(),
            image_id: link.image_id.clone(),
            image_name: ph.name.clone(),
            snap_id: link.snap_id,
            snap_name,
            overlap: link.overlap,
            trash: ph.trash.is_some(),
        })
    }

    pub fn overlap(&self) -> Result<u64> {
        Ok(self.parent_info()?.overlap)
    }

    /// Children of snapshot `snap` of this image that still exist.
    pub fn children_of(&self, snap: SnapId) -> Result<Vec<ChildInfo>> {
        let h = self.header()?;
        let backend = &self.sh.backend;
        let mut out = Vec::new();
        for c in h.children.iter().filter(|c| c.snap_id == snap) {
            let loc = Loc::new(c.pool, &c.ns);
            let Ok(ch) = manage::read_header(&**backend, &loc, &c.image_id) else { continue };
            let links_here = |p: &ParentLink| p.image_id == h.id && p.snap_id == snap;
            if !(ch.parent.as_ref().map(links_here).unwrap_or(false)
                || ch.snaps.iter().any(|s| s.parent.as_ref().map(links_here).unwrap_or(false)))
            {
                continue;
            }
            out.push(ChildInfo {
                pool_id: c.pool,
                pool_name: self.ioctx.cluster().pool_reverse_lookup(c.pool).unwrap_or_default(),
                namespace: c.ns.clone(),
                image_id: c.image_id.clone(),
                image_name: ch.name.clone(),
                trash: ch.trash.is_some(),
            });
        }
        out.sort_by(|a, b| {
            (a.pool_name.as_str(), a.namespace.as_str(), a.image_name.as_str()).cmp(&(
                b.pool_name.as_str(),
                b.namespace.as_str(),
                b.image_name.as_str(),
            ))
        });
        Ok(out)
    }

    /// Children of the snapshot this handle is set to (rbd_list_children*).
    pub fn list_children(&self) -> Result<Vec<ChildInfo>> {
        match self.current_snap() {
            Some(s) => self.children_of(s),
            None => {
                let h = self.header()?;
                let mut all = Vec::new();
                for s in &h.snaps {
                    all.extend(self.children_of(s.id)?);
                }
                Ok(all)
            }
        }
    }

    /// Copies everything the parent provides into this image, and into each of its snapshots
    /// (deep flatten), then detaches it. -EINVAL if the image is not a clone.
    pub fn flatten(&self) -> Result<()> {
        self.check_writable()?;
        let sh = &self.sh;
        if sh.header()?.parent.is_none() {
            return Err(Error::InvalidArgument("image has no parent"));
        }
        with_lock_quiesced(sh, self.client(), || {
            let h = sh.header()?;
            let obj = h.object_size();
            // Snapshots first, each with its own overlap (fill_absent gives them their own
            // versions), then the head, written with the image's snap context like any write.
            let mut links: Vec<(Option<SnapId>, ParentLink)> =
                h.snaps.iter().filter_map(|s| s.parent.clone().map(|p| (Some(s.id), p))).collect();
            if let Some(p) = h.parent.clone() {
                links.push((None, p));
            }
            let snapc = h.snapc();
            let mut buf = vec![0u8; obj as usize];
            for (snap, link) in &links {
                let parent = sh.parent_image(link)?;
                let ph = parent.header()?;
                let view = ImageShared::view(*snap);
                for objno in 0..link.overlap.div_ceil(obj) {
                    if sh.volume.object_exists(view, objno)? {
                        continue;
                    }
                    let start = objno << h.order;
                    let n = link.overlap.saturating_sub(start).min(obj) as usize;
                    parent.read_at(&ph, Some(link.snap_id), start, &mut buf[..n])?;
                    if buf[..n].iter().all(|b| *b == 0) {
                        continue;
                    }
                    match snap {
                        Some(s) => sh.volume.fill_absent(*s, objno, &buf[..n])?,
                        None => sh.volume.write(&snapc, start, &buf[..n])?,
                    }
                }
            }
            // The copies must be on disk before the header forgets the parent.
            sh.volume.flush()?;
            sh.update_header(|h| {
                h.parent = None;
                h.op_features &= !features::OP_FEATURE_CLONE_CHILD;
                for s in h.snaps.iter_mut() {
                    s.parent = None;
                }
                Ok(())
            })?;
            for (_, link) in links {
                crate::manage::unlink_child(&*sh.backend, link.pool, &link.ns, &link.image_id, &sh.loc, &sh.id);
            }
            Ok(())
        })
    }
}

impl ImageShared {
    #[allow(dead_code)]
    pub(crate) fn is_clone(&self) -> Result<bool> {
        Ok(self.header()?.parent.is_some())
    }
}

/// Unused-link sweep used by fsck: children entries whose child is gone.
pub(crate) fn prune_children(backend: &dyn rbdshim_backend::Backend, loc: &Loc, id: &str) -> Result<usize> {
    update_other_header(backend, loc, id, |h| {
        let before = h.children.len();
        h.children.retain(|c| manage::read_header(backend, &Loc::new(c.pool, &c.ns), &c.image_id).is_ok());
        Ok(before - h.children.len())
    })
}
