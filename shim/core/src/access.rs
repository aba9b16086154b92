//! Where a client's caps are enforced on the object API: every call on an I/O context's
//! objects passes through [`CheckedObjects`], which asks the cluster handle's grants for `r`
//! (reads) or `w` (changes) on the object's pool, namespace and name. Image operations check
//! once per call through [`crate::IoCtx::checked_loc`].

use crate::auth::caps::Rights;
use crate::cluster::Cluster;
use rbdshim_backend::{Backend, Error, Loc, ObjectOp, ObjectStat, ObjectStore, PoolId, Result};
use std::collections::BTreeMap;
use std::sync::Arc;

pub struct CheckedObjects {
    cluster: Arc<Cluster>,
    backend: Arc<dyn Backend>,
    pool: PoolId,
    pool_name: String,
}

impl CheckedObjects {
    pub(crate) fn new(cluster: Arc<Cluster>, backend: Arc<dyn Backend>, pool: PoolId, pool_name: String) -> Self {
        CheckedObjects { cluster, backend, pool, pool_name }
    }

    fn check(&self, loc: &Loc, oid: &str, need: Rights) -> Result<&dyn ObjectStore> {
        // The caps were checked for this context's pool: a location in another is refused.
        if loc.pool != self.pool {
            return Err(Error::PermissionDenied);
        }
        self.cluster
            .require_osd(&self.pool_name, Some(&loc.ns), Some(oid), need)
            .map_err(|_| Error::PermissionDenied)?;
        Ok(self.backend.objects())
    }

    fn r(&self, loc: &Loc, oid: &str) -> Result<&dyn ObjectStore> {
        self.check(loc, oid, Rights::R)
    }

    fn w(&self, loc: &Loc, oid: &str) -> Result<&dyn ObjectStore> {
        self.check(loc, oid, Rights::W)
    }
}

impl ObjectStore for CheckedObjects {
    fn read(&self, loc: &Loc, oid: &str, off: u64, len: u64) -> Result<Vec<u8>> {
        self.r(loc, oid)?.read(loc, oid, off, len)
    }
    fn write(&self, loc: &Loc, oid: &str, off: u64, data: &[u8]) -> Result<()> {
        self.w(loc, oid)?.write(loc, oid, off, data)
    }
    fn write_full(&self, loc: &Loc, oid: &str, data: &[u8]) -> Result<()> {
        self.w(loc, oid)?.write_full(loc, oid, data)
    }
    fn append(&self, loc: &Loc, oid: &str, data: &[u8]) -> Result<()> {
        self.w(loc, oid)?.append(loc, oid, data)
    }
    fn truncate(&self, loc: &Loc, oid: &str, size: u64) -> Result<()> {
        self.w(loc, oid)?.truncate(loc, oid, size)
    }
    fn zero(&self, loc: &Loc, oid: &str, off: u64, len: u64) -> Result<()> {
        self.w(loc, oid)?.zero(loc, oid, off, len)
    }
    fn create(&self, loc: &Loc, oid: &str, exclusive: bool) -> Result<()> {
        self.w(loc, oid)?.create(loc, oid, exclusive)
    }
    fn remove(&self, loc: &Loc, oid: &str) -> Result<()> {
        self.w(loc, oid)?.remove(loc, oid)
    }
    fn stat(&self, loc: &Loc, oid: &str) -> Result<ObjectStat> {
        self.r(loc, oid)?.stat(loc, oid)
    }
    fn list(&self, pool: PoolId, ns: Option<&str>) -> Result<Vec<(String, String)>> {
        if pool != self.pool {
            return Err(Error::PermissionDenied);
        }
        // Listing reads the pool (or, with no namespace, every namespace of it).
        self.cluster.require_osd(&self.pool_name, ns, None, Rights::R).map_err(|_| Error::PermissionDenied)?;
        self.backend.objects().list(pool, ns)
    }
    fn xattr_get(&self, loc: &Loc, oid: &str, name: &str) -> Result<Vec<u8>> {
        self.r(loc, oid)?.xattr_get(loc, oid, name)
    }
    fn xattr_set(&self, loc: &Loc, oid: &str, name: &str, value: &[u8]) -> Result<()> {
        self.w(loc, oid)?.xattr_set(loc, oid, name, value)
    }
    fn xattr_remove(&self, loc: &Loc, oid: &str, name: &str) -> Result<()> {
        self.w(loc, oid)?.xattr_remove(loc, oid, name)
    }
    fn xattrs(&self, loc: &Loc, oid: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        self.r(loc, oid)?.xattrs(loc, oid)
    }
    fn xattr_update(
        &self,
        loc: &Loc,
        oid: &str,
        name: &str,
        f: &mut dyn FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>>,
    ) -> Result<()> {
        self.w(loc, oid)?.xattr_update(loc, oid, name, f)
    }
    fn omap_get(&self, loc: &Loc, oid: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        self.r(loc, oid)?.omap_get(loc, oid)
    }
    fn omap_update(&self, loc: &Loc, oid: &str, set: &BTreeMap<String, Vec<u8>>, remove: &[String]) -> Result<()> {
        self.w(loc, oid)?.omap_update(loc, oid, set, remove)
    }
    fn omap_clear(&self, loc: &Loc, oid: &str) -> Result<()> {
        self.w(loc, oid)?.omap_clear(loc, oid)
    }
    fn apply(&self, loc: &Loc, oid: &str, ops: &[ObjectOp]) -> Result<()> {
        // Every operation of a write op changes the object.
        self.w(loc, oid)?.apply(loc, oid, ops)
    }
}
