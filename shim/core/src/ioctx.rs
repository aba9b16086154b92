//! I/O contexts (rados_ioctx_t): a pool and a namespace, with the object API.

use crate::access::CheckedObjects;
use crate::auth::caps::Rights;
use crate::cluster::Cluster;
use crate::{Error, Result};
use parking_lot::RwLock;
use rbdshim_backend::{Backend, Loc, ObjectStore, PoolId};
use std::sync::Arc;

#[derive(Clone)]
pub struct IoCtx {
    cluster: Arc<Cluster>,
    backend: Arc<dyn Backend>,
    pool: PoolId,
    pool_name: String,
    ns: Arc<RwLock<String>>,
    objects: Arc<CheckedObjects>,
    /// Asynchronous object requests in flight, for rados_aio_flush.
    pending: Arc<crate::aio::Tracker>,
}

impl IoCtx {
    pub(crate) fn new(cluster: Arc<Cluster>, backend: Arc<dyn Backend>, pool: PoolId, pool_name: String) -> Self {
        let objects = Arc::new(CheckedObjects::new(cluster.clone(), backend.clone(), pool, pool_name.clone()));
        IoCtx {
            cluster,
            backend,
            pool,
            pool_name,
            ns: Arc::new(RwLock::new(String::new())),
            objects,
            pending: Arc::default(),
        }
    }

    /// A copy with its own namespace setting (what librbd does when it opens a parent) and its
    /// own asynchronous requests.
    pub fn duplicate(&self) -> IoCtx {
        IoCtx { ns: Arc::new(RwLock::new(self.ns.read().clone())), pending: Arc::default(), ..self.clone() }
    }

    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    pub(crate) fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    pub fn pool_id(&self) -> PoolId {
        self.pool
    }

    pub fn pool_name(&self) -> &str {
        &self.pool_name
    }

    /// None or "" select the default namespace.
    pub fn set_namespace(&self, ns: Option<&str>) {
        *self.ns.write() = ns.unwrap_or("").to_string();
    }

    pub fn namespace(&self) -> String {
        self.ns.read().clone()
    }

    pub fn loc(&self) -> Loc {
        Loc::new(self.pool, &self.ns.read())
    }

    /// Fails -EPERM unless this client's caps give `need` on the pool and namespace.
    pub fn require(&self, need: Rights) -> Result<()> {
        self.cluster.require_osd(&self.pool_name, Some(&self.ns.read()), None, need)
    }

    /// The location, after checking the caps (`need`) and that the namespace exists.
    pub fn checked_loc(&self, need: Rights) -> Result<Loc> {
        self.require(need)?;
        let loc = self.loc();
        if !self.backend.namespace_exists(&loc)? {
            return Err(Error::NotFound);
        }
        Ok(loc)
    }

    /// The object API, each call checked against this client's caps.
    pub fn objects(&self) -> &dyn ObjectStore {
        &*self.objects
    }

    /// Runs an asynchronous object request (`job` returns its value or -errno) for `comp`,
    /// counted until complete for [`IoCtx::aio_flush`].
    pub fn aio_run(&self, comp: Arc<crate::Completion>, job: Box<dyn FnOnce() -> i64 + Send>) -> Result<()> {
        crate::aio::run_tracked(&self.pending, comp, job)
    }

    /// Waits until every request submitted so far through [`IoCtx::aio_run`] (on this context or
    /// its clones) is complete: rados_aio_flush.
    pub fn aio_flush(&self) {
        self.pending.drain()
    }

    pub fn pool_used(&self) -> Result<u64> {
        Ok(self.backend.pool_used(self.pool)?)
    }

    /// (bytes used, objects) of the pool, as the monitor reports them (rados_ioctx_pool_stat):
    /// a monitor read, whatever the client's osd caps.
    pub fn pool_stat(&self) -> Result<(u64, u64)> {
        if !self.cluster.mon_allows("pg", Rights::R, "pool stats", &|_| None) {
            return Err(Error::PermissionDenied);
        }
        let objects = self.backend.objects().list(self.pool, None)?.len() as u64;
        Ok((self.backend.pool_used(self.pool)?, objects))
    }
}
