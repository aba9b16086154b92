//! The snapshot and clone service (CurveBS's SnapshotCloneServer).
//!
//! A snapshot is taken in the cluster first (the file's sequence moves on, so chunks are
//! copied before they change), then its chunks are copied out to the snapshot store, one object
//! per chunk named by the chunk and the sequence its content was born at: the first snapshot of
//! a volume copies everything, later ones only chunks born since (incremental). Then the
//! in-cluster snapshot is dropped. A clone is made lazily from a snapshot or a volume: it is
//! usable at once, each chunk is copied from the source the first time it is read or written
//! (copy-on-read), a background fill copies the rest, and flatten finishes the fill.
//!
//! Local snapshots (CurveBS's in-cluster snapshot API, `localsnapshotclone`) are records of
//! snapshots kept in the cluster and never copied out: RBD's snapshots are these. Their data is
//! the volume's chunk copy-on-write at the snapshot's sequence; a lazy clone can be made from
//! one (it reads the volume at that sequence), and the RBD layer keeps their names and clone
//! counts in line with its images ([`sync_local_snapshots`]).

use crate::error::{CurveError, CurveResult};
use crate::meta::{self, Op};
use crate::namespace::{FileInfo, FileStatus, FileType, UserInfo};
use crate::store::CurveStore;
use rbdshim_backend::{View, Volume};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

/// Where a lazy clone's chunks come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// A volume, at its head or at one of its in-cluster snapshots.
    Volume { id: u64, parent: u64, seq: Option<u64> },
    /// A snapshot in the snapshot store.
    Snapshot { uuid: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskStatus {
    Pending,
    Done,
    Error,
}

/// A snapshot in the snapshot store (`GetFileSnapshotInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    pub uuid: String,
    pub name: String,
    pub file_id: u64,
    pub owner: String,
    pub seq: u64,
    pub length: u64,
    pub chunk_size: u64,
    pub status: TaskStatus,
    /// Chunk index → birth sequence of its content (the object that holds it).
    pub chunks: BTreeMap<u64, u64>,
    /// Chunks this snapshot had to copy (the rest were stored by an earlier one).
    pub copied: u64,
    /// Clones still reading from it (lazy clones; for a local snapshot, RBD's clones).
    pub clones: u64,
    /// Kept in the cluster, not copied out (a local snapshot): `seq` is the volume's snapshot.
    #[serde(default)]
    pub local: bool,
    /// The directory of the volume (local snapshots: to find it as a clone source).
    #[serde(default)]
    pub parent: u64,
    /// A local snapshot RBD protects: the service refuses to drop it, as RBD does.
    #[serde(default)]
    pub protected: bool,
}

/// A local snapshot as its owner (the RBD layer) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSnapshot {
    pub seq: u64,
    pub name: String,
    pub length: u64,
    pub protected: bool,
    pub clones: u64,
}

/// Makes the local snapshot records of volume `info` exactly `snaps`: new ones recorded,
/// names, lengths and clone counts updated, the others dropped. One metadata transaction.
pub fn sync_local_snapshots(store: &CurveStore, info: &FileInfo, snaps: &[LocalSnapshot]) -> CurveResult<()> {
    let existing: Vec<SnapshotInfo> = list_snapshots(store, info.id)?.into_iter().filter(|s| s.local).collect();
    let encode = |s: &SnapshotInfo| serde_json::to_vec(s).map_err(|_| CurveError::InternalError);
    let mut ops = Vec::new();
    for want in snaps {
        let old = existing.iter().find(|e| e.seq == want.seq);
        let rec = SnapshotInfo {
            uuid: old.map(|e| e.uuid.clone()).unwrap_or_else(new_uuid),
            name: want.name.clone(),
            file_id: info.id,
            owner: info.owner.clone(),
            seq: want.seq,
            length: want.length,
            chunk_size: info.chunk_size,
            status: TaskStatus::Done,
            chunks: BTreeMap::new(),
            copied: 0,
            clones: want.clones,
            local: true,
            parent: info.parent,
            protected: want.protected,
        };
        if old != Some(&rec) {
            ops.push(Op::Put(format!("snap/{}", rec.uuid), encode(&rec)?));
        }
    }
    for gone in existing.iter().filter(|e| !snaps.iter().any(|s| s.seq == e.seq)) {
        ops.push(Op::Delete(format!("snap/{}", gone.uuid)));
    }
    if !ops.is_empty() {
        store.meta.txn(&[], &ops)?;
    }
    Ok(())
}

/// Whether file `id` has local snapshots (it cannot be deleted then: UNDER_SNAPSHOT).
pub fn has_local_snapshots(store: &CurveStore, id: u64) -> CurveResult<bool> {
    Ok(list_snapshots(store, id)?.iter().any(|s| s.local))
}

/// A clone task (`GetCloneTasks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneTask {
    pub uuid: String,
    pub dest: String,
    pub file_id: u64,
    pub status: TaskStatus,
    pub done: u64,
    pub total: u64,
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn put_json<T: Serialize>(store: &CurveStore, key: &str, v: &T) -> CurveResult<()> {
    let raw = serde_json::to_vec(v).map_err(|_| CurveError::InternalError)?;
    store.meta.txn(&[], &[Op::Put(key.to_string(), raw)])?;
    Ok(())
}

fn get_json<T: for<'a> Deserialize<'a>>(store: &CurveStore, key: &str) -> CurveResult<Option<T>> {
    match store.meta.get(key)? {
        None => Ok(None),
        Some(raw) => serde_json::from_slice(&raw)
            .map(Some)
            .map_err(|e| CurveError::Store(rbdshim_backend::Error::Corrupt(format!("{key}: {e}")))),
    }
}

fn object_path(store: &CurveStore, file: u64, chunk: u64, birth: u64) -> std::path::PathBuf {
    store.snapstore.join(file.to_string()).join(format!("{chunk:x}-{birth:x}"))
}

pub fn snapshot_info(store: &CurveStore, uuid: &str) -> CurveResult<SnapshotInfo> {
    get_json(store, &format!("snap/{uuid}"))?.ok_or(CurveError::NotExist)
}

/// Snapshots of file `id`, oldest first.
pub fn list_snapshots(store: &CurveStore, id: u64) -> CurveResult<Vec<SnapshotInfo>> {
    let mut out: Vec<SnapshotInfo> = Vec::new();
    for (_, raw) in store.meta.list("snap/")? {
        let s: SnapshotInfo = serde_json::from_slice(&raw)
            .map_err(|e| CurveError::Store(rbdshim_backend::Error::Corrupt(e.to_string())))?;
        if s.file_id == id {
            out.push(s);
        }
    }
    out.sort_by_key(|s| s.seq);
    Ok(out)
}

/// `CreateSnapshot`: takes an in-cluster snapshot, dumps it, drops it. Returns the uuid.
pub fn create_snapshot(store: &Arc<CurveStore>, path: &str, user: &UserInfo, name: &str) -> CurveResult<String> {
    let info = store.ns.lookup(path, user)?;
    if info.filetype != FileType::PageFile {
        return Err(CurveError::ParamError);
    }
    if matches!(info.status, FileStatus::Cloning | FileStatus::CloneMetaInstalled) {
        return Err(CurveError::StatusNotMatch);
    }
    if list_snapshots(store, info.id)?.iter().any(|s| s.status == TaskStatus::Pending) {
        return Err(CurveError::UnderSnapshot);
    }
    let info = store.ns.modify(&info, |f| {
        f.seq += 1;
        f.snaps.insert(0, f.seq);
        Ok(())
    })?;
    let seq = info.seq;
    let mut snap = SnapshotInfo {
        uuid: new_uuid(),
        name: name.to_string(),
        file_id: info.id,
        owner: info.owner.clone(),
        seq,
        length: info.length,
        chunk_size: info.chunk_size,
        status: TaskStatus::Pending,
        chunks: BTreeMap::new(),
        copied: 0,
        clones: 0,
        local: false,
        parent: info.parent,
        protected: false,
    };
    let key = format!("snap/{}", snap.uuid);
    put_json(store, &key, &snap)?;
    let dumped = dump(store, &info, &mut snap);
    snap.status = if dumped.is_ok() { TaskStatus::Done } else { TaskStatus::Error };
    put_json(store, &key, &snap)?;
    // The in-cluster snapshot has served its purpose either way.
    let info = store.ns.modify(&info, |f| {
        f.snaps.retain(|s| *s != seq);
        Ok(())
    })?;
    store.chunks.get(info.id)?.vol.trim(&info.snaps)?;
    dumped?;
    Ok(snap.uuid)
}

/// Copies out the chunks of in-cluster snapshot `snap.seq` not stored yet.
fn dump(store: &CurveStore, info: &FileInfo, snap: &mut SnapshotInfo) -> CurveResult<()> {
    let chunks = store.chunks.get(info.id)?;
    let dir = store.snapstore.join(info.id.to_string());
    rbdshim_backend_file::fsutil::mkdir_all(&dir)?;
    let cs = info.chunk_size;
    let mut buf = vec![0u8; cs as usize];
    for c in 0..info.length.div_ceil(cs) {
        let Some(birth) = chunks.vol.birth(View::Snap(snap.seq), c)? else { continue };
        let obj = object_path(store, info.id, c, birth);
        if !obj.exists() {
            chunks.vol.read(View::Snap(snap.seq), c * cs, &mut buf)?;
            let tmp = obj.with_extension("tmp");
            let mut f = rbdshim_backend_file::fsutil::open_rw(&tmp, true)?;
            f.set_len(0)?;
            f.write_all(&buf)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &obj)?;
            snap.copied += 1;
        }
        snap.chunks.insert(c, birth);
    }
    Ok(())
}

/// `DeleteSnapshot`: refused while lazy clones read from it; objects no other snapshot of the
/// file uses are removed.
pub fn delete_snapshot(store: &CurveStore, user: &UserInfo, uuid: &str) -> CurveResult<()> {
    let snap = snapshot_info(store, uuid)?;
    if !store.ns.is_root(user) && snap.owner != user.owner {
        return Err(CurveError::AuthFail);
    }
    if snap.clones > 0 {
        return Err(CurveError::DeleteBeingCloned);
    }
    if snap.protected {
        return Err(CurveError::FileOccupied);
    }
    if snap.local {
        // An RBD snapshot: it goes through RBD, which keeps its own records of it.
        return Err(CurveError::NotSupport);
    }
    // Deleted only as checked: a clone registering meanwhile makes this fail.
    let key = format!("snap/{uuid}");
    let raw = store.meta.get(&key)?.ok_or(CurveError::NotExist)?;
    let checked: SnapshotInfo = serde_json::from_slice(&raw).map_err(|_| CurveError::InternalError)?;
    if checked.clones > 0 {
        return Err(CurveError::DeleteBeingCloned);
    }
    if !store.meta.txn(&[crate::meta::Cmp::Value(key.clone(), Some(raw))], &[Op::Delete(key)])? {
        return Err(CurveError::StatusNotMatch);
    }
    let others = list_snapshots(store, snap.file_id)?;
    for (c, birth) in &snap.chunks {
        if !others.iter().any(|o| o.chunks.get(c) == Some(birth)) {
            let _ = std::fs::remove_file(object_path(store, snap.file_id, *c, *birth));
        }
    }
    Ok(())
}

/// Reads `buf.len()` bytes at `off` from a clone source.
pub fn read_source(store: &CurveStore, src: &Source, off: u64, buf: &mut [u8]) -> CurveResult<()> {
    match src {
        Source::Volume { id, seq, .. } => {
            let view = seq.map(View::Snap).unwrap_or(View::Head);
            Ok(store.chunks.get(*id)?.vol.read(view, off, buf)?)
        }
        Source::Snapshot { uuid } => read_snapshot(store, &snapshot_info(store, uuid)?, off, buf),
    }
}

/// Chunks among `0..n` that hold data in a clone source (the others read as zeros).
pub fn source_chunks(store: &CurveStore, src: &Source, n: u64) -> CurveResult<Vec<u64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    match src {
        Source::Volume { id, seq, .. } => {
            let view = seq.map(View::Snap).unwrap_or(View::Head);
            let changes = store.chunks.get(*id)?.vol.diff(None, view, 0, n - 1)?;
            Ok(changes.into_iter().filter(|c| c.exists).map(|c| c.objno).collect())
        }
        Source::Snapshot { uuid } => Ok(snapshot_info(store, uuid)?.chunks.range(..n).map(|(c, _)| *c).collect()),
    }
}

/// Whether chunk `c` of a clone source holds data.
pub fn source_has(store: &CurveStore, src: &Source, c: u64) -> CurveResult<bool> {
    match src {
        Source::Volume { id, seq, .. } => {
            let view = seq.map(View::Snap).unwrap_or(View::Head);
            Ok(store.chunks.get(*id)?.vol.object_exists(view, c)?)
        }
        Source::Snapshot { uuid } => Ok(snapshot_info(store, uuid)?.chunks.contains_key(&c)),
    }
}

/// Reads from a snapshot in the snapshot store.
pub fn read_snapshot(store: &CurveStore, snap: &SnapshotInfo, off: u64, buf: &mut [u8]) -> CurveResult<()> {
    use std::os::unix::fs::FileExt;
    if snap.local {
        return Ok(store.chunks.get(snap.file_id)?.vol.read(View::Snap(snap.seq), off, buf)?);
    }
    let cs = snap.chunk_size;
    let mut done = 0usize;
    while done < buf.len() {
        let pos = off + done as u64;
        let c = pos / cs;
        let in_chunk = pos % cs;
        let n = ((cs - in_chunk) as usize).min(buf.len() - done);
        let part = &mut buf[done..done + n];
        match snap.chunks.get(&c) {
            None => part.fill(0),
            Some(birth) => {
                let f = std::fs::File::open(object_path(store, snap.file_id, c, *birth))
                    .map_err(|e| CurveError::Store(rbdshim_backend::Error::Corrupt(format!("snapshot object: {e}"))))?;
                f.read_exact_at(part, in_chunk)?;
            }
        }
        done += n;
    }
    Ok(())
}

/// Changes the count of lazy clones reading from `src` by `delta`.
fn hold_source(store: &CurveStore, src: &Source, delta: i64) -> CurveResult<()> {
    match src {
        Source::Volume { id, parent, .. } => {
            let info = store.ns.find_child(*parent, *id)?;
            store.ns.modify(&info, |f| {
                f.clones = f.clones.saturating_add_signed(delta);
                f.status = if f.clones > 0 { FileStatus::BeingCloned } else { FileStatus::Created };
                Ok(())
            })?;
        }
        Source::Snapshot { uuid } => {
            let key = format!("snap/{uuid}");
            meta::update(store.meta.as_ref(), &key, |cur| {
                let raw = cur.ok_or(CurveError::NotExist)?;
                let mut s: SnapshotInfo = serde_json::from_slice(raw).map_err(|_| CurveError::InternalError)?;
                s.clones = s.clones.saturating_add_signed(delta);
                Ok((Some(serde_json::to_vec(&s).map_err(|_| CurveError::InternalError)?), ()))
            })?;
        }
    }
    Ok(())
}

pub(crate) fn release_source(store: &CurveStore, src: &Source) -> CurveResult<()> {
    match hold_source(store, src, -1) {
        Err(CurveError::NotExist) => Ok(()),
        r => r,
    }
}

/// What a clone is made from, as a caller names it.
pub enum CloneFrom<'a> {
    /// A snapshot in the snapshot store, by uuid.
    Snapshot(&'a str),
    /// A volume, by path.
    Volume(&'a str),
}

/// `Clone`: creates `dest` from `from`. Lazy clones are usable at once and filled in the
/// background; others are filled before this returns. Returns the task uuid.
pub fn clone(
    store: &Arc<CurveStore>,
    user: &UserInfo,
    from: CloneFrom<'_>,
    dest: &str,
    lazy: bool,
) -> CurveResult<String> {
    let (src, length, chunk) = match from {
        CloneFrom::Snapshot(uuid) => {
            let s = snapshot_info(store, uuid)?;
            if !store.ns.is_root(user) && s.owner != user.owner {
                return Err(CurveError::AuthFail);
            }
            if s.status != TaskStatus::Done {
                return Err(CurveError::StatusNotMatch);
            }
            if s.local {
                // Read from the volume at the snapshot's sequence, as long as the clone lasts.
                let v = store.ns.find_child(s.parent, s.file_id)?;
                (Source::Volume { id: v.id, parent: v.parent, seq: Some(s.seq) }, v.length, v.chunk_size)
            } else {
                (Source::Snapshot { uuid: uuid.to_string() }, s.length, s.chunk_size)
            }
        }
        CloneFrom::Volume(path) => {
            let v = store.ns.lookup(path, user)?;
            if v.filetype != FileType::PageFile {
                return Err(CurveError::ParamError);
            }
            (Source::Volume { id: v.id, parent: v.parent, seq: None }, v.length, v.chunk_size)
        }
    };
    let info = store.create(dest, user, length, Some(chunk))?;
    hold_source(store, &src, 1)?;
    let info = store.ns.modify(&info, |f| {
        f.status = FileStatus::Cloning;
        f.clone_source = Some(src.clone());
        Ok(())
    })?;
    let task = CloneTask {
        uuid: new_uuid(),
        dest: dest.to_string(),
        file_id: info.id,
        status: TaskStatus::Pending,
        done: 0,
        total: length.div_ceil(chunk),
    };
    put_json(store, &format!("task/{}", task.uuid), &task)?;
    if lazy {
        let (store, user, path, uuid) = (store.clone(), user.clone(), dest.to_string(), task.uuid.clone());
        // The fill runs beside the caller; if this process ends first, flatten finishes it.
        std::thread::Builder::new()
            .name("curve-clone-fill".into())
            .spawn(move || {
                if let Err(e) = flatten(&store, &path, &user) {
                    tracing::warn!("background fill of {path} ({uuid}): {e}");
                }
            })
            .map_err(CurveError::from)?;
    } else {
        flatten(store, dest, user)?;
    }
    Ok(task.uuid)
}

/// `Flatten`: copies what a lazy clone still lacks, then cuts it loose from its source.
pub fn flatten(store: &Arc<CurveStore>, path: &str, user: &UserInfo) -> CurveResult<()> {
    let file = store.open_file(path, user)?;
    let _one_at_a_time = file.chunks.flatten.lock();
    let info = file.refresh()?;
    let Some(src) = info.clone_source.clone().filter(|_| info.status == FileStatus::Cloning) else {
        return Ok(());
    };
    let task_key = task_of(store, info.id)?;
    let mut last = 0;
    file.fill_all(|done, total| {
        if done == total || done >= last + 64 {
            last = done;
            if let Some(key) = &task_key {
                let _ = update_task(store, key, |t| {
                    t.done = t.done.max(done);
                    t.total = total;
                });
            }
        }
    })?;
    let fresh = file.refresh()?;
    if fresh.status != FileStatus::Cloning {
        return Ok(()); // another filler finished first
    }
    store.ns.modify(&fresh, |f| {
        f.status = FileStatus::Cloned;
        f.clone_source = None;
        Ok(())
    })?;
    file.set_filled();
    release_source(store, &src)?;
    if let Some(key) = &task_key {
        update_task(store, key, |t| t.status = TaskStatus::Done)?;
    }
    Ok(())
}

fn task_of(store: &CurveStore, file_id: u64) -> CurveResult<Option<String>> {
    for (key, raw) in store.meta.list("task/")? {
        if let Ok(t) = serde_json::from_slice::<CloneTask>(&raw) {
            if t.file_id == file_id {
                return Ok(Some(key));
            }
        }
    }
    Ok(None)
}

fn update_task(store: &CurveStore, key: &str, f: impl Fn(&mut CloneTask)) -> CurveResult<()> {
    meta::update(store.meta.as_ref(), key, |cur| {
        let raw = cur.ok_or(CurveError::NotExist)?;
        let mut t: CloneTask = serde_json::from_slice(raw).map_err(|_| CurveError::InternalError)?;
        f(&mut t);
        Ok((Some(serde_json::to_vec(&t).map_err(|_| CurveError::InternalError)?), ()))
    })
}

/// `GetCloneTasks`.
pub fn clone_tasks(store: &CurveStore) -> CurveResult<Vec<CloneTask>> {
    store
        .meta
        .list("task/")?
        .iter()
        .map(|(k, raw)| {
            serde_json::from_slice(raw)
                .map_err(|e| CurveError::Store(rbdshim_backend::Error::Corrupt(format!("{k}: {e}"))))
        })
        .collect()
}
