//! Named objects (the rados object API): a data file per object and a sidecar holding its
//! name, xattrs and omap, each replaced atomically. Every mutation holds the object's lock.

use crate::fsutil::{self, encode, open_rw, read_at_zero_fill};
use crate::KeyedLocks;
use rbdshim_backend::{Error, Loc, ObjectStat, ObjectStore, PoolId, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

pub struct FileObjects {
    root: PathBuf,
    locks: Arc<KeyedLocks>,
}

#[derive(Serialize, Deserialize, Default)]
struct Sidecar {
    name: String,
    #[serde(default)]
    xattrs: BTreeMap<String, Vec<u8>>,
    #[serde(default)]
    omap: BTreeMap<String, Vec<u8>>,
}

impl FileObjects {
    pub fn new(root: PathBuf, locks: Arc<KeyedLocks>) -> Self {
        FileObjects { root, locks }
    }

    fn dir(&self, loc: &Loc) -> Result<PathBuf> {
        let d = self.root.join("pools").join(loc.pool.to_string()).join("ns").join(encode(&loc.ns));
        if !d.join("NAME").exists() {
            return Err(Error::NotFound);
        }
        Ok(d.join("objects"))
    }

    fn paths(&self, loc: &Loc, oid: &str) -> Result<(PathBuf, PathBuf)> {
        let d = self.dir(loc)?;
        let e = encode(oid);
        Ok((d.join(&e), d.join(format!("{e}~m"))))
    }

    fn lock(&self, loc: &Loc, oid: &str) -> Result<crate::KeyedGuard> {
        let key = format!("obj-{}", encode(&format!("{}\0{}\0{}", loc.pool, loc.ns, oid)));
        self.locks.lock(&self.root.join("locks").join(key))
    }

    fn sidecar(&self, loc: &Loc, oid: &str) -> Result<Option<Sidecar>> {
        let (_, meta) = self.paths(loc, oid)?;
        match fsutil::read_opt(&meta)? {
            Some(raw) => {
                serde_json::from_slice(&raw).map(Some).map_err(|e| Error::Corrupt(format!("{}: {e}", meta.display())))
            }
            None => Ok(None),
        }
    }

    fn save(&self, loc: &Loc, side: &Sidecar) -> Result<()> {
        let (_, meta) = self.paths(loc, &side.name)?;
        let raw = serde_json::to_vec(side).map_err(|e| Error::Corrupt(e.to_string()))?;
        fsutil::write_atomic(&meta, &raw)
    }

    /// Opens the data file, creating the object (sidecar first) when `create` is set.
    fn data(&self, loc: &Loc, oid: &str, create: bool) -> Result<std::fs::File> {
        let (data, _) = self.paths(loc, oid)?;
        if self.sidecar(loc, oid)?.is_none() {
            if !create {
                return Err(Error::NotFound);
            }
            self.save(loc, &Sidecar { name: oid.to_string(), ..Default::default() })?;
        }
        Ok(open_rw(&data, true)?)
    }

    fn mutate(&self, loc: &Loc, oid: &str, f: impl FnOnce(&mut Sidecar) -> Result<()>) -> Result<()> {
        let _g = self.lock(loc, oid)?;
        let mut side =
            self.sidecar(loc, oid)?.unwrap_or_else(|| Sidecar { name: oid.to_string(), ..Default::default() });
        f(&mut side)?;
        self.data(loc, oid, true)?;
        self.save(loc, &side)
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
        let _g = self.lock(loc, oid)?;
        self.data(loc, oid, true)?.write_all_at(data, off)?;
        Ok(())
    }

    fn write_full(&self, loc: &Loc, oid: &str, data: &[u8]) -> Result<()> {
        check_oid(oid)?;
        let _g = self.lock(loc, oid)?;
        let (path, _) = self.paths(loc, oid)?;
        self.data(loc, oid, true)?;
        fsutil::write_atomic(&path, data)
    }

    fn append(&self, loc: &Loc, oid: &str, data: &[u8]) -> Result<()> {
        check_oid(oid)?;
        let _g = self.lock(loc, oid)?;
        let f = self.data(loc, oid, true)?;
        let size = f.metadata()?.len();
        f.write_all_at(data, size)?;
        Ok(())
    }

    fn truncate(&self, loc: &Loc, oid: &str, size: u64) -> Result<()> {
        check_oid(oid)?;
        let _g = self.lock(loc, oid)?;
        self.data(loc, oid, true)?.set_len(size)?;
        Ok(())
    }

    fn zero(&self, loc: &Loc, oid: &str, off: u64, len: u64) -> Result<()> {
        check_oid(oid)?;
        let _g = self.lock(loc, oid)?;
        let f = self.data(loc, oid, true)?;
        let size = f.metadata()?.len();
        fsutil::punch_hole(&f, off, len)?;
        if off + len > size {
            f.set_len(off + len)?;
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
        let (data, meta) = self.paths(loc, oid)?;
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
        let namespaces: Vec<String> = match ns {
            Some(n) => vec![n.to_string()],
            None => {
                let mut all = vec![String::new()];
                let nsroot = self.root.join("pools").join(pool.to_string()).join("ns");
                for e in std::fs::read_dir(&nsroot)? {
                    let p = e?.path();
                    if let Some(raw) = fsutil::read_opt(&p.join("NAME"))? {
                        let n = String::from_utf8_lossy(&raw).into_owned();
                        if !n.is_empty() {
                            all.push(n);
                        }
                    }
                }
                all
            }
        };
        let mut out = Vec::new();
        for n in namespaces {
            let loc = Loc::new(pool, &n);
            let dir = self.dir(&loc)?;
            for e in std::fs::read_dir(&dir)? {
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
                out.push((n.clone(), name));
            }
        }
        out.sort();
        Ok(out)
    }

    fn xattr_get(&self, loc: &Loc, oid: &str, name: &str) -> Result<Vec<u8>> {
        check_oid(oid)?;
        let side = self.sidecar(loc, oid)?.ok_or(Error::NotFound)?;
        side.xattrs.get(name).cloned().ok_or(Error::NotFound)
    }

    fn xattr_set(&self, loc: &Loc, oid: &str, name: &str, value: &[u8]) -> Result<()> {
        check_oid(oid)?;
        self.mutate(loc, oid, |s| {
            s.xattrs.insert(name.to_string(), value.to_vec());
            Ok(())
        })
    }

    fn xattr_remove(&self, loc: &Loc, oid: &str, name: &str) -> Result<()> {
        check_oid(oid)?;
        if self.sidecar(loc, oid)?.is_none() {
            return Err(Error::NotFound);
        }
        self.mutate(loc, oid, |s| s.xattrs.remove(name).map(|_| ()).ok_or(Error::NotFound))
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
        if self.sidecar(loc, oid)?.is_none() {
            return Err(Error::NotFound);
        }
        self.mutate(loc, oid, |s| {
            s.omap.clear();
            Ok(())
        })
    }
}
