//! Cluster handles (rados_t) and the process-wide backend registry.
//!
//! QEMU and libvirt create one cluster handle per disk or per operation, and several handles
//! may open the same image: they must share one backend instance per process, because the
//! backend's per-process state (POSIX locks, caches) is only correct if there is one of it.

use crate::auth::caps::{Grants, Rights};
use crate::config::Config;
use crate::ioctx::IoCtx;
use crate::{Error, Result};
use once_cell::sync::Lazy;
use parking_lot::{Mutex, RwLock};
use rbdshim_backend::{Backend, PoolId, Usage};
use rbdshim_backend_curve::CurveBackend;
use rbdshim_backend_file::FileBackend;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static BACKENDS: Lazy<Mutex<HashMap<String, Arc<dyn Backend>>>> = Lazy::new(|| Mutex::new(HashMap::new()));
static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

/// Makes `backend` the one used for `spec` in this process: for embedding a store the core does
/// not know by name, and for tests that wrap a store to give it other rules.
pub fn register_backend(spec: &str, backend: Arc<dyn Backend>) {
    BACKENDS.lock().insert(spec.to_string(), backend);
}

/// Opens (once per process) the backend named by `spec`: `file:DIR`, or `curve:DIR[?options]`
/// (see `rbdshim_backend_curve::Options`).
pub fn open_backend(spec: &str) -> Result<Arc<dyn Backend>> {
    let mut map = BACKENDS.lock();
    if let Some(b) = map.get(spec) {
        return Ok(b.clone());
    }
    let (kind, rest) = spec.split_once(':').ok_or(Error::InvalidArgument("backend spec must be KIND:LOCATION"))?;
    // One instance per store, however its directory is spelled: POSIX locks are per process,
    // and two instances on one directory would each believe they hold the same lock.
    let (dir, query) = rest.split_once('?').map_or((rest, None), |(d, q)| (d, Some(q)));
    if !matches!(kind, "file" | "curve") {
        return Err(Error::InvalidArgument("unknown backend kind"));
    }
    if kind == "file" && query.is_some() {
        return Err(Error::InvalidArgument("the file backend takes no options"));
    }
    if dir.is_empty() {
        return Err(Error::InvalidArgument("the backend needs a directory"));
    }
    // The store holds every key and all data: only its owner may enter it.
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(dir)
        .map_err(|e| Error::Backend(e.into()))?;
    let canon = std::fs::canonicalize(dir).map_err(|e| Error::Backend(e.into()))?;
    let norm = match query {
        Some(q) => format!("{}?{q}", canon.display()),
        None => canon.display().to_string(),
    };
    // Keyed by directory alone: the first spec's options hold for a store in a process.
    let key = format!("{kind}:{}", canon.display());
    if let Some(b) = map.get(&key) {
        let b = b.clone();
        map.insert(spec.to_string(), b.clone());
        return Ok(b);
    }
    let backend: Arc<dyn Backend> = match kind {
        "file" => Arc::new(FileBackend::open(&canon)?),
        _ => Arc::new(CurveBackend::open(&norm)?),
    };
    map.insert(key, backend.clone());
    map.insert(spec.to_string(), backend.clone());
    Ok(backend)
}

pub struct Cluster {
    config: RwLock<Config>,
    backend: RwLock<Option<Arc<dyn Backend>>>,
    /// What the authenticated client may do (None: everything, as with auth `none`).
    grants: RwLock<Option<Arc<Grants>>>,
    instance_id: u64,
    shut_down: std::sync::atomic::AtomicBool,
}

impl Cluster {
    /// A handle for user `id` (without "client."), or for a full entity name.
    pub fn new(cluster: Option<&str>, name: Option<&str>, full_name: bool) -> Result<Arc<Cluster>> {
        Ok(Arc::new(Cluster {
            config: RwLock::new(Config::new(cluster, name, full_name)?),
            backend: RwLock::new(None),
            grants: RwLock::new(None),
            instance_id: (std::process::id() as u64) << 20 | NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed),
            shut_down: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    pub fn config(&self) -> parking_lot::RwLockReadGuard<'_, Config> {
        self.config.read()
    }

    pub fn config_mut(&self) -> parking_lot::RwLockWriteGuard<'_, Config> {
        self.config.write()
    }

    pub fn conf_set(&self, key: &str, value: &str) -> Result<()> {
        self.config.write().set(key, value)
    }

    pub fn conf_get(&self, key: &str) -> Result<String> {
        // As rados_conf_get: a known option's value or default; unknown options are ENOENT.
        self.config.read().get_or_default(key).ok_or(Error::NotFound)
    }

    pub fn conf_read_file(&self, path: Option<&str>) -> Result<()> {
        self.config.write().read_file(path)
    }

    /// Opens the backend. Cheap after the first time in a process.
    pub fn connect(&self) -> Result<()> {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(Error::Shutdown);
        }
        if self.backend.read().is_some() {
            return Err(Error::IsConnected);
        }
        let spec = self.config.read().backend_spec();
        let b = open_backend(&spec)?;
        let grants = crate::auth::login::authenticate(&self.config.read(), &*b)?;
        *self.grants.write() = grants.map(Arc::new);
        *self.backend.write() = Some(b);
        Ok(())
    }

    /// Fails -EPERM unless the client's osd caps give `need` in `pool`/`ns` (None: every
    /// namespace), on object `oid` or (None) on images.
    pub fn require_osd(&self, pool: &str, ns: Option<&str>, oid: Option<&str>, need: Rights) -> Result<()> {
        if self.osd_rights(pool, ns, oid).contains(need) {
            Ok(())
        } else {
            Err(Error::PermissionDenied)
        }
    }

    /// The client's osd rights in `pool`/`ns` (None: every namespace), on object `oid` or
    /// (None) on images; everything when unrestricted.
    pub fn osd_rights(&self, pool: &str, ns: Option<&str>, oid: Option<&str>) -> Rights {
        match &*self.grants.read() {
            Some(g) => g.osd.rights(pool, ns, oid),
            None => Rights::ALL,
        }
    }

    /// Pool creation and removal change the OSD map: mon `w` on osd, else -EPERM (librados'
    /// pool operations; `ceph osd pool ...` commands are refused earlier with -EACCES).
    fn require_pool_admin(&self, prefix: &str) -> Result<()> {
        if self.mon_allows("osd", Rights::W, prefix, &|_| None) {
            Ok(())
        } else {
            Err(Error::PermissionDenied)
        }
    }

    /// Whether the client's mon caps allow command `prefix` of `service` needing `need`
    /// (`arg`: the command's argument values, for grants limited to some).
    pub fn mon_allows(&self, service: &str, need: Rights, prefix: &str, arg: &dyn Fn(&str) -> Option<String>) -> bool {
        match &*self.grants.read() {
            Some(g) => g.mon.allows(service, need, prefix, arg),
            None => true,
        }
    }

    pub fn is_connected(&self) -> bool {
        self.backend.read().is_some()
    }

    pub fn shutdown(&self) {
        self.shut_down.store(true, Ordering::Release);
        *self.backend.write() = None;
    }

    pub fn backend(&self) -> Result<Arc<dyn Backend>> {
        self.backend.read().clone().ok_or(Error::NotConnected)
    }

    /// This client's address as lockers and watchers show it (one per process).
    /// The user this handle acts for: the id of a client entity ("glance"), else the full
    /// entity name ("osd.0").
    pub fn user(&self) -> String {
        let c = self.config.read();
        if c.entity_type == "client" {
            c.id.clone()
        } else {
            c.name()
        }
    }

    pub fn client_addr(&self) -> String {
        format!("127.0.0.1:0/{}", std::process::id())
    }

    pub fn instance_id(&self) -> u64 {
        self.instance_id
    }

    pub fn fsid(&self) -> Result<String> {
        Ok(self.backend()?.fsid())
    }

    /// Creates a pool with the default properties (replication, placement groups) of this
    /// client's configuration.
    pub fn pool_create(&self, name: &str) -> Result<PoolId> {
        let props = crate::osdpool::PoolProps::defaults(&self.config());
        self.pool_create_with(name, props)
    }

    /// Creates a pool with the given properties (`ceph osd pool create`).
    pub fn pool_create_with(&self, name: &str, props: crate::osdpool::PoolProps) -> Result<PoolId> {
        check_pool_name(name)?;
        let b = self.backend()?;
        self.require_pool_admin("osd pool create")?;
        let id = b.pool_create(name)?;
        // The pool exists now; properties that fail to record read as Ceph's defaults.
        if let Err(e) = crate::osdpool::init(&*b, id, props) {
            tracing::warn!("pool {name}: recording its properties failed: {e}");
        }
        Ok(id)
    }

    pub fn pool_delete(&self, name: &str) -> Result<()> {
        check_pool_name(name)?;
        let b = self.backend()?;
        self.require_pool_admin("osd pool delete")?;
        b.pool_remove(name)?;
        let _ = crate::osdpool::bump_epoch(&*b);
        Ok(())
    }

    pub fn pool_list(&self) -> Result<Vec<(PoolId, String)>> {
        Ok(self.backend()?.pool_list()?)
    }

    pub fn pool_lookup(&self, name: &str) -> Result<PoolId> {
        self.pool_list()?.into_iter().find(|(_, n)| n == name).map(|(id, _)| id).ok_or(Error::NotFound)
    }

    pub fn pool_reverse_lookup(&self, id: PoolId) -> Result<String> {
        self.pool_list()?.into_iter().find(|(i, _)| *i == id).map(|(_, n)| n).ok_or(Error::NotFound)
    }

    pub fn usage(&self) -> Result<Usage> {
        Ok(self.backend()?.usage()?)
    }

    pub fn ioctx(self: &Arc<Self>, pool: &str) -> Result<IoCtx> {
        let backend = self.backend()?;
        let id = self.pool_lookup(pool)?;
        Ok(IoCtx::new(self.clone(), backend, id, pool.to_string()))
    }

    pub fn ioctx_by_id(self: &Arc<Self>, id: PoolId) -> Result<IoCtx> {
        let backend = self.backend()?;
        let name = self.pool_reverse_lookup(id)?;
        Ok(IoCtx::new(self.clone(), backend, id, name))
    }
}

fn check_pool_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("empty pool name"));
    }
    if name.len() > 255 {
        return Err(Error::NameTooLong);
    }
    Ok(())
}
