//! Snapshots: O(1) creation (a new id in the header; the volume preserves data lazily on the
//! next write), removal with space reclaim, rollback, protection, and per-handle views.
//!
//! Point in time across processes: creation holds this image's exclusive lock with no request
//! in flight here, so every writer elsewhere has drained and handed the lock over; they re-read
//! the header when they take it back, and their next write already carries the new snapshot.

use crate::header::{SnapRec, Timestamp};
use crate::image::Image;
use crate::lock::with_lock_quiesced;
use crate::naming::check_snap_name;
use crate::{features, Error, Result};
use rbdshim_backend::SnapId;

/// What rbd_snap_list reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapInfo {
    pub id: SnapId,
    pub size: u64,
    pub name: String,
    pub timestamp: Timestamp,
    pub protected: bool,
    /// In the trash namespace, with the name it had (see [`SnapRec::trash_name`]).
    pub trash_name: Option<String>,
}

impl From<&SnapRec> for SnapInfo {
    fn from(s: &SnapRec) -> Self {
        SnapInfo {
            id: s.id,
            size: s.size,
            name: s.name.clone(),
            timestamp: s.timestamp,
            protected: s.protected,
            trash_name: s.trash_name.clone(),
        }
    }
}

impl Image {
    pub fn snap_create(&self, name: &str) -> Result<SnapId> {
        check_snap_name(name)?;
        self.check_mutable()?;
        let sh = &self.sh;
        with_lock_quiesced(sh, self.client(), || {
            let id = sh.update_header(|h| {
                if h.snaps.iter().any(|s| s.name == name) {
                    return Err(Error::Exists);
                }
                if let Some(limit) = h.snap_limit {
                    if h.snaps.len() as u64 >= limit {
                        return Err(Error::Quota);
                    }
                }
                h.snap_seq += 1;
                let rec = SnapRec {
                    id: h.snap_seq,
                    name: name.to_string(),
                    size: h.size,
                    timestamp: Timestamp::now(),
                    protected: false,
                    parent: h.parent.clone(),
                    trash_name: None,
                };
                h.snaps.push(rec);
                Ok(h.snap_seq)
            })?;
            sync_snapshots(&*sh.backend, &sh.loc, &*sh.header()?);
            Ok(id)
        })
    }

    pub fn snap_list(&self) -> Result<Vec<SnapInfo>> {
        let h = self.header()?;
        Ok(h.snaps.iter().map(SnapInfo::from).collect())
    }

    pub fn snap_id(&self, name: &str) -> Result<SnapId> {
        check_snap_name(name)?;
        Ok(self.header()?.snap_by_name(name)?.id)
    }

    pub fn snap_name(&self, id: SnapId) -> Result<String> {
        Ok(self.header()?.snap(id)?.name.clone())
    }

    pub fn snap_timestamp(&self, id: SnapId) -> Result<Timestamp> {
        Ok(self.header()?.snap(id)?.timestamp)
    }

    pub fn snap_exists(&self, name: &str) -> Result<bool> {
        check_snap_name(name)?;
        Ok(self.header()?.snaps.iter().any(|s| s.name == name))
    }

    /// Removes a snapshot: -EBUSY while protected (or cloned), and reclaims what only it needed.
    pub fn snap_remove(&self, name: &str) -> Result<()> {
        check_snap_name(name)?;
        self.check_mutable()?;
        let id = self.snap_id(name)?;
        self.snap_remove_by_id(id)
    }

    pub fn snap_remove_by_id(&self, id: SnapId) -> Result<()> {
        self.check_mutable()?;
        let sh = &self.sh;
        with_lock_quiesced(sh, self.client(), || {
            let h = sh.update_header(|h| {
                let s = h.snap(id)?;
                if s.protected {
                    return Err(Error::Busy);
                }
                if h.children.iter().any(|c| c.snap_id == id) {
                    // Clone-v2 children still read from it: into the trash namespace, as
                    // librbd does; it goes with the last child.
                    let s = h.snaps.iter_mut().find(|s| s.id == id).ok_or(Error::NotFound)?;
                    if s.trash_name.is_some() {
                        return Err(Error::Busy);
                    }
                    s.trash_name = Some(std::mem::replace(&mut s.name, crate::naming::new_snap_trash_name()));
                    return Ok(None);
                }
                let parent = s.parent.clone();
                h.snaps.retain(|s| s.id != id);
                Ok(Some((h.clone(), parent)))
            });
            let Some((h, parent)) = h? else {
                // Into the snapshot trash: renamed.
                sync_snapshots(&*sh.backend, &sh.loc, &*sh.header()?);
                return Ok(());
            };
            if let Some(p) = parent {
                // The parent link may now be unused by this image altogether.
                let still = h.parent.as_ref().map(|q| q.image_id == p.image_id).unwrap_or(false)
                    || h.snaps.iter().any(|s| s.parent.as_ref().map(|q| q.image_id == p.image_id).unwrap_or(false));
                if !still {
                    crate::manage::unlink_child(&*sh.backend, p.pool, &p.ns, &p.image_id, &sh.loc, &sh.id);
                }
            }
            sh.volume.trim(&h.snapc().snaps)?;
            sync_snapshots(&*sh.backend, &sh.loc, &h);
            Ok(())
        })
    }

    pub fn snap_rename(&self, src: &str, dst: &str) -> Result<()> {
        check_snap_name(src)?;
        check_snap_name(dst)?;
        self.check_mutable()?;
        self.sh.update_header(|h| {
            if h.snaps.iter().any(|s| s.name == dst) {
                return Err(Error::Exists);
            }
            let s = h.snaps.iter_mut().find(|s| s.name == src).ok_or(Error::NotFound)?;
            s.name = dst.to_string();
            Ok(())
        })?;
        sync_snapshots(&*self.sh.backend, &self.sh.loc, &*self.sh.header()?);
        Ok(())
    }

    /// Makes the head equal to the snapshot (data, size and parent overlap).
    pub fn snap_rollback(&self, name: &str) -> Result<()> {
        check_snap_name(name)?;
        self.check_writable()?;
        let sh = &self.sh;
        with_lock_quiesced(sh, self.client(), || {
            let h = sh.header()?;
            let snap = h.snap_by_name(name)?.clone();
            sh.volume.rollback(&h.snapc(), snap.id, snap.size)?;
            sh.volume.flush()?;
            sh.update_header(|h| {
                h.size = snap.size;
                if let (Some(cur), Some(old)) = (h.parent.as_mut(), snap.parent.as_ref()) {
                    if cur.image_id == old.image_id {
                        cur.overlap = old.overlap;
                    }
                }
                Ok(())
            })
        })
    }

    pub fn snap_protect(&self, name: &str) -> Result<()> {
        check_snap_name(name)?;
        self.check_mutable()?;
        self.sh.update_header(|h| {
            if h.features & features::LAYERING == 0 {
                return Err(Error::NoSys);
            }
            let s = h.snaps.iter_mut().find(|s| s.name == name).ok_or(Error::NotFound)?;
            if s.protected {
                return Err(Error::Busy);
            }
            s.protected = true;
            Ok(())
        })?;
        sync_snapshots(&*self.sh.backend, &self.sh.loc, &*self.sh.header()?);
        Ok(())
    }

    /// -EINVAL if not protected, -EBUSY while clones of it exist.
    pub fn snap_unprotect(&self, name: &str) -> Result<()> {
        check_snap_name(name)?;
        self.check_mutable()?;
        let h = self.header()?;
        let id = h.snap_by_name(name)?.id;
        let backend = self.sh.backend.clone();
        self.sh.update_header(|h| {
            // Under the header lock, so that a concurrent clone cannot slip in after the check.
            let live_child = h.children.iter().filter(|c| c.snap_id == id).any(|c| {
                crate::manage::read_header(&*backend, &rbdshim_backend::Loc::new(c.pool, &c.ns), &c.image_id).is_ok()
                    || c.image_id.starts_with("pending-")
            });
            let s = h.snaps.iter_mut().find(|s| s.id == id).ok_or(Error::NotFound)?;
            if !s.protected {
                return Err(Error::InvalidArgument("snapshot is not protected"));
            }
            if live_child {
                return Err(Error::Busy);
            }
            s.protected = false;
            Ok(())
        })?;
        sync_snapshots(&*self.sh.backend, &self.sh.loc, &*self.sh.header()?);
        Ok(())
    }

    pub fn snap_is_protected(&self, name: &str) -> Result<bool> {
        check_snap_name(name)?;
        Ok(self.header()?.snap_by_name(name)?.protected)
    }

    pub fn snap_get_limit(&self) -> Result<u64> {
        Ok(self.header()?.snap_limit.unwrap_or(u64::MAX))
    }

    pub fn snap_set_limit(&self, limit: u64) -> Result<()> {
        self.check_mutable()?;
        self.sh.update_header(|h| {
            // cls_rbd refuses a limit below the snapshots already taken.
            if limit != u64::MAX && (h.snaps.len() as u64) > limit {
                return Err(Error::Range);
            }
            h.snap_limit = if limit == u64::MAX { None } else { Some(limit) };
            Ok(())
        })
    }

    /// Switches this handle to read a snapshot (None: back to the head).
    pub fn snap_set(&self, name: Option<&str>) -> Result<()> {
        self.check_open()?;
        let id = match name {
            Some(n) => {
                check_snap_name(n)?;
                Some(self.header()?.snap_by_name(n)?.id)
            }
            None => None,
        };
        *self.snap.write() = id;
        Ok(())
    }

    pub fn snap_set_by_id(&self, id: Option<SnapId>) -> Result<()> {
        self.check_open()?;
        if let Some(i) = id {
            self.header()?.snap(i)?;
        }
        *self.snap.write() = id;
        Ok(())
    }

    /// Changes the size: shrinking drops data beyond the end (and the clone overlap with it).
    pub fn resize(&self, size: u64) -> Result<()> {
        self.check_writable()?;
        let caps = self.sh.backend.caps();
        let h = self.sh.header()?;
        crate::features::check_size(h.features, h.order, size, caps.max_volume_size)?;
        let sh = &self.sh;
        with_lock_quiesced(sh, self.client(), || {
            let h = sh.header()?;
            if size < h.size {
                sh.volume.truncate(&h.snapc(), size)?;
            } else if size > h.size {
                sh.volume.grow(rbdshim_backend::adapt::physical_size(&caps, size))?;
            }
            sh.update_header(|h| {
                h.size = size;
                if let Some(p) = h.parent.as_mut() {
                    p.overlap = p.overlap.min(size);
                }
                Ok(())
            })
        })
    }
}

/// Tells the store the image's snapshots and their clone counts (stores with a snapshot service
/// keep records of them). Best effort: the header is the truth, and the next change resends all.
pub(crate) fn sync_snapshots(
    backend: &dyn rbdshim_backend::Backend,
    loc: &rbdshim_backend::Loc,
    h: &crate::header::Header,
) {
    let snaps: Vec<rbdshim_backend::SnapSummary> = h
        .snaps
        .iter()
        .map(|s| rbdshim_backend::SnapSummary {
            id: s.id,
            name: s.name.clone(),
            size: s.size,
            protected: s.protected,
            children: h.children.iter().filter(|c| c.snap_id == s.id).count(),
        })
        .collect();
    if let Err(e) = backend.snapshots_changed(loc, &h.id, &snaps) {
        tracing::warn!("image {}: the store's snapshot records were not updated: {e}", h.id);
    }
}
