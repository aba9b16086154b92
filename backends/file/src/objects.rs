//! Named objects (the rados object API): a data file per object and a sidecar holding its
//! name, xattrs and omap, each replaced atomically. Every mutation holds the object's lock.
//!
//! Object namespaces are implicit, as in RADOS: writing in a namespace makes its directory.
//! They are not the namespaces of `namespace_create` (rbd's, which must be created): the
//! default namespace's objects live in `ns/_/objects`, every other namespace's in
//! `objects-ns/<encoded namespace>/`, so that neither kind of namespace makes the other exist.

use crate::fsutil::{self, encode, open_rw, read_at_zero_fill};
use crate::KeyedLocks;
use rbdshim_backend::{Error, Loc, ObjectOp, ObjectStat, ObjectStore, PoolId, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::os::unix::fs::{DirBuilderExt, FileExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Directory (in a pool) of the objects of the namespaces other than the default one.
const NS_OBJECTS: &str = "objects-ns";
/// Ceph's osd_max_object_size default: writes reaching beyond it fail with EFBIG.
const MAX_OBJECT_SIZE: u64 = 128 << 20;

pub struct FileObjects {
    root: PathBuf,
    locks: Arc<KeyedLocks>,
}

#[derive(Serialize, Deserialize, Default, Clone)]
struct Sidecar {
    name: String,
    #[serde(default)]
    xattrs: BTreeMap<String, Vec<u8>>,
    #[serde(default)]
    omap: BTreeMap<String, Vec<u8>>,
}

impl Sidecar {
    fn new(oid: &str) -> Sidecar {
        Sidecar { name: oid.to_string(), ..Default::default() }
    }
}

fn too_big() -> Error {
    Error::Io(std::io::Error::from_raw_os_error(libc::EFBIG))
}

/// The end of `off..off+len`, refused past the largest object size.
fn end_of(off: u64, len: u64) -> Result<u64> {
    off.checked_add(len).filter(|e| *e <= MAX_OBJECT_SIZE).ok_or_else(too_big)
}

/// Creates one directory level (never its parents: a pool removed meanwhile must not come back
/// as an empty directory).
fn mkdir_one(path: &Path) -> Result<()> {
    match std::fs::DirBuilder::new().mode(fsutil::DIR_MODE).create(path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e.into()),
        _ => Ok(()),
    }
}

impl FileObjects {
    pub(crate) fn new(root: PathBuf, locks: Arc<KeyedLocks>) -> Self {
        FileObjects { root, locks }
    }

    /// Objects kept under `root` by a store that is not a [`crate::FileBackend`]: pool `id`'s
    /// objects exist once [`FileObjects::add_pool`] made its directory.
    pub fn standalone(root: PathBuf) -> Result<Self> {
        fsutil::mkdir_all(&root.join("locks"))?;
        fsutil::mkdir_all(&root.join("pools"))?;
        Ok(FileObjects { root, locks: Arc::new(KeyedLocks::default()) })
    }

    pub fn add_pool(&self, pool: PoolId) -> Result<()> {
        let d = self.root.join("pools").join(pool.to_string());
        fsutil::mkdir_all(&d.join("ns").join(encode("")).join("objects"))?;
        fsutil::write_atomic(&d.join("pool.json"), b"{}")
    }

    /// Bytes of object data in pool `pool`.
    pub fn pool_bytes(&self, pool: PoolId) -> u64 {
        fsutil::data_bytes(&self.root.join("pools").join(pool.to_string()))
    }

    pub fn remove_pool(&self, pool: PoolId) -> Result<()> {
        match std::fs::remove_dir_all(self.root.join("pools").join(pool.to_string())) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    fn pool_dir(&self, pool: PoolId) -> Result<PathBuf> {
        let d = self.root.join("pools").join(pool.to_string());
        if !d.join("pool.json").exists() {
            return Err(Error::NotFound);
        }
        Ok(d)
    }

    /// The objects directory of `loc`; `create` makes a namespace's directory on first use.
    fn dir(&self, loc: &Loc, create: bool) -> Result<PathBuf> {
        let pool = self.pool_dir(loc.pool)?;
        if loc.ns.is_empty() {
            return Ok(pool.join("ns").join(encode("")).join("objects"));
        }
        let d = pool.join(NS_OBJECTS).join(encode(&loc.ns));
        if create && !d.join("NAME").exists() {
            mkdir_one(&pool.join(NS_OBJECTS))?;
            mkdir_one(&d)?;
            // The name is kept for listing, as hashed long names cannot be decoded.
            fsutil::write_atomic(&d.join("NAME"), loc.ns.as_bytes())?;
        }
        Ok(d)
    }

    fn paths(&self, loc: &Loc, oid: &str, create: bool) -> Result<(PathBuf, PathBuf)> {
        let d = self.dir(loc, create)?;
        let e = encode(oid);
        Ok((d.join(&e), d.join(format!("{e}~m"))))
    }

    fn lock(&self, loc: &Loc, oid: &str) -> Result<crate::KeyedGuard> {
        let key = format!("obj-{}", encode(&format!("{}\0{}\0{}", loc.pool, loc.ns, oid)));
        self.locks.lock(&self.root.join("locks").join(key))
    }

    fn sidecar_at(meta: &Path) -> Result<Option<Sidecar>> {
        match fsutil::read_opt(meta)? {
            Some(raw) => {
                serde_json::from_slice(&raw).map(Some).map_err(|e| Error::Corrupt(format!("{}: {e}", meta.display())))
            }
            None => Ok(None),
        }
    }

    fn sidecar(&self, loc: &Loc, oid: &str) -> Result<Option<Sidecar>> {
        Self::sidecar_at(&self.paths(loc, oid, false)?.1)
    }

    fn save(meta: &Path, side: &Sidecar) -> Result<()> {
        let raw = serde_json::to_vec(side).map_err(|e| Error::Corrupt(e.to_string()))?;
        fsutil::write_atomic(meta, &raw)
    }

    /// Opens the data file, creating the object (sidecar first) when `create` is set.
    fn data(&self, loc: &Loc, oid: &str, create: bool) -> Result<std::fs::File> {
        let (data, meta) = self.paths(loc, oid, create)?;
        if Self::sidecar_at(&meta)?.is_none() {
            if !create {
                return Err(Error::NotFound);
            }
            Self::save(&meta, &Sidecar::new(oid))?;
            // A data file without a sidecar is a crash's left-over, not this new object's data.
            let f = open_rw(&data, true)?;
            f.set_len(0)?;
            return Ok(f);
        }
        Ok(open_rw(&data, true)?)
    }

    /// The data file of an existing object, None if the object does not exist.
    fn existing_data(&self, loc: &Loc, oid: &str) -> Result<Option<std::fs::File>> {
        match self.data(loc, oid, false) {
            Err(Error::NotFound) => Ok(None),
            other => other.map(Some),
        }
    }

    fn mutate(&self, loc: &Loc, oid: &str, f: impl FnOnce(&mut Sidecar) -> Result<()>) -> Result<()> {
        let _g = self.lock(loc, oid)?;
        let mut side = self.sidecar(loc, oid)?.unwrap_or_else(|| Sidecar::new(oid));
        f(&mut side)?;
        self.data(loc, oid, true)?;
        Self::save(&self.paths(loc, oid, true)?.1, &side)
    }

    fn list_dir(&self, ns: &str, dir: &Path, out: &mut Vec<(String, String)>) -> Result<()> {
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for e in rd {
            let f = e?.file_name().to_string_lossy().into_owned();
            let Some(base) = f.strip_suffix("~m") else { continue };
            let name = match fsutil::decode(base) {
                Some(n) => n,
                None => match fsutil::read_opt(&dir.join(&f))? {
                    Some(raw) => {
                        serde_json::from_slice::<Sidecar>(&raw).map_err(|e| Error::Corrupt(e.to_string()))?.name
                    }
                    None => continue,
                },
            };
            out.push((ns.to_string(), name));
        }
        Ok(())
    }
}

fn check_oid(oid: &str) -> Result<()> {
    if oid.is_empty() {
        return Err(Error::InvalidArgument("empty object name"));
    }
    if oid.len() > 2048 {
        return Err(Error::NameTooLong);
    }
    Ok(())
}

/// An object as a write operation changes it: computed on copies, published at the end.
struct Staged {
    /// The sidecar; None while the object does not exist.
    side: Option<Sidecar>,
    /// The data; None: the stored data, not read (nor changed) yet.
    data: Option<Vec<u8>>,
    data_path: PathBuf,
}

impl Staged {
    fn buf(&mut self) -> Result<&mut Vec<u8>> {
        if self.data.is_none() {
            let size = std::fs::metadata(&self.data_path).map(|m| m.len()).unwrap_or(0);
            if size > MAX_OBJECT_SIZE {
                return Err(too_big());
            }
            self.data = Some(fsutil::read_opt(&self.data_path)?.unwrap_or_default());
        }
        Ok(self.data.get_or_insert_with(Vec::new))
    }

    fn create(&mut self, oid: &str) {
        if self.side.is_none() {
            self.side = Some(Sidecar::new(oid));
            self.data = Some(Vec::new());
        }
    }

    /// The sidecar of an object that must exist.
    fn need(&mut self) -> Result<&mut Sidecar> {
        self.side.as_mut().ok_or(Error::NotFound)
    }

    fn step(&mut self, oid: &str, op: &ObjectOp) -> Result<()> {
        match op {
            ObjectOp::Create { exclusive } => {
                if *exclusive && self.side.is_some() {
                    return Err(Error::Exists);
                }
                self.create(oid);
            }
            ObjectOp::Write { off, data } => {
                let end = end_of(*off, data.len() as u64)? as usize;
                self.create(oid);
                let buf = self.buf()?;
                if buf.len() < end {
                    buf.resize(end, 0);
                }
                buf[*off as usize..end].copy_from_slice(data);
            }
            ObjectOp::WriteFull(data) => {
                end_of(0, data.len() as u64)?;
                self.create(oid);
                self.data = Some(data.clone());
            }
            ObjectOp::Append(data) => {
                self.create(oid);
                let buf = self.buf()?;
                end_of(buf.len() as u64, data.len() as u64)?;
                buf.extend_from_slice(data);
            }
            ObjectOp::Truncate(size) => {
                let size = end_of(*size, 0)? as usize;
                if self.side.is_some() {
                    self.buf()?.resize(size, 0);
                }
            }
            ObjectOp::Zero { off, len } => {
                let end = end_of(*off, *len)? as usize;
                if self.side.is_some() {
                    let buf = self.buf()?;
                    if buf.len() < end {
                        buf.resize(end, 0);
                    }
                    buf[*off as usize..end].fill(0);
                }
            }
            ObjectOp::Remove => {
                self.need()?;
                self.side = None;
                self.data = Some(Vec::new());
            }
            ObjectOp::SetXattr { name, value } => {
                self.create(oid);
                self.need()?.xattrs.insert(name.clone(), value.clone());
            }
            ObjectOp::RmXattr(name) => {
                self.need()?.xattrs.remove(name);
            }
            ObjectOp::OmapSet(map) => {
                self.create(oid);
                let side = self.need()?;
                side.omap.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            ObjectOp::OmapRm(keys) => {
                let side = self.need()?;
                for k in keys {
                    side.omap.remove(k);
                }
            }
            ObjectOp::OmapClear => self.need()?.omap.clear(),
        }
        Ok(())
    }
}

impl ObjectStore for FileObjects {
    fn read(&self, loc: &Loc, oid: &str, off: u64, len: u64) -> Result<Vec<u8>> {
        check_oid(oid)?;
        let f = self.data(loc, oid, false)?;
        let size = f.metadata()?.len();
        if off >= size {
            return Ok(Vec::new());
        }
        let n = len.min(size - off) as usize;
        let mut buf = vec![0u8; n];
        read_at_zero_fill(&f, &mut buf, off)?;
        Ok(buf)
    }

    fn write(&self, loc: &Loc, oid: &str, off: u64, data: &[u8]) -> Result<()> {
        check_oid(oid)?;
        end_of(off, data.len() as u64)?;
        let _g = self.lock(loc, oid)?;
        self.data(loc, oid, true)?.write_all_at(data, off)?;
        Ok(())
    }

    fn write_full(&self, loc: &Loc, oid: &str, data: &[u8]) -> Result<()> {
        check_oid(oid)?;
        end_of(0, data.len() as u64)?;
        let _g = self.lock(loc, oid)?;
        let (path, _) = self.paths(loc, oid, true)?;
        self.data(loc, oid, true)?;
        fsutil::write_atomic(&path, data)
    }

    fn append(&self, loc: &Loc, oid: &str, data: &[u8]) -> Result<()> {
        check_oid(oid)?;
        let _g = self.lock(loc, oid)?;
        let f = self.data(loc, oid, true)?;
        let size = f.metadata()?.len();
        end_of(size, data.len() as u64)?;
        f.write_all_at(data, size)?;
        Ok(())
    }

    /// Truncating a missing object does nothing (it is not created), as in an OSD.
    fn truncate(&self, loc: &Loc, oid: &str, size: u64) -> Result<()> {
        check_oid(oid)?;
        end_of(size, 0)?;
        let _g = self.lock(loc, oid)?;
        if let Some(f) = self.existing_data(loc, oid)? {
            f.set_len(size)?;
        }
        Ok(())
    }

    /// Zeroing a missing object does nothing, as in an OSD.
    fn zero(&self, loc: &Loc, oid: &str, off: u64, len: u64) -> Result<()> {
        check_oid(oid)?;
        let end = end_of(off, len)?;
        let _g = self.lock(loc, oid)?;
        let Some(f) = self.existing_data(loc, oid)? else { return Ok(()) };
        let size = f.metadata()?.len();
        fsutil::punch_hole(&f, off, len)?;
        if end > size {
            f.set_len(end)?;
        }
        Ok(())
    }

    fn create(&self, loc: &Loc, oid: &str, exclusive: bool) -> Result<()> {
        check_oid(oid)?;
        let _g = self.lock(loc, oid)?;
        if self.sidecar(loc, oid)?.is_some() {
            return if exclusive { Err(Error::Exists) } else { Ok(()) };
        }
        self.data(loc, oid, true)?;
        Ok(())
    }

    fn remove(&self, loc: &Loc, oid: &str) -> Result<()> {
        check_oid(oid)?;
        let _g = self.lock(loc, oid)?;
        let (data, meta) = self.paths(loc, oid, false)?;
        if !meta.exists() {
            return Err(Error::NotFound);
        }
        // Sidecar last: an object exists exactly when its sidecar does.
        fsutil::remove_quiet(&data)?;
        fsutil::remove_quiet(&meta)
    }

    fn stat(&self, loc: &Loc, oid: &str) -> Result<ObjectStat> {
        check_oid(oid)?;
        let f = self.data(loc, oid, false)?;
        let m = f.metadata()?;
        Ok(ObjectStat { size: m.len(), mtime: m.modified()? })
    }

    fn list(&self, pool: PoolId, ns: Option<&str>) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        match ns {
            Some(n) => self.list_dir(n, &self.dir(&Loc::new(pool, n), false)?, &mut out)?,
            None => {
                self.list_dir("", &self.dir(&Loc::new(pool, ""), false)?, &mut out)?;
                let nsroot = self.pool_dir(pool)?.join(NS_OBJECTS);
                for f in crate::list_dir(&nsroot)? {
                    let d = nsroot.join(f);
                    if let Some(raw) = fsutil::read_opt(&d.join("NAME"))? {
                        self.list_dir(&String::from_utf8_lossy(&raw), &d, &mut out)?;
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// A missing attribute of an existing object is `NoData` (ENODATA), as from an OSD.
    fn xattr_get(&self, loc: &Loc, oid: &str, name: &str) -> Result<Vec<u8>> {
        check_oid(oid)?;
        let side = self.sidecar(loc, oid)?.ok_or(Error::NotFound)?;
        side.xattrs.get(name).cloned().ok_or(Error::NoData)
    }

    fn xattr_set(&self, loc: &Loc, oid: &str, name: &str, value: &[u8]) -> Result<()> {
        check_oid(oid)?;
        self.mutate(loc, oid, |s| {
            s.xattrs.insert(name.to_string(), value.to_vec());
            Ok(())
        })
    }

    /// Removing an absent attribute of an existing object succeeds, as in an OSD.
    fn xattr_remove(&self, loc: &Loc, oid: &str, name: &str) -> Result<()> {
        check_oid(oid)?;
        self.apply(loc, oid, &[ObjectOp::RmXattr(name.to_string())])
    }

    fn xattrs(&self, loc: &Loc, oid: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        check_oid(oid)?;
        Ok(self.sidecar(loc, oid)?.ok_or(Error::NotFound)?.xattrs)
    }

    fn xattr_update(
        &self,
        loc: &Loc,
        oid: &str,
        name: &str,
        f: &mut dyn FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>>,
    ) -> Result<()> {
        check_oid(oid)?;
        self.mutate(loc, oid, |s| {
            match f(s.xattrs.get(name).map(|v| v.as_slice()))? {
                Some(v) => s.xattrs.insert(name.to_string(), v),
                None => s.xattrs.remove(name),
            };
            Ok(())
        })
    }

    fn omap_get(&self, loc: &Loc, oid: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        check_oid(oid)?;
        Ok(self.sidecar(loc, oid)?.ok_or(Error::NotFound)?.omap)
    }

    fn omap_update(&self, loc: &Loc, oid: &str, set: &BTreeMap<String, Vec<u8>>, remove: &[String]) -> Result<()> {
        check_oid(oid)?;
        self.mutate(loc, oid, |s| {
            for k in remove {
                s.omap.remove(k);
            }
            for (k, v) in set {
                s.omap.insert(k.clone(), v.clone());
            }
            Ok(())
        })
    }

    fn omap_clear(&self, loc: &Loc, oid: &str) -> Result<()> {
        check_oid(oid)?;
        self.apply(loc, oid, &[ObjectOp::OmapClear])
    }

    /// Computes the object's new data and sidecar in memory, then publishes them: the data by
    /// replacing the file (a reader sees the old or the new bytes), then the sidecar. A failing
    /// step returns before anything is written.
    fn apply(&self, loc: &Loc, oid: &str, ops: &[ObjectOp]) -> Result<()> {
        check_oid(oid)?;
        if ops.is_empty() {
            return Ok(());
        }
        let _g = self.lock(loc, oid)?;
        let (data_path, meta) = self.paths(loc, oid, true)?;
        let before = Self::sidecar_at(&meta)?;
        let mut st = Staged {
            data: if before.is_some() { None } else { Some(Vec::new()) },
            side: before.clone(),
            data_path: data_path.clone(),
        };
        for op in ops {
            st.step(oid, op)?;
        }
        match (&before, st.side) {
            (None, None) => Ok(()),
            (Some(_), None) => {
                // Sidecar last: an object exists exactly when its sidecar does.
                fsutil::remove_quiet(&data_path)?;
                fsutil::remove_quiet(&meta)
            }
            (_, Some(side)) => {
                if let Some(data) = &st.data {
                    fsutil::write_atomic(&data_path, data)?;
                }
                Self::save(&meta, &side)
            }
        }
    }
}
