//! Open images: the per-process shared state of an image and the handles that use it.
//!
//! Every handle on the same image in one process shares one [`ImageShared`]: one volume, one
//! coordinator, one header cache and one IO gate. That is what makes the backend's per-process
//! primitives (POSIX locks) correct, and what lets a snapshot taken through one handle be exact
//! for writes coming through another.
//!
//! Header cache: the header is re-read whenever the coordinator's shared generation moved,
//! which every header update bumps, in any process.

use crate::auth::caps::Rights;
use crate::header::{header_key, Header, Timestamp};
use crate::ioctx::IoCtx;
use crate::{Error, Result};
use once_cell::sync::Lazy;
use parking_lot::{Mutex, RwLock};
use rbdshim_backend::{Backend, Coordinator, Loc, PoolId, PutMode, SnapId, View, Volume, WatchGuard, WatcherInfo};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

type SharedKey = (usize, PoolId, String, String);
static OPEN_IMAGES: Lazy<Mutex<HashMap<SharedKey, Weak<ImageShared>>>> = Lazy::new(|| Mutex::new(HashMap::new()));
static NEXT_COOKIE: AtomicU64 = AtomicU64::new(1);

pub(crate) const COPYUP_STRIPES: usize = 64;

/// (snapshot, object number) pairs known to be absent.
type AbsentSet = HashSet<(SnapId, u64), foldhash::fast::RandomState>;

pub struct ImageShared {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) loc: Loc,
    pub(crate) id: String,
    pub(crate) volume: Arc<dyn Volume>,
    pub(crate) coord: Arc<dyn Coordinator>,
    pub(crate) cache: RwLock<(u64, Arc<Header>)>,
    /// IO holds it shared; lock hand-over and snapshot creation hold it exclusively, so that no
    /// request is in flight while the exclusive lock changes hands or the snap context changes.
    pub(crate) gate: RwLock<()>,
    /// Serialises copy-up of the same object by two threads.
    pub(crate) copyup: Vec<Mutex<()>>,
    /// The parent last used for reads through a clone link (the image it is for is itself).
    pub(crate) parent: Mutex<Option<Arc<ImageShared>>>,
    /// Objects known to be absent from snapshot views, valid for one header generation (see
    /// `ImageShared::exists_in`). Looked up on every read through a clone, hence a fast
    /// hasher (randomly seeded, as the standard one).
    pub(crate) absent: RwLock<(u64, AbsentSet)>,
    /// Asynchronous writes, run one at a time in order (see `aio::Lane`).
    pub(crate) write_lane: Arc<crate::aio::Lane>,
    pub(crate) open_writers: AtomicUsize,
    /// Set by rbd_lock_acquire: the lock is kept even when others ask for it.
    pub(crate) lock_pinned: AtomicBool,
    /// Which client (cluster handle) of this process owns the exclusive lock; 0: none.
    pub(crate) owner_client: AtomicU64,
}

impl ImageShared {
    /// The shared state of image `id` at `loc`, opened once per process.
    pub(crate) fn get(backend: &Arc<dyn Backend>, loc: &Loc, id: &str) -> Result<Arc<ImageShared>> {
        let key = (Arc::as_ptr(backend) as *const () as usize, loc.pool, loc.ns.clone(), id.to_string());
        let mut map = OPEN_IMAGES.lock();
        if let Some(s) = map.get(&key).and_then(Weak::upgrade) {
            return Ok(s);
        }
        let raw = backend.record_get(loc, &header_key(id))?.ok_or(Error::NotFound)?;
        let header = Header::decode(&raw)?;
        let coord = backend.coordinator(loc, id)?;
        let volume = rbdshim_backend::adapt::adapt(&backend.caps(), backend.volume_open(loc, id)?);
        let gen = coord.generation();
        let shared = Arc::new(ImageShared {
            backend: backend.clone(),
            loc: loc.clone(),
            id: id.to_string(),
            volume,
            coord,
            cache: RwLock::new((gen, Arc::new(header))),
            gate: RwLock::new(()),
            copyup: (0..COPYUP_STRIPES).map(|_| Mutex::new(())).collect(),
            parent: Mutex::new(None),
            absent: RwLock::new((gen, HashSet::default())),
            write_lane: Arc::default(),
            open_writers: AtomicUsize::new(0),
            lock_pinned: AtomicBool::new(false),
            owner_client: AtomicU64::new(0),
        });
        map.retain(|_, w| w.strong_count() > 0);
        map.insert(key, Arc::downgrade(&shared));
        Ok(shared)
    }

    /// The current header (re-read if any process changed it).
    pub(crate) fn header(&self) -> Result<Arc<Header>> {
        let gen = self.coord.generation();
        {
            let c = self.cache.read();
            if c.0 == gen {
                return Ok(c.1.clone());
            }
        }
        let raw = self.backend.record_get(&self.loc, &header_key(&self.id))?.ok_or(Error::NotFound)?;
        let h = Arc::new(Header::decode(&raw)?);
        *self.cache.write() = (gen, h.clone());
        Ok(h)
    }

    /// Read-modify-write of the header under its record lock; tells every process to reload.
    pub(crate) fn update_header<T>(&self, f: impl FnOnce(&mut Header) -> Result<T>) -> Result<T> {
        let (out, h) = update_header_record(&*self.backend, &self.loc, &self.id, f)?;
        let gen = self.coord.bump_generation();
        *self.cache.write() = (gen, Arc::new(h));
        Ok(out)
    }

    /// The parent image's shared state for a clone link.
    pub(crate) fn parent_image(&self, link: &crate::header::ParentLink) -> Result<Arc<ImageShared>> {
        let mut p = self.parent.lock();
        if let Some(img) = p.as_ref() {
            // Compared field by field: this runs on every read through a clone.
            if img.loc.pool == link.pool && img.loc.ns == link.ns && img.id == link.image_id {
                return Ok(img.clone());
            }
        }
        let img = ImageShared::get(&self.backend, &Loc::new(link.pool, &link.ns), &link.image_id)?;
        *p = Some(img.clone());
        Ok(img)
    }

    pub(crate) fn view(snap: Option<SnapId>) -> View {
        match snap {
            None => View::Head,
            Some(s) => View::Snap(s),
        }
    }
}

/// Read-modify-write of any image's header record (used where the image is not open, such as a
/// parent gaining a child). The caller bumps the generation.
pub(crate) fn update_header_record<T>(
    backend: &dyn Backend,
    loc: &Loc,
    id: &str,
    f: impl FnOnce(&mut Header) -> Result<T>,
) -> Result<(T, Header)> {
    let key = header_key(id);
    let _g = backend.record_lock(loc, &key)?;
    let raw = backend.record_get(loc, &key)?.ok_or(Error::NotFound)?;
    let mut h = Header::decode(&raw)?;
    let out = f(&mut h)?;
    h.modify_timestamp = Timestamp::now();
    backend.record_put(loc, &key, &h.encode(), PutMode::Replace)?;
    Ok((out, h))
}

/// Updates a header that may be open in other processes, and tells them.
pub(crate) fn update_other_header<T>(
    backend: &dyn Backend,
    loc: &Loc,
    id: &str,
    f: impl FnOnce(&mut Header) -> Result<T>,
) -> Result<T> {
    let (out, _) = update_header_record(backend, loc, id, f)?;
    if let Ok(c) = backend.coordinator(loc, id) {
        c.bump_generation();
    }
    Ok(out)
}

/// An open image (rbd_image_t).
pub struct Image {
    pub(crate) sh: Arc<ImageShared>,
    pub(crate) ioctx: IoCtx,
    pub(crate) snap: RwLock<Option<SnapId>>,
    pub(crate) read_only: bool,
    watch: Mutex<Option<Box<dyn WatchGuard>>>,
    closed: AtomicBool,
    pub(crate) cookie: u64,
    pub(crate) tracker: Arc<crate::aio::Tracker>,
}

/// What a handle sees of an image (rbd_image_info_t).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub size: u64,
    pub obj_size: u64,
    pub num_objs: u64,
    pub order: u8,
    pub block_name_prefix: String,
    pub parent_pool: i64,
    pub parent_name: String,
}

impl Image {
    /// Opens image `name` (optionally at snapshot `snap`, which makes it read-only).
    pub fn open(ioctx: &IoCtx, name: &str, snap: Option<&str>, read_only: bool) -> Result<Image> {
        crate::naming::check_image_name(name)?;
        let id = crate::manage::lookup_id(ioctx, name)?;
        Image::open_by_id(ioctx, &id, snap, read_only)
    }

    pub fn open_by_id(ioctx: &IoCtx, id: &str, snap: Option<&str>, read_only: bool) -> Result<Image> {
        if id.is_empty() {
            return Err(Error::InvalidArgument("empty image id"));
        }
        // Opening to write registers a watch, a write: it needs write caps, as in Ceph.
        let need = if read_only || snap.is_some() { Rights::IMAGE_READ } else { Rights::IMAGE_WRITE };
        let loc = ioctx.checked_loc(need)?;
        let sh = ImageShared::get(ioctx.backend(), &loc, id)?;
        let h = sh.header()?;
        if h.trash.is_some() {
            return Err(Error::NotFound);
        }
        check_parent_caps(ioctx, &h)?;
        let snap_id = match snap {
            Some(s) => Some(h.snap_by_name(s)?.id),
            None => None,
        };
        let read_only = read_only || snap_id.is_some();
        let cookie = NEXT_COOKIE.fetch_add(1, Ordering::Relaxed);
        let img = Image {
            sh,
            ioctx: ioctx.clone(),
            snap: RwLock::new(snap_id),
            read_only,
            watch: Mutex::new(None),
            closed: AtomicBool::new(false),
            cookie,
            tracker: Arc::new(crate::aio::Tracker::default()),
        };
        if !read_only {
            let info = WatcherInfo { addr: ioctx.cluster().client_addr(), id: ioctx.cluster().instance_id(), cookie };
            *img.watch.lock() = Some(img.sh.coord.watch(info)?);
            img.sh.open_writers.fetch_add(1, Ordering::AcqRel);
        }
        Ok(img)
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::BadHandle);
        }
        Ok(())
    }

    /// For metadata changes (snapshots and their protection): refused on a handle opened
    /// read-only or at a snapshot, but not on one merely switched to a snapshot, as in librbd.
    pub(crate) fn check_mutable(&self) -> Result<()> {
        self.check_open()?;
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        Ok(())
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        self.check_open()?;
        if self.read_only || self.snap.read().is_some() {
            return Err(Error::ReadOnly);
        }
        Ok(())
    }

    /// Makes every write durable, releases the exclusive lock if no other handle here writes,
    /// and stops watching. Further calls on this handle fail.
    pub fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Err(Error::BadHandle);
        }
        // Requests already queued finish first (they checked the handle when submitted).
        self.tracker.drain();
        let flushed = self.sh.volume.flush();
        if !self.read_only && self.sh.open_writers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.sh.lock_pinned.store(false, Ordering::Release);
            crate::lock::release(&self.sh);
        } else if self.sh.owner_client.load(Ordering::Acquire) == self.client() {
            // Another handle keeps writing here; a lock this client pinned is free again.
            self.sh.lock_pinned.store(false, Ordering::Release);
        }
        self.watch.lock().take();
        flushed.map_err(Error::from)
    }

    /// This handle's client: its cluster handle's instance id.
    pub(crate) fn client(&self) -> u64 {
        self.ioctx.cluster().instance_id()
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub fn header(&self) -> Result<Arc<Header>> {
        self.check_open()?;
        self.sh.header()
    }

    pub fn id(&self) -> &str {
        &self.sh.id
    }

    /// The watch cookie of this handle (as listed by `watchers`), 0 for read-only handles.
    pub fn watch_cookie(&self) -> u64 {
        if self.read_only {
            0
        } else {
            self.cookie
        }
    }

    pub fn ioctx(&self) -> &IoCtx {
        &self.ioctx
    }

    pub fn name(&self) -> Result<String> {
        Ok(self.header()?.name.clone())
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The snapshot this handle reads (None: head).
    pub fn current_snap(&self) -> Option<SnapId> {
        *self.snap.read()
    }

    /// Size as seen by this handle (at its snapshot, if any).
    pub fn size(&self) -> Result<u64> {
        let h = self.header()?;
        h.size_at(self.current_snap())
    }

    pub fn stat(&self) -> Result<ImageInfo> {
        let h = self.header()?;
        let size = h.size_at(self.current_snap())?;
        let obj = h.object_size();
        let (parent_pool, parent_name) = match h.parent_at(self.current_snap())? {
            Some(p) => {
                let name = crate::manage::name_of(&*self.sh.backend, &Loc::new(p.pool, &p.ns), &p.image_id)
                    .unwrap_or_default();
                (p.pool, name)
            }
            None => (-1, String::new()),
        };
        Ok(ImageInfo {
            size,
            obj_size: obj,
            num_objs: size.div_ceil(obj),
            order: h.order,
            block_name_prefix: format!("rbd_data.{}", h.id),
            parent_pool,
            parent_name,
        })
    }

    pub fn features(&self) -> Result<u64> {
        Ok(self.header()?.features)
    }

    pub fn flags(&self) -> Result<u64> {
        Ok(self.header()?.flags)
    }

    pub fn op_features(&self) -> Result<u64> {
        Ok(self.header()?.op_features)
    }

    /// Enables or disables mutable features, with librbd's rules: object-map and fast-diff
    /// change together, a feature already in the requested state is -EINVAL, object-map needs
    /// exclusive-lock, and enabling them marks them invalid until rebuilt (as librbd does).
    pub fn update_features(&self, mask: u64, enable: bool) -> Result<()> {
        use crate::features::*;
        self.check_writable()?;
        if mask & !ALL != 0 {
            return Err(Error::InvalidArgument("unknown feature"));
        }
        let allowed = if enable { MUTABLE } else { MUTABLE | DISABLE_ONLY };
        if mask & !allowed != 0 {
            return Err(Error::InvalidArgument("feature cannot be changed"));
        }
        if enable && mask & !SUPPORTED != 0 {
            return Err(Error::NotSupported);
        }
        self.sh.update_header(|h| {
            let mut mask = mask;
            let (set_om, set_fd) = (mask & OBJECT_MAP != 0, mask & FAST_DIFF != 0);
            let (has_om, has_fd) = (h.features & OBJECT_MAP != 0, h.features & FAST_DIFF != 0);
            if (enable && ((set_om && !has_fd) || (set_fd && !has_om))) || (!enable && set_om && has_fd) {
                mask |= OBJECT_MAP | FAST_DIFF;
            }
            if mask == 0 {
                return Err(Error::InvalidArgument("update requires at least one feature"));
            }
            if enable && mask & h.features != 0 {
                return Err(Error::InvalidArgument("one or more requested features are already enabled"));
            }
            if !enable && mask & !h.features != 0 {
                return Err(Error::InvalidArgument("one or more requested features are already disabled"));
            }
            let f = if enable { h.features | mask } else { h.features & !mask };
            if f & OBJECT_MAP != 0 && f & EXCLUSIVE_LOCK == 0 {
                return Err(Error::InvalidArgument("object-map requires exclusive-lock"));
            }
            if enable && mask & OBJECT_MAP != 0 {
                h.flags |= FLAG_OBJECT_MAP_INVALID | FLAG_FAST_DIFF_INVALID;
            }
            if !enable && mask & OBJECT_MAP != 0 {
                h.flags &= !(FLAG_OBJECT_MAP_INVALID | FLAG_FAST_DIFF_INVALID);
            }
            h.features = f;
            Ok(())
        })
    }

    /// rbd_rebuild_object_map: object records are always in step with the data here, so this
    /// only clears the invalid flags (it needs the object-map feature, as in librbd).
    pub fn rebuild_object_map(&self) -> Result<()> {
        use crate::features::*;
        self.check_writable()?;
        self.sh.update_header(|h| {
            if h.features & OBJECT_MAP == 0 {
                return Err(Error::InvalidArgument("object-map is not enabled"));
            }
            h.flags &= !(FLAG_OBJECT_MAP_INVALID | FLAG_FAST_DIFF_INVALID);
            Ok(())
        })
    }

    /// rbd_get_data_pool_id: the data pool given at creation, else the image's own pool.
    pub fn data_pool_id(&self) -> Result<i64> {
        Ok(self.header()?.data_pool.unwrap_or(self.ioctx.pool_id()))
    }

    pub fn stripe_unit(&self) -> Result<u64> {
        Ok(self.header()?.stripe_unit)
    }

    pub fn stripe_count(&self) -> Result<u64> {
        Ok(self.header()?.stripe_count)
    }

    pub fn create_timestamp(&self) -> Result<Timestamp> {
        Ok(self.header()?.create_timestamp)
    }

    pub fn modify_timestamp(&self) -> Result<Timestamp> {
        Ok(self.header()?.modify_timestamp)
    }

    pub fn access_timestamp(&self) -> Result<Timestamp> {
        Ok(self.header()?.access_timestamp)
    }

    pub fn metadata_get(&self, key: &str) -> Result<String> {
        self.header()?.metadata.get(key).cloned().ok_or(Error::NotFound)
    }

    pub fn metadata_set(&self, key: &str, value: &str) -> Result<()> {
        if let Some(opt) = key.strip_prefix(crate::pool::CONF_PREFIX) {
            crate::rbdconfig::check(opt, value)?;
        }
        self.check_writable()?;
        if key.is_empty() {
            return Err(Error::InvalidArgument("empty metadata key"));
        }
        self.sh.update_header(|h| {
            h.metadata.insert(key.to_string(), value.to_string());
            Ok(())
        })
    }

    pub fn metadata_remove(&self, key: &str) -> Result<()> {
        self.check_writable()?;
        self.sh.update_header(|h| h.metadata.remove(key).map(|_| ()).ok_or(Error::NotFound))
    }

    /// Keys after `start` (exclusive), at most `max` of them (0: all).
    pub fn metadata_list(&self, start: &str, max: usize) -> Result<Vec<(String, String)>> {
        let h = self.header()?;
        let it = h.metadata.iter().filter(|(k, _)| start.is_empty() || k.as_str() > start);
        let v: Vec<(String, String)> = it.map(|(k, v)| (k.clone(), v.clone())).collect();
        Ok(if max == 0 { v } else { v.into_iter().take(max).collect() })
    }

    /// Processes that have this image open for writing.
    pub fn watchers(&self) -> Result<Vec<WatcherInfo>> {
        self.check_open()?;
        Ok(self.sh.coord.watchers()?)
    }

    /// Drops what this process cached about the image (rbd_invalidate_cache).
    pub fn invalidate_cache(&self) -> Result<()> {
        self.check_open()?;
        let _g = self.sh.gate.write();
        self.sh.volume.set_cached(self.sh.coord.is_locked_here());
        Ok(())
    }
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image").field("id", &self.sh.id).field("snap", &self.current_snap()).finish()
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        if !self.closed.load(Ordering::Acquire) {
            let _ = self.close();
        }
    }
}

/// A clone reads its parents: the client needs read caps on each pool and namespace along the
/// chain, as librbd opening the parents needs them (-EPERM otherwise).
fn check_parent_caps(ioctx: &IoCtx, h: &Header) -> Result<()> {
    let mut links: Vec<crate::header::ParentLink> =
        h.parent.iter().cloned().chain(h.snaps.iter().filter_map(|s| s.parent.clone())).collect();
    // Chains are short; a damaged one that loops is cut.
    for _ in 0..64 {
        let Some(link) = links.pop() else { return Ok(()) };
        let Ok(pool) = ioctx.cluster().pool_reverse_lookup(link.pool) else { continue };
        ioctx.cluster().require_osd(&pool, Some(&link.ns), None, Rights::IMAGE_READ)?;
        let ploc = Loc::new(link.pool, &link.ns);
        if let Ok(ph) = crate::manage::read_header(&**ioctx.backend(), &ploc, &link.image_id) {
            links.extend(ph.snap(link.snap_id).ok().and_then(|s| s.parent.clone()));
        }
    }
    Ok(())
}
