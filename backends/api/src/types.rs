//! Plain data shared by backends and the core.

/// Pool identifier, as Ceph's `int64_t` pool id.
pub type PoolId = i64;
/// Snapshot identifier: monotonic per image, never reused.
pub type SnapId = u64;

/// Where a record, volume or object lives: a pool and a namespace ("" is the default one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub pool: PoolId,
    pub ns: String,
}

impl Loc {
    pub fn new(pool: PoolId, ns: &str) -> Self {
        Loc { pool, ns: ns.to_string() }
    }
}

/// Rules of a store that the core must hide from front ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caps {
    /// IO offsets and lengths must be multiples of this (1 = byte granular).
    pub io_alignment: u64,
    /// Smallest volume the store creates; the core keeps the logical size separately.
    pub min_volume_size: u64,
    /// Volume sizes are rounded up to a multiple of this.
    pub size_step: u64,
    /// Whether a volume may be shrunk in place.
    pub can_shrink: bool,
    /// Largest volume size.
    pub max_volume_size: u64,
}

impl Default for Caps {
    fn default() -> Self {
        Caps { io_alignment: 1, min_volume_size: 0, size_step: 1, can_shrink: true, max_volume_size: u64::MAX }
    }
}

/// A snapshot as a store's snapshot records see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapSummary {
    pub id: SnapId,
    pub name: String,
    /// The image's size when it was taken.
    pub size: u64,
    /// Protected against removal (clone format 1 needs it).
    pub protected: bool,
    /// Clones reading from it.
    pub children: usize,
}

/// What a volume is created with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeSpec {
    pub size: u64,
    /// 2^order bytes per object: the unit of copy-on-write and of allocation tracking.
    pub order: u8,
    /// The user it is created for (a client's id, "glance"); stores with owners record it.
    pub owner: Option<String>,
}

/// The snapshot context sent with every mutation: the newest snapshot id, and the live ones
/// (newest first). Data that a live snapshot still needs is preserved before it is overwritten.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapContext {
    pub seq: SnapId,
    pub snaps: Vec<SnapId>,
}

/// Which version of a volume to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Head,
    Snap(SnapId),
}

/// One object that differs between two versions of a volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectChange {
    pub objno: u64,
    /// Whether the object holds data in the newer version (false: it was removed or discarded).
    pub exists: bool,
}

/// A process that has a volume open, as listed to others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherInfo {
    pub addr: String,
    pub id: u64,
    pub cookie: u64,
}

/// How [`crate::Backend::record_put`] treats an existing record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    /// Fail with `Exists` if the record exists.
    Create,
    /// Fail with `NotFound` unless the record exists.
    Replace,
    /// Create or replace.
    Upsert,
}

/// Capacity figures of the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub avail_bytes: u64,
    pub objects: u64,
}

/// Size and modification time of a named object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectStat {
    pub size: u64,
    pub mtime: std::time::SystemTime,
}

/// Problems found by a consistency check; empty means clean.
#[derive(Debug, Default, Clone)]
pub struct FsckReport {
    pub errors: Vec<String>,
    /// Left-overs of interrupted operations, harmless and removed when `repair` is set.
    pub repaired: Vec<String>,
}

impl FsckReport {
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
}

/// One step of an object write operation ([`crate::ObjectStore::apply`]), with the OSD's rules:
/// data and attribute writes create the object; truncate and zero of a missing object do
/// nothing; remove, rmxattr and omap removals need the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectOp {
    /// Creates the object if missing; with `exclusive`, fails `Exists` if it exists.
    Create {
        exclusive: bool,
    },
    Write {
        off: u64,
        data: Vec<u8>,
    },
    WriteFull(Vec<u8>),
    Append(Vec<u8>),
    Truncate(u64),
    Zero {
        off: u64,
        len: u64,
    },
    Remove,
    SetXattr {
        name: String,
        value: Vec<u8>,
    },
    RmXattr(String),
    OmapSet(std::collections::BTreeMap<String, Vec<u8>>),
    OmapRm(Vec<String>),
    OmapClear,
}
