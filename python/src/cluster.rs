//! `rados.Rados` and `rados.Ioctx`: cluster, pool and object calls.

use crate::{ok, R};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rbdshim_core::lock::LockMode;
use rbdshim_core::objlock::LockRequest;
use rbdshim_core::{Cluster, IoCtx};
use std::sync::Arc;

#[pyclass(module = "rbdshim._native")]
pub(crate) struct NativeCluster {
    c: Arc<Cluster>,
}

#[pymethods]
impl NativeCluster {
    #[new]
    #[pyo3(signature = (name=None, clustername=None, full_name=false))]
    fn new(name: Option<&str>, clustername: Option<&str>, full_name: bool) -> R<Self> {
        Ok(NativeCluster { c: ok(Cluster::new(clustername, name, full_name))? })
    }
    fn conf_set(&self, key: &str, value: &str) -> R<()> {
        ok(self.c.conf_set(key, value))
    }
    fn conf_get(&self, key: &str) -> R<String> {
        ok(self.c.conf_get(key))
    }
    #[pyo3(signature = (path=None))]
    fn conf_read_file(&self, path: Option<&str>) -> R<()> {
        ok(self.c.conf_read_file(path))
    }
    fn conf_parse_argv(&self, args: Vec<String>) -> R<Vec<String>> {
        ok(self.c.config_mut().parse_conf_argv(&args))
    }
    #[pyo3(signature = (var=None))]
    fn conf_parse_env(&self, var: Option<&str>) -> R<()> {
        ok(self.c.config_mut().parse_env(var))
    }
    fn connect(&self, py: Python<'_>) -> R<()> {
        py.allow_threads(|| ok(self.c.connect()))
    }
    fn shutdown(&self) {
        self.c.shutdown()
    }
    fn fsid(&self) -> R<String> {
        ok(self.c.fsid())
    }
    fn instance_id(&self) -> u64 {
        self.c.instance_id()
    }
    fn pool_list(&self) -> R<Vec<(i64, String)>> {
        ok(self.c.pool_list())
    }
    fn pool_create(&self, name: &str) -> R<i64> {
        ok(self.c.pool_create(name))
    }
    fn pool_delete(&self, name: &str) -> R<()> {
        ok(self.c.pool_delete(name))
    }
    fn pool_lookup(&self, name: &str) -> R<i64> {
        ok(self.c.pool_lookup(name))
    }
    fn pool_reverse_lookup(&self, id: i64) -> R<String> {
        ok(self.c.pool_reverse_lookup(id))
    }
    /// (total, used, available bytes, objects)
    fn usage(&self) -> R<(u64, u64, u64, u64)> {
        let u = ok(self.c.usage())?;
        Ok((u.total_bytes, u.used_bytes, u.avail_bytes, u.objects))
    }
    /// (output, status) of a monitor command in JSON.
    fn mon_command<'p>(&self, py: Python<'p>, cmd: &str) -> R<(Bound<'p, PyBytes>, String)> {
        let (out, status) = ok(rbdshim_core::monitor::command(&self.c, cmd))?;
        Ok((PyBytes::new(py, &out), status))
    }
    fn client_addr(&self) -> String {
        self.c.client_addr()
    }
    fn ping_monitor(&self, mon_id: &str) -> R<String> {
        ok(rbdshim_core::monitor::ping(&self.c, mon_id))
    }
    fn open_ioctx(&self, name: &str) -> R<NativeIoctx> {
        Ok(NativeIoctx { io: ok(self.c.ioctx(name))? })
    }
    fn open_ioctx2(&self, id: i64) -> R<NativeIoctx> {
        Ok(NativeIoctx { io: ok(self.c.ioctx_by_id(id))? })
    }
}

#[pyclass(module = "rbdshim._native")]
pub(crate) struct NativeIoctx {
    pub(crate) io: IoCtx,
}

#[pymethods]
impl NativeIoctx {
    fn set_namespace(&self, ns: &str) {
        self.io.set_namespace(Some(ns))
    }
    fn namespace(&self) -> String {
        self.io.namespace()
    }
    fn pool_id(&self) -> i64 {
        self.io.pool_id()
    }
    fn pool_name(&self) -> String {
        self.io.pool_name().to_string()
    }
    fn pool_used(&self) -> R<u64> {
        ok(self.io.pool_used())
    }
    fn read<'p>(&self, py: Python<'p>, oid: &str, length: u64, offset: u64) -> R<Bound<'p, PyBytes>> {
        let loc = self.io.loc();
        let d = py.allow_threads(|| ok(self.io.objects().read(&loc, oid, offset, length).map_err(Into::into)))?;
        Ok(PyBytes::new(py, &d))
    }
    fn write(&self, py: Python<'_>, oid: &str, data: &[u8], offset: u64) -> R<()> {
        let loc = self.io.loc();
        py.allow_threads(|| ok(self.io.objects().write(&loc, oid, offset, data).map_err(Into::into)))
    }
    fn write_full(&self, py: Python<'_>, oid: &str, data: &[u8]) -> R<()> {
        let loc = self.io.loc();
        py.allow_threads(|| ok(self.io.objects().write_full(&loc, oid, data).map_err(Into::into)))
    }
    fn append(&self, py: Python<'_>, oid: &str, data: &[u8]) -> R<()> {
        let loc = self.io.loc();
        py.allow_threads(|| ok(self.io.objects().append(&loc, oid, data).map_err(Into::into)))
    }
    fn remove(&self, oid: &str) -> R<()> {
        ok(self.io.objects().remove(&self.io.loc(), oid).map_err(Into::into))
    }
    fn trunc(&self, oid: &str, size: u64) -> R<()> {
        ok(self.io.objects().truncate(&self.io.loc(), oid, size).map_err(Into::into))
    }
    /// (size, mtime seconds)
    fn stat(&self, oid: &str) -> R<(u64, f64)> {
        let st = ok(self.io.objects().stat(&self.io.loc(), oid).map_err(Into::into))?;
        let t = st.mtime.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        Ok((st.size, t))
    }
    fn xattr_get<'p>(&self, py: Python<'p>, oid: &str, name: &str) -> R<Bound<'p, PyBytes>> {
        let v = ok(self.io.objects().xattr_get(&self.io.loc(), oid, name).map_err(Into::into))?;
        Ok(PyBytes::new(py, &v))
    }
    fn xattr_set(&self, oid: &str, name: &str, value: &[u8]) -> R<()> {
        ok(self.io.objects().xattr_set(&self.io.loc(), oid, name, value).map_err(Into::into))
    }
    fn xattr_remove(&self, oid: &str, name: &str) -> R<()> {
        ok(self.io.objects().xattr_remove(&self.io.loc(), oid, name).map_err(Into::into))
    }
    fn xattrs(&self, oid: &str) -> R<Vec<(String, Vec<u8>)>> {
        Ok(ok(self.io.objects().xattrs(&self.io.loc(), oid).map_err(Into::into))?.into_iter().collect())
    }
    fn omap_get(&self, oid: &str) -> R<Vec<(String, Vec<u8>)>> {
        Ok(ok(self.io.objects().omap_get(&self.io.loc(), oid).map_err(Into::into))?.into_iter().collect())
    }
    fn omap_update(&self, oid: &str, set: Vec<(String, Vec<u8>)>, remove: Vec<String>) -> R<()> {
        let set = set.into_iter().collect();
        ok(self.io.objects().omap_update(&self.io.loc(), oid, &set, &remove).map_err(Into::into))
    }
    fn omap_clear(&self, oid: &str) -> R<()> {
        ok(self.io.objects().omap_clear(&self.io.loc(), oid).map_err(Into::into))
    }
    /// (namespace, name) of every object; all namespaces when `all` is set.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (oid, name, cookie, tag, desc, duration, flags, exclusive))]
    fn lock(
        &self,
        py: Python<'_>,
        oid: &str,
        name: &str,
        cookie: &str,
        tag: &str,
        desc: &str,
        duration: Option<u64>,
        flags: u8,
        exclusive: bool,
    ) -> R<()> {
        let mode = if exclusive { LockMode::Exclusive } else { LockMode::Shared };
        let duration = duration.map(std::time::Duration::from_secs);
        let req = LockRequest { mode, cookie, tag, desc, duration, flags };
        py.allow_threads(|| ok(self.io.object_lock(oid, name, &req)))
    }
    fn unlock(&self, py: Python<'_>, oid: &str, name: &str, cookie: &str) -> R<()> {
        py.allow_threads(|| ok(self.io.object_unlock(oid, name, cookie)))
    }
    /// (bytes used, objects) of the pool.
    fn stats(&self, py: Python<'_>) -> R<(u64, u64)> {
        py.allow_threads(|| ok(self.io.pool_stat()))
    }
    fn list_objects(&self, all: bool) -> R<Vec<(String, String)>> {
        let ns = self.io.namespace();
        ok(self.io.objects().list(self.io.pool_id(), if all { None } else { Some(&ns) }).map_err(Into::into))
    }
}
