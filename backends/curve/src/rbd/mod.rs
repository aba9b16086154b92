//! RBD on the store: the backend contract of rbdshim implemented with CurveBS's concepts.
//!
//! Pool → directory `/<pool>`, namespace → subdirectory `/<pool>/<namespace>`, image → volume
//! named by the image id in its namespace's directory. A user (`client.glance`) is the owner of
//! the volumes it creates; directories belong to the store's `owner`. The RBD layer itself acts
//! as the root owner: OpenStack's services share pools, which CurveBS's per-path owner check
//! would refuse (every component must belong to the caller), so who may do what is decided by
//! the users' caps in the core, and owners record who created what. Everything RBD keeps
//! beside the data (headers, ids, snapshot names, metadata, parent links: the core's records)
//! is an overlay in the store's metadata store, so it is shared by every host that shares the
//! metadata.

mod coord;
mod records;
mod volume;

use crate::error::CurveError;
use crate::meta::{self, Cmp, Op};
use crate::namespace::{FileInfo, FileType, UserInfo, RECYCLE_BIN};
use crate::options::Options;
use crate::store::CurveStore;
use parking_lot::Mutex;
use rbdshim_backend::*;
use rbdshim_backend_file::{FileCoordinator, FileObjects};
use std::collections::HashMap;
use std::sync::{Arc, Weak};

pub use coord::MetaCoordinator;
pub use volume::CurveVolume;

pub struct CurveBackend {
    store: Arc<CurveStore>,
    /// The root owner: what the RBD layer acts as.
    user: UserInfo,
    /// The store's `owner`: owns the pool and namespace directories.
    dir_owner: UserInfo,
    objects: FileObjects,
    volumes: Mutex<HashMap<u64, Weak<CurveVolume>>>,
    coords: Mutex<HashMap<u64, Weak<dyn Coordinator>>>,
    locks: records::LocalLocks,
}

fn pool_key(id: PoolId) -> String {
    format!("rbd/pool/id/{id}")
}

fn pool_name_key(name: &str) -> String {
    format!("rbd/pool/name/{name}")
}

impl CurveBackend {
    /// Opens the store `spec` names (`DIR[?options]`, see [`Options::parse`]).
    pub fn open(spec: &str) -> Result<CurveBackend> {
        let opts = Options::parse(spec)?;
        Self::on_store(CurveStore::open(opts)?)
    }

    pub fn on_store(store: Arc<CurveStore>) -> Result<CurveBackend> {
        let objects = FileObjects::standalone(store.opts.dir.join("objects"))?;
        let user = UserInfo::with_password(&store.opts.root_owner, &store.opts.root_password);
        let dir_owner = UserInfo::new(&store.opts.owner);
        Ok(CurveBackend {
            store,
            user,
            dir_owner,
            objects,
            volumes: Mutex::new(HashMap::new()),
            coords: Mutex::new(HashMap::new()),
            locks: records::LocalLocks::default(),
        })
    }

    pub fn store(&self) -> &Arc<CurveStore> {
        &self.store
    }

    fn pool_name(&self, pool: PoolId) -> Result<String> {
        let raw = self.store.meta.get(&pool_key(pool))?.ok_or(Error::NotFound)?;
        String::from_utf8(raw).map_err(|_| Error::Corrupt(format!("pool {pool}: name")))
    }

    /// The directory of a pool and namespace.
    fn dir(&self, loc: &Loc) -> Result<String> {
        let pool = self.pool_name(loc.pool)?;
        let pool = component(&pool)?;
        Ok(if loc.ns.is_empty() { format!("/{pool}") } else { format!("/{pool}/{}", component(&loc.ns)?) })
    }

    fn volume_path(&self, loc: &Loc, id: &str) -> Result<String> {
        Ok(format!("{}/{}", self.dir(loc)?, component(id)?))
    }

    fn volume_info(&self, loc: &Loc, id: &str) -> Result<FileInfo> {
        let info = self.store.ns.lookup(&self.volume_path(loc, id)?, &self.user)?;
        if info.filetype != FileType::PageFile {
            return Err(Error::NotFound);
        }
        Ok(info)
    }

    /// Removes the volume at `path` as CurveBS deletes: into the recycle bin, then for good
    /// (RBD's own trash keeps images that are to come back), with its coordination state.
    fn destroy(&self, info: &FileInfo, path: &str) -> Result<()> {
        self.volumes.lock().remove(&info.id);
        self.coords.lock().remove(&info.id);
        let binned = self.store.ns.to_recycle_bin(info, path, false)?;
        self.store.ns.delete_force_entry(&binned)?;
        MetaCoordinator::clear(self.store.meta.as_ref(), info.id)?;
        match std::fs::remove_dir_all(self.coord_dir(info.id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        Ok(self.store.free(info)?)
    }

    fn coord_dir(&self, id: u64) -> std::path::PathBuf {
        self.store.opts.dir.join("coord").join(id.to_string())
    }

    /// Every volume under a directory, recursively, with its path (pool removal).
    fn files_under(&self, path: &str, out: &mut Vec<(FileInfo, String)>) -> Result<()> {
        for e in self.store.ns.listdir(path, &self.user)? {
            let p = format!("{path}/{}", e.name);
            match e.filetype {
                FileType::PageFile => out.push((e, p)),
                FileType::Directory => self.files_under(&p, out)?,
            }
        }
        Ok(())
    }
}

/// A pool, namespace or volume name as a path component: never a path. '%', '/' and NUL
/// are escaped as %XX, and "." and ".." spelled out escaped, so any name maps to one component
/// and back.
fn component(name: &str) -> Result<String> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("empty name"));
    }
    let mut out = String::with_capacity(name.len());
    if name == "." || name == ".." {
        out.push_str(&"%2E".repeat(name.len()));
    } else {
        for ch in name.chars() {
            match ch {
                '%' => out.push_str("%25"),
                '/' => out.push_str("%2F"),
                '\0' => out.push_str("%00"),
                c => out.push(c),
            }
        }
    }
    if out.len() > 255 {
        return Err(Error::NameTooLong);
    }
    Ok(out)
}

/// The name a path component stands for.
fn name_of(component: &str) -> String {
    let mut out = Vec::with_capacity(component.len());
    let b = component.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 3 <= b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Backend for CurveBackend {
    fn kind(&self) -> &'static str {
        "curve"
    }

    fn caps(&self) -> Caps {
        let o = &self.store.opts;
        Caps {
            io_alignment: o.block_size,
            min_volume_size: o.min_length,
            size_step: o.segment_size,
            can_shrink: false,
            max_volume_size: o.max_length,
        }
    }

    fn fsid(&self) -> String {
        let key = "rbd/fsid";
        // A UUID, as Ceph's fsid.
        let fresh = uuid::Uuid::new_v4().to_string();
        let fsid = meta::update(self.store.meta.as_ref(), key, |cur| match cur {
            Some(v) => Ok((Some(v.to_vec()), String::from_utf8_lossy(v).into_owned())),
            None => Ok((Some(fresh.clone().into_bytes()), fresh.clone())),
        });
        fsid.unwrap_or_default()
    }

    fn pool_create(&self, name: &str) -> Result<PoolId> {
        let dir = format!("/{}", component(name)?);
        if name == RECYCLE_BIN {
            return Err(Error::InvalidArgument("reserved pool name"));
        }
        if self.store.meta.get(&pool_name_key(name))?.is_some() {
            return Err(Error::Exists);
        }
        match self.store.ns.mkdir(&dir, &self.dir_owner) {
            Ok(_) | Err(CurveError::Exists) => {}
            Err(e) => return Err(e.into()),
        }
        let id = meta::next_counter(self.store.meta.as_ref(), "rbd/pool/next")? as PoolId;
        let created = self.store.meta.txn(
            &[Cmp::Value(pool_name_key(name), None)],
            &[
                Op::Put(pool_name_key(name), id.to_string().into_bytes()),
                Op::Put(pool_key(id), name.as_bytes().to_vec()),
            ],
        )?;
        if !created {
            return Err(Error::Exists);
        }
        self.objects.add_pool(id)?;
        Ok(id)
    }

    fn pool_remove(&self, name: &str) -> Result<()> {
        let raw = self.store.meta.get(&pool_name_key(name))?.ok_or(Error::NotFound)?;
        let id: PoolId =
            String::from_utf8_lossy(&raw).parse().map_err(|_| Error::Corrupt(format!("pool {name}: id")))?;
        let dir = format!("/{}", component(name)?);
        let mut files = Vec::new();
        self.files_under(&dir, &mut files)?;
        for (f, path) in &files {
            self.destroy(f, path)?;
        }
        for ns in self.namespace_list(id)? {
            self.store.ns.rmdir(&format!("{dir}/{}", component(&ns)?), &self.user)?;
        }
        self.store.ns.rmdir(&dir, &self.user)?;
        let mut ops: Vec<Op> =
            self.store.meta.list(&format!("rbd/rec/{id}/"))?.into_iter().map(|(k, _)| Op::Delete(k)).collect();
        ops.push(Op::Delete(pool_name_key(name)));
        ops.push(Op::Delete(pool_key(id)));
        self.store.meta.txn(&[], &ops)?;
        self.objects.remove_pool(id)
    }

    fn pool_list(&self) -> Result<Vec<(PoolId, String)>> {
        let mut out = Vec::new();
        for (k, v) in self.store.meta.list("rbd/pool/id/")? {
            let id = k["rbd/pool/id/".len()..].parse().map_err(|_| Error::Corrupt(k.clone()))?;
            out.push((id, String::from_utf8_lossy(&v).into_owned()));
        }
        out.sort();
        Ok(out)
    }

    fn namespace_create(&self, pool: PoolId, ns: &str) -> Result<()> {
        let path = self.dir(&Loc::new(pool, ns))?;
        Ok(self.store.ns.mkdir(&path, &self.dir_owner).map(|_| ())?)
    }

    fn namespace_remove(&self, pool: PoolId, ns: &str) -> Result<()> {
        if ns.is_empty() {
            return Err(Error::InvalidArgument("the default namespace cannot be removed"));
        }
        let loc = Loc::new(pool, ns);
        let path = self.dir(&loc)?;
        match self.store.ns.lookup(&path, &self.user) {
            Ok(i) if i.filetype == FileType::Directory => {}
            Ok(_) => return Err(Error::NotFound),
            Err(e) => return Err(e.into()),
        }
        if !self.store.ns.listdir(&path, &self.user)?.is_empty() || !self.record_list(&loc, "")?.is_empty() {
            return Err(Error::Busy);
        }
        Ok(self.store.ns.rmdir(&path, &self.user)?)
    }

    fn namespace_list(&self, pool: PoolId) -> Result<Vec<String>> {
        let dir = self.dir(&Loc::new(pool, ""))?;
        let mut out: Vec<String> = self
            .store
            .ns
            .listdir(&dir, &self.user)?
            .into_iter()
            .filter(|e| e.filetype == FileType::Directory)
            .map(|e| name_of(&e.name))
            .collect();
        out.sort();
        Ok(out)
    }

    fn namespace_exists(&self, loc: &Loc) -> Result<bool> {
        if loc.ns.is_empty() {
            return Ok(self.pool_name(loc.pool).is_ok());
        }
        let Ok(dir) = self.dir(loc) else { return Ok(false) };
        match self.store.ns.lookup(&dir, &self.user) {
            Ok(i) => Ok(i.filetype == FileType::Directory),
            Err(CurveError::NotExist) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn record_get(&self, loc: &Loc, key: &str) -> Result<Option<Vec<u8>>> {
        records::get(&self.store, &records::pool_key(loc, key))
    }

    fn record_put(&self, loc: &Loc, key: &str, value: &[u8], mode: PutMode) -> Result<()> {
        self.pool_name(loc.pool)?;
        records::put(&self.store, &records::pool_key(loc, key), value, mode)
    }

    fn record_delete(&self, loc: &Loc, key: &str) -> Result<()> {
        records::delete(&self.store, &records::pool_key(loc, key))
    }

    fn record_list(&self, loc: &Loc, prefix: &str) -> Result<Vec<String>> {
        records::list(&self.store, &records::pool_key(loc, ""), prefix)
    }

    fn record_lock(&self, loc: &Loc, key: &str) -> Result<Box<dyn RecordGuard>> {
        records::lock(&self.store, &self.locks, &format!("rbd/lock/{}", records::pool_key(loc, key)))
    }

    fn cluster_record_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        records::get(&self.store, &records::cluster_key(key))
    }

    fn cluster_record_put(&self, key: &str, value: &[u8], mode: PutMode) -> Result<()> {
        records::put(&self.store, &records::cluster_key(key), value, mode)
    }

    fn cluster_record_delete(&self, key: &str) -> Result<()> {
        records::delete(&self.store, &records::cluster_key(key))
    }

    fn cluster_record_list(&self, prefix: &str) -> Result<Vec<String>> {
        records::list(&self.store, &records::cluster_key(""), prefix)
    }

    fn cluster_record_lock(&self, key: &str) -> Result<Box<dyn RecordGuard>> {
        records::lock(&self.store, &self.locks, &format!("rbd/lock/{}", records::cluster_key(key)))
    }

    fn volume_create(&self, loc: &Loc, id: &str, spec: VolumeSpec) -> Result<()> {
        let path = self.volume_path(loc, id)?;
        let chunk = 1u64.checked_shl(spec.order as u32).ok_or(Error::InvalidArgument("order"))?;
        if chunk < self.store.opts.block_size || chunk > self.store.opts.segment_size {
            return Err(Error::InvalidArgument("object size outside the store's chunk sizes"));
        }
        // The core asks for the physical size; a store that grew its minimum meanwhile still
        // gets a length it accepts.
        let caps = self.caps();
        let size = spec.size.max(caps.min_volume_size).div_ceil(caps.size_step) * caps.size_step;
        let info = self.store.create(&path, &self.user, size, Some(chunk))?;
        let owner = spec.owner.as_deref().filter(|o| !o.is_empty()).unwrap_or(&self.store.opts.owner);
        if let Err(e) = self.store.ns.change_owner(&path, owner, &self.user) {
            // Not left behind half made: the core's undo only covers later steps.
            let _ = self.destroy(&info, &path);
            return Err(e.into());
        }
        Ok(())
    }

    fn volume_remove(&self, loc: &Loc, id: &str) -> Result<()> {
        let info = self.volume_info(loc, id)?;
        if self.store.open_elsewhere(info.id)? {
            return Err(Error::Busy);
        }
        // The core removes images without snapshots only; records a failed update left go too.
        crate::snapshot::sync_local_snapshots(&self.store, &info, &[])?;
        self.destroy(&info, &self.volume_path(loc, id)?)
    }

    fn volume_open(&self, loc: &Loc, id: &str) -> Result<Arc<dyn Volume>> {
        let info = self.volume_info(loc, id)?;
        let mut map = self.volumes.lock();
        if let Some(v) = map.get(&info.id).and_then(Weak::upgrade) {
            return Ok(v);
        }
        let file = crate::file::OpenFile::open(self.store.clone(), info.clone())?;
        let v = Arc::new(CurveVolume { file });
        map.insert(info.id, Arc::downgrade(&v));
        Ok(v)
    }

    fn snapshots_changed(&self, loc: &Loc, id: &str, snaps: &[SnapSummary]) -> Result<()> {
        let info = self.volume_info(loc, id)?;
        let local: Vec<crate::snapshot::LocalSnapshot> = snaps
            .iter()
            .map(|s| crate::snapshot::LocalSnapshot {
                seq: s.id,
                name: s.name.clone(),
                length: s.size,
                protected: s.protected,
                clones: s.children as u64,
            })
            .collect();
        Ok(crate::snapshot::sync_local_snapshots(&self.store, &info, &local)?)
    }

    fn coordinator(&self, loc: &Loc, id: &str) -> Result<Arc<dyn Coordinator>> {
        let info = self.volume_info(loc, id)?;
        let mut map = self.coords.lock();
        if let Some(c) = map.get(&info.id).and_then(Weak::upgrade) {
            return Ok(c);
        }
        // One host (embedded metadata): the file backend's coordinator, a shared-memory page and
        // POSIX locks, which costs no metadata read per IO. Several hosts: the metadata store.
        let c: Arc<dyn Coordinator> = if self.store.opts.etcd.is_empty() {
            Arc::new(FileCoordinator::open(&self.coord_dir(info.id))?)
        } else {
            Arc::new(MetaCoordinator::new(self.store.meta.clone(), info.id))
        };
        map.insert(info.id, Arc::downgrade(&c));
        Ok(c)
    }

    fn objects(&self) -> &dyn ObjectStore {
        &self.objects
    }

    fn usage(&self) -> Result<Usage> {
        rbdshim_backend_file::fsutil::usage(&self.store.opts.dir)
    }

    fn pool_used(&self, pool: PoolId) -> Result<u64> {
        let name = self.pool_name(pool)?;
        let mut files = Vec::new();
        self.files_under(&format!("/{}", component(&name)?), &mut files)?;
        let mut total = self.objects.pool_bytes(pool);
        for (f, _) in files {
            total += self.store.chunks.get(f.id)?.vol.allocated()?;
        }
        Ok(total)
    }

    fn fsck(&self, repair: bool) -> Result<FsckReport> {
        crate::fsck::check(&self.store, repair)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_one_component_and_back() {
        for n in ["rbd", "../../etc", ".", "..", "a%2Fb", "x\0y", "ünï/cödé", "%"] {
            let c = component(n).unwrap();
            assert!(!c.contains('/') && c != "." && c != ".." && !c.contains('\0'), "{c}");
            assert_eq!(name_of(&c), n);
        }
        assert!(matches!(component(""), Err(Error::InvalidArgument(_))));
        assert!(matches!(component(&"x".repeat(256)), Err(Error::NameTooLong)));
    }
}
