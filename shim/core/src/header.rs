//! The image header: everything RBD knows about an image, kept in one backend record
//! (`header/<id>`) that is replaced atomically. Names map to ids through `dir/<name>` records.

use crate::{Error, Result};
use rbdshim_backend::{PoolId, SnapContext, SnapId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const HEADER_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timestamp {
    pub sec: u64,
    pub nsec: u32,
}

impl Timestamp {
    pub fn now() -> Timestamp {
        let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Timestamp { sec: d.as_secs(), nsec: d.subsec_nanos() }
    }
}

/// The parent of a clone: image `image_id` in pool/namespace at snapshot `snap_id`, of which the
/// first `overlap` bytes show through where the child has no data.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ParentLink {
    pub pool: PoolId,
    pub ns: String,
    pub image_id: String,
    pub snap_id: SnapId,
    pub overlap: u64,
}

/// A clone of one of this image's snapshots.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChildLink {
    pub snap_id: SnapId,
    pub pool: PoolId,
    pub ns: String,
    pub image_id: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SnapRec {
    pub id: SnapId,
    pub name: String,
    pub size: u64,
    pub timestamp: Timestamp,
    pub protected: bool,
    pub parent: Option<ParentLink>,
    /// Set when the snapshot sits in the trash namespace: removed by its user while clone-v2
    /// children still read from it; holds the name it had. It goes with its last child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trash_name: Option<String>,
}

/// An advisory lock (rbd_lock_exclusive / rbd_lock_shared).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Locker {
    pub client: String,
    pub cookie: String,
    pub addr: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Header {
    pub format: u32,
    pub id: String,
    pub name: String,
    pub size: u64,
    pub order: u8,
    pub features: u64,
    pub op_features: u64,
    pub flags: u64,
    pub stripe_unit: u64,
    pub stripe_count: u64,
    pub create_timestamp: Timestamp,
    pub modify_timestamp: Timestamp,
    pub access_timestamp: Timestamp,
    pub snap_seq: SnapId,
    pub snaps: Vec<SnapRec>,
    pub parent: Option<ParentLink>,
    pub children: Vec<ChildLink>,
    pub metadata: BTreeMap<String, String>,
    pub lockers: Vec<Locker>,
    pub lock_tag: String,
    pub lock_exclusive: bool,
    /// Set while the image sits in the trash.
    #[serde(default)]
    pub trash: Option<TrashRec>,
    #[serde(default)]
    pub snap_limit: Option<u64>,
    /// The data pool given at creation (the DATA_POOL feature). Recorded and reported; the
    /// data itself stays with the image in its own pool's store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_pool: Option<PoolId>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TrashRec {
    pub source: u8,
    pub deletion_time: u64,
    pub deferment_end_time: u64,
}

impl Header {
    pub fn decode(raw: &[u8]) -> Result<Header> {
        let h: Header = serde_json::from_slice(raw)?;
        if h.format != HEADER_FORMAT {
            return Err(Error::Corrupt(format!("image header format {}", h.format)));
        }
        if !(9..=32).contains(&h.order) {
            return Err(Error::Corrupt(format!("image header order {}", h.order)));
        }
        Ok(h)
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn snapc(&self) -> SnapContext {
        let mut snaps: Vec<SnapId> = self.snaps.iter().map(|s| s.id).collect();
        snaps.sort_unstable_by(|a, b| b.cmp(a));
        SnapContext { seq: self.snap_seq, snaps }
    }

    pub fn snap(&self, id: SnapId) -> Result<&SnapRec> {
        self.snaps.iter().find(|s| s.id == id).ok_or(Error::NotFound)
    }

    pub fn snap_by_name(&self, name: &str) -> Result<&SnapRec> {
        self.snaps.iter().find(|s| s.name == name).ok_or(Error::NotFound)
    }

    pub fn object_size(&self) -> u64 {
        1 << self.order
    }

    /// Size of the image as seen at `snap` (None: head).
    pub fn size_at(&self, snap: Option<SnapId>) -> Result<u64> {
        match snap {
            None => Ok(self.size),
            Some(id) => Ok(self.snap(id)?.size),
        }
    }

    pub fn parent_at(&self, snap: Option<SnapId>) -> Result<Option<&ParentLink>> {
        match snap {
            None => Ok(self.parent.as_ref()),
            Some(id) => Ok(self.snap(id)?.parent.as_ref()),
        }
    }
}

pub fn header_key(id: &str) -> String {
    format!("header/{id}")
}

pub fn dir_key(name: &str) -> String {
    format!("dir/{name}")
}

pub fn trash_key(id: &str) -> String {
    format!("trash/{id}")
}
