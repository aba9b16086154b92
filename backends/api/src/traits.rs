//! The traits a backend implements.

use crate::types::*;
use crate::Result;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A store: containers, records, volumes, objects and coordination.
pub trait Backend: Send + Sync {
    /// Short name ("file", "curve").
    fn kind(&self) -> &'static str;
    fn caps(&self) -> Caps;
    /// Stable identifier of this store (reported as the cluster fsid).
    fn fsid(&self) -> String;

    fn pool_create(&self, name: &str) -> Result<PoolId>;
    fn pool_remove(&self, name: &str) -> Result<()>;
    fn pool_list(&self) -> Result<Vec<(PoolId, String)>>;

    fn namespace_create(&self, pool: PoolId, ns: &str) -> Result<()>;
    fn namespace_remove(&self, pool: PoolId, ns: &str) -> Result<()>;
    fn namespace_list(&self, pool: PoolId) -> Result<Vec<String>>;
    fn namespace_exists(&self, loc: &Loc) -> Result<bool>;

    /// Small records: each put/delete is atomic and survives a crash whole or not at all.
    fn record_get(&self, loc: &Loc, key: &str) -> Result<Option<Vec<u8>>>;
    fn record_put(&self, loc: &Loc, key: &str, value: &[u8], mode: PutMode) -> Result<()>;
    fn record_delete(&self, loc: &Loc, key: &str) -> Result<()>;
    /// Keys starting with `prefix`, sorted.
    fn record_list(&self, loc: &Loc, prefix: &str) -> Result<Vec<String>>;
    /// Mutual exclusion between processes (and threads) for a read-modify-write of `key`.
    fn record_lock(&self, loc: &Loc, key: &str) -> Result<Box<dyn RecordGuard>>;

    /// Cluster-wide small records, outside every pool (the auth database, monitor state):
    /// the same contract as the per-pool records above. Values may hold key material: a store
    /// keeps them readable by their owner only.
    fn cluster_record_get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    fn cluster_record_put(&self, key: &str, value: &[u8], mode: PutMode) -> Result<()>;
    fn cluster_record_delete(&self, key: &str) -> Result<()>;
    /// Keys starting with `prefix`, sorted.
    fn cluster_record_list(&self, prefix: &str) -> Result<Vec<String>>;
    /// Mutual exclusion between processes (and threads) for a read-modify-write of `key`.
    fn cluster_record_lock(&self, key: &str) -> Result<Box<dyn RecordGuard>>;

    fn volume_create(&self, loc: &Loc, id: &str, spec: VolumeSpec) -> Result<()>;
    /// Removes a volume with all its snapshot data.
    fn volume_remove(&self, loc: &Loc, id: &str) -> Result<()>;
    fn volume_open(&self, loc: &Loc, id: &str) -> Result<Arc<dyn Volume>>;
    /// The snapshots of volume `id` as they are now (oldest first), with how many clones read
    /// from each. Stores that keep records of their own for snapshots (a snapshot service)
    /// bring them in line; the core calls it after every change and only logs a failure (its
    /// header stays the truth, and the next call repairs the records).
    fn snapshots_changed(&self, _loc: &Loc, _id: &str, _snaps: &[SnapSummary]) -> Result<()> {
        Ok(())
    }
    /// The cross-process coordinator of a volume (one per process and volume).
    fn coordinator(&self, loc: &Loc, id: &str) -> Result<Arc<dyn Coordinator>>;

    fn objects(&self) -> &dyn ObjectStore;
    fn usage(&self) -> Result<Usage>;
    /// Bytes stored for one pool.
    fn pool_used(&self, pool: PoolId) -> Result<u64>;

    /// Checks the whole store; with `repair`, removes left-overs of interrupted operations.
    fn fsck(&self, repair: bool) -> Result<FsckReport>;
}

/// Held while a record is being read, modified and written back.
pub trait RecordGuard: Send {}

/// A sparse, snapshot-capable array of bytes split into objects of 2^order bytes.
///
/// Offsets are absolute; reads of never-written ranges return zeros. Alignment follows
/// [`Backend::caps`]. The volume does not know the image size: the core clips IO to it.
pub trait Volume: Send + Sync {
    fn order(&self) -> u8;
    fn read(&self, view: View, off: u64, buf: &mut [u8]) -> Result<()>;
    fn write(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> Result<()>;
    /// Writes a clone's copy of its parent's bytes into one object: the data must be durable
    /// before the object counts as existing, or a crash would hide the parent behind zeros.
    fn copy_up(&self, snapc: &SnapContext, off: u64, data: &[u8]) -> Result<()> {
        self.write(snapc, off, data)?;
        self.flush()
    }
    /// Deallocates a range; it reads as zeros afterwards. With `keep`, objects that become empty
    /// still exist (so that a clone's parent stays hidden behind them).
    fn discard(&self, snapc: &SnapContext, off: u64, len: u64, keep: bool) -> Result<()>;
    /// Drops everything at or beyond `size` (shrink), preserving what snapshots need.
    fn truncate(&self, snapc: &SnapContext, size: u64) -> Result<()>;
    /// Makes the head equal to snapshot `snap` (within `size`), preserving newer snapshots.
    fn rollback(&self, snapc: &SnapContext, snap: SnapId, size: u64) -> Result<()>;
    /// Forgets data only needed by snapshots that are no longer in `live` (newest first).
    fn trim(&self, live: &[SnapId]) -> Result<()>;
    /// Gives snapshot `snap` a version of object `objno` holding `data`, where it had none.
    /// Flatten uses it so that snapshots keep showing what a clone's parent provided.
    fn fill_absent(&self, snap: SnapId, objno: u64, data: &[u8]) -> Result<()>;
    /// Makes room for `size` bytes in a store whose volumes have a fixed length (the core calls
    /// it before growing an image).
    fn grow(&self, _size: u64) -> Result<()> {
        Ok(())
    }
    /// Makes every write so far durable.
    fn flush(&self) -> Result<()>;
    /// Whether object `objno` exists in `view` (exists: holds data or was explicitly kept).
    fn object_exists(&self, view: View, objno: u64) -> Result<bool>;
    /// Objects in `[first, last]` that changed between `from` (None: the empty volume) and `to`.
    fn diff(&self, from: Option<SnapId>, to: View, first: u64, last: u64) -> Result<Vec<ObjectChange>>;
    /// Allocated byte ranges (relative to the object start) of object `objno` in `view`.
    fn data_extents(&self, view: View, objno: u64) -> Result<Vec<(u64, u64)>>;
    /// Bytes allocated by the head and by all snapshots.
    fn allocated(&self) -> Result<u64>;
    /// Whether this process may cache what it learns (it holds the exclusive lock), or must
    /// re-read shared state on each access. Switching drops caches.
    fn set_cached(&self, cached: bool);
}

/// Cross-process coordination of one volume.
pub trait Coordinator: Send + Sync {
    /// Tries to take the exclusive lock for this process; never waits.
    fn try_lock(&self) -> Result<bool>;
    /// Takes the exclusive lock, asking the holder to hand it over; gives up after `timeout`.
    fn lock(&self, timeout: std::time::Duration) -> Result<()>;
    fn unlock(&self) -> Result<()>;
    fn is_locked_here(&self) -> bool;
    /// Whether another process has asked for the lock since this process took it.
    fn release_requested(&self) -> bool;
    /// Whether any process holds the exclusive lock.
    fn is_locked_anywhere(&self) -> Result<bool>;
    /// A counter every process sees; bumped after a change that invalidates caches (header).
    fn generation(&self) -> u64;
    fn bump_generation(&self) -> u64;
    /// Registers this process as a watcher until the guard is dropped (or the process dies).
    fn watch(&self, info: WatcherInfo) -> Result<Box<dyn WatchGuard>>;
    /// Live watchers; those of dead processes are never listed.
    fn watchers(&self) -> Result<Vec<WatcherInfo>>;
}

pub trait WatchGuard: Send + Sync {}

/// Named objects with xattrs and omap, per pool and namespace (the rados object API).
pub trait ObjectStore: Send + Sync {
    fn read(&self, loc: &Loc, oid: &str, off: u64, len: u64) -> Result<Vec<u8>>;
    fn write(&self, loc: &Loc, oid: &str, off: u64, data: &[u8]) -> Result<()>;
    fn write_full(&self, loc: &Loc, oid: &str, data: &[u8]) -> Result<()>;
    fn append(&self, loc: &Loc, oid: &str, data: &[u8]) -> Result<()>;
    fn truncate(&self, loc: &Loc, oid: &str, size: u64) -> Result<()>;
    fn zero(&self, loc: &Loc, oid: &str, off: u64, len: u64) -> Result<()>;
    /// Creates an empty object; with `exclusive`, fails `Exists` if present.
    fn create(&self, loc: &Loc, oid: &str, exclusive: bool) -> Result<()>;
    fn remove(&self, loc: &Loc, oid: &str) -> Result<()>;
    fn stat(&self, loc: &Loc, oid: &str) -> Result<ObjectStat>;
    /// Object names in `loc`, sorted; `None` namespace lists every namespace as (ns, oid).
    fn list(&self, pool: PoolId, ns: Option<&str>) -> Result<Vec<(String, String)>>;
    fn xattr_get(&self, loc: &Loc, oid: &str, name: &str) -> Result<Vec<u8>>;
    fn xattr_set(&self, loc: &Loc, oid: &str, name: &str, value: &[u8]) -> Result<()>;
    fn xattr_remove(&self, loc: &Loc, oid: &str, name: &str) -> Result<()>;
    fn xattrs(&self, loc: &Loc, oid: &str) -> Result<BTreeMap<String, Vec<u8>>>;
    /// Replaces xattr `name` with what `f` makes of its current value (`None`: absent or removed),
    /// atomically against every other mutation of the object, creating the object: the one
    /// read-modify-write primitive object classes such as advisory locks are built on.
    fn xattr_update(
        &self,
        loc: &Loc,
        oid: &str,
        name: &str,
        f: &mut dyn FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>>,
    ) -> Result<()>;
    fn omap_get(&self, loc: &Loc, oid: &str) -> Result<BTreeMap<String, Vec<u8>>>;
    /// Sets `set` and removes `remove` keys in one atomic step (creating the object if needed).
    fn omap_update(&self, loc: &Loc, oid: &str, set: &BTreeMap<String, Vec<u8>>, remove: &[String]) -> Result<()>;
    fn omap_clear(&self, loc: &Loc, oid: &str) -> Result<()>;
    /// Applies `ops` in order as one transaction, as an OSD applies a write operation: either
    /// every step takes effect or, when one fails, none does (and its error is returned).
    fn apply(&self, loc: &Loc, oid: &str, ops: &[ObjectOp]) -> Result<()>;
}
