//! A store with CurveBS's rules, made by wrapping the file backend: 4 KiB-aligned IO only,
//! volumes of at least 10 GiB in 1 GiB steps, no shrink, IO only inside the volume's length.
//! The core must hide all of it: tests run the same scenarios on it and on the plain store.

use rbdshim_backend::*;
use rbdshim_backend_file::FileBackend;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const ALIGN: u64 = 4096;
const MIN: u64 = 10 << 30;
const STEP: u64 = 1 << 30;

pub struct Strict {
    inner: FileBackend,
}

impl Strict {
    pub fn open(dir: &std::path::Path) -> Strict {
        Strict { inner: FileBackend::open(dir).unwrap() }
    }
}

struct StrictVolume {
    inner: Arc<dyn Volume>,
    size: AtomicU64,
}

impl StrictVolume {
    fn check(&self, off: u64, len: u64) -> Result<()> {
        if !off.is_multiple_of(ALIGN) || !len.is_multiple_of(ALIGN) {
            return Err(Error::InvalidArgument("NOT_ALIGNED"));
        }
        if off + len > self.size.load(Ordering::SeqCst) {
            return Err(Error::InvalidArgument("beyond the volume's length"));
        }
        Ok(())
    }
}

impl Volume for StrictVolume {
    fn order(&self) -> u8 {
        self.inner.order()
    }
    fn read(&self, view: View, off: u64, buf: &mut [u8]) -> Result<()> {
        self.check(off, buf.len() as u64)?;
        self.inner.read(view, off, buf)
    }
    fn write(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> Result<()> {
        self.check(off, data.len() as u64)?;
        self.inner.write(snapc, off, data)
    }
    fn discard(&self, snapc: &SnapContext, off: u64, len: u64, keep: bool) -> Result<()> {
        self.check(off, len)?;
        self.inner.discard(snapc, off, len, keep)
    }
    fn truncate(&self, _: &SnapContext, _: u64) -> Result<()> {
        Err(Error::NotSupported)
    }
    fn rollback(&self, snapc: &SnapContext, snap: SnapId, size: u64) -> Result<()> {
        self.inner.rollback(snapc, snap, size)
    }
    fn trim(&self, live: &[SnapId]) -> Result<()> {
        self.inner.trim(live)
    }
    fn fill_absent(&self, snap: SnapId, objno: u64, data: &[u8]) -> Result<()> {
        self.check(0, data.len() as u64)?;
        self.inner.fill_absent(snap, objno, data)
    }
    fn grow(&self, size: u64) -> Result<()> {
        if !size.is_multiple_of(STEP) || size < self.size.load(Ordering::SeqCst) {
            return Err(Error::InvalidArgument("extend must grow by whole segments"));
        }
        self.size.store(size, Ordering::SeqCst);
        Ok(())
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

impl Backend for Strict {
    fn kind(&self) -> &'static str {
        "strict"
    }
    fn caps(&self) -> Caps {
        Caps {
            io_alignment: ALIGN,
            min_volume_size: MIN,
            size_step: STEP,
            can_shrink: false,
            max_volume_size: 20 << 40,
        }
    }
    fn fsid(&self) -> String {
        self.inner.fsid()
    }
    fn pool_create(&self, name: &str) -> Result<PoolId> {
        self.inner.pool_create(name)
    }
    fn pool_remove(&self, name: &str) -> Result<()> {
        self.inner.pool_remove(name)
    }
    fn pool_list(&self) -> Result<Vec<(PoolId, String)>> {
        self.inner.pool_list()
    }
    fn namespace_create(&self, pool: PoolId, ns: &str) -> Result<()> {
        self.inner.namespace_create(pool, ns)
    }
    fn namespace_remove(&self, pool: PoolId, ns: &str) -> Result<()> {
        self.inner.namespace_remove(pool, ns)
    }
    fn namespace_list(&self, pool: PoolId) -> Result<Vec<String>> {
        self.inner.namespace_list(pool)
    }
    fn namespace_exists(&self, loc: &Loc) -> Result<bool> {
        self.inner.namespace_exists(loc)
    }
    fn record_get(&self, loc: &Loc, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.record_get(loc, key)
    }
    fn record_put(&self, loc: &Loc, key: &str, value: &[u8], mode: PutMode) -> Result<()> {
        self.inner.record_put(loc, key, value, mode)
    }
    fn record_delete(&self, loc: &Loc, key: &str) -> Result<()> {
        self.inner.record_delete(loc, key)
    }
    fn record_list(&self, loc: &Loc, prefix: &str) -> Result<Vec<String>> {
        self.inner.record_list(loc, prefix)
    }
    fn record_lock(&self, loc: &Loc, key: &str) -> Result<Box<dyn RecordGuard>> {
        self.inner.record_lock(loc, key)
    }
    fn cluster_record_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.cluster_record_get(key)
    }
    fn cluster_record_put(&self, key: &str, value: &[u8], mode: PutMode) -> Result<()> {
        self.inner.cluster_record_put(key, value, mode)
    }
    fn cluster_record_delete(&self, key: &str) -> Result<()> {
        self.inner.cluster_record_delete(key)
    }
    fn cluster_record_list(&self, prefix: &str) -> Result<Vec<String>> {
        self.inner.cluster_record_list(prefix)
    }
    fn cluster_record_lock(&self, key: &str) -> Result<Box<dyn RecordGuard>> {
        self.inner.cluster_record_lock(key)
    }
    fn volume_create(&self, loc: &Loc, id: &str, spec: VolumeSpec) -> Result<()> {
        if spec.size < MIN || !spec.size.is_multiple_of(STEP) {
            return Err(Error::InvalidArgument("LENGTH_NOT_SUPPORT"));
        }
        let size = spec.size;
        self.inner.volume_create(loc, id, spec)?;
        self.inner.record_put(loc, &format!("strict-size/{id}"), &size.to_le_bytes(), PutMode::Upsert)
    }
    fn volume_remove(&self, loc: &Loc, id: &str) -> Result<()> {
        let _ = self.inner.record_delete(loc, &format!("strict-size/{id}"));
        self.inner.volume_remove(loc, id)
    }
    fn volume_open(&self, loc: &Loc, id: &str) -> Result<Arc<dyn Volume>> {
        let raw = self.inner.record_get(loc, &format!("strict-size/{id}"))?.ok_or(Error::NotFound)?;
        let size = u64::from_le_bytes(raw.try_into().map_err(|_| Error::Corrupt("size".into()))?);
        Ok(Arc::new(StrictVolume { inner: self.inner.volume_open(loc, id)?, size: AtomicU64::new(size) }))
    }
    fn coordinator(&self, loc: &Loc, id: &str) -> Result<Arc<dyn Coordinator>> {
        self.inner.coordinator(loc, id)
    }
    fn objects(&self) -> &dyn ObjectStore {
        self.inner.objects()
    }
    fn usage(&self) -> Result<Usage> {
        self.inner.usage()
    }
    fn pool_used(&self, pool: PoolId) -> Result<u64> {
        self.inner.pool_used(pool)
    }
    fn fsck(&self, repair: bool) -> Result<FsckReport> {
        self.inner.fsck(repair)
    }
}
