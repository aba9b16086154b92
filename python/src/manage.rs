//! `rbd.RBD`: creating, cloning, listing, renaming and removing images; trash; namespaces.

use crate::cluster::NativeIoctx;
use crate::{ok, R};
use pyo3::prelude::*;
use rbdshim_core::{clone, manage, pool, CreateOptions};

pub(crate) fn opts(
    order: Option<u8>,
    features: Option<u64>,
    stripe_unit: Option<u64>,
    stripe_count: Option<u64>,
    data_pool: Option<String>,
) -> CreateOptions {
    CreateOptions { order, features, stripe_unit, stripe_count, data_pool }
}

#[pyfunction]
#[pyo3(signature = (io, name, size, order=None, features=None, stripe_unit=None, stripe_count=None, data_pool=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn create(
    py: Python<'_>,
    io: &NativeIoctx,
    name: &str,
    size: u64,
    order: Option<u8>,
    features: Option<u64>,
    stripe_unit: Option<u64>,
    stripe_count: Option<u64>,
    data_pool: Option<String>,
) -> R<String> {
    let o = opts(order, features, stripe_unit, stripe_count, data_pool);
    py.allow_threads(|| ok(manage::create(&io.io, name, size, &o)))
}

#[pyfunction]
#[pyo3(signature = (p_io, p_name, p_snap, c_io, c_name, order=None, features=None, stripe_unit=None, stripe_count=None, data_pool=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn clone_image(
    py: Python<'_>,
    p_io: &NativeIoctx,
    p_name: &str,
    p_snap: &str,
    c_io: &NativeIoctx,
    c_name: &str,
    order: Option<u8>,
    features: Option<u64>,
    stripe_unit: Option<u64>,
    stripe_count: Option<u64>,
    data_pool: Option<String>,
) -> R<String> {
    let o = opts(order, features, stripe_unit, stripe_count, data_pool);
    py.allow_threads(|| ok(clone::clone(&p_io.io, p_name, p_snap, &c_io.io, c_name, &o)))
}

#[pyfunction]
pub(crate) fn remove(py: Python<'_>, io: &NativeIoctx, name: &str) -> R<()> {
    py.allow_threads(|| ok(manage::remove(&io.io, name)))
}

#[pyfunction]
pub(crate) fn rename(io: &NativeIoctx, src: &str, dst: &str) -> R<()> {
    ok(manage::rename(&io.io, src, dst))
}

#[pyfunction]
pub(crate) fn list2(io: &NativeIoctx) -> R<Vec<(String, String)>> {
    ok(manage::list2(&io.io))
}

#[pyfunction]
pub(crate) fn trash_move(io: &NativeIoctx, name: &str, delay: u64) -> R<String> {
    ok(manage::trash_move(&io.io, name, delay))
}

/// (id, name, source, deletion_time, deferment_end_time)
#[pyfunction]
pub(crate) fn trash_list(io: &NativeIoctx) -> R<Vec<(String, String, u8, u64, u64)>> {
    Ok(ok(manage::trash_list(&io.io))?
        .into_iter()
        .map(|e| (e.id, e.name, e.source, e.deletion_time, e.deferment_end_time))
        .collect())
}

#[pyfunction]
pub(crate) fn trash_remove(py: Python<'_>, io: &NativeIoctx, id: &str, force: bool) -> R<()> {
    py.allow_threads(|| ok(manage::trash_remove(&io.io, id, force)))
}

#[pyfunction]
pub(crate) fn trash_restore(io: &NativeIoctx, id: &str, name: &str) -> R<()> {
    ok(manage::trash_restore(&io.io, id, name))
}

#[pyfunction]
pub(crate) fn namespace_create(io: &NativeIoctx, name: &str) -> R<()> {
    ok(manage::namespace_create(&io.io, name))
}

#[pyfunction]
pub(crate) fn namespace_remove(io: &NativeIoctx, name: &str) -> R<()> {
    ok(manage::namespace_remove(&io.io, name))
}

#[pyfunction]
pub(crate) fn namespace_list(io: &NativeIoctx) -> R<Vec<String>> {
    ok(manage::namespace_list(&io.io))
}

#[pyfunction]
pub(crate) fn namespace_exists(io: &NativeIoctx, name: &str) -> R<bool> {
    ok(manage::namespace_exists(&io.io, name))
}

#[pyfunction]
pub(crate) fn trash_purge(py: Python<'_>, io: &NativeIoctx, expire_ts: u64) -> R<()> {
    py.allow_threads(|| ok(manage::trash_purge(&io.io, expire_ts)))
}

#[pyfunction]
pub(crate) fn pool_metadata_get(io: &NativeIoctx, key: &str) -> R<String> {
    ok(pool::metadata_get(&io.io, key))
}

#[pyfunction]
pub(crate) fn pool_metadata_set(io: &NativeIoctx, key: &str, value: &str) -> R<()> {
    ok(pool::metadata_set(&io.io, key, value))
}

#[pyfunction]
pub(crate) fn pool_metadata_remove(io: &NativeIoctx, key: &str) -> R<()> {
    ok(pool::metadata_remove(&io.io, key))
}

#[pyfunction]
pub(crate) fn pool_metadata_list(io: &NativeIoctx) -> R<Vec<(String, String)>> {
    ok(pool::metadata_list(&io.io, "", 0))
}

/// [(key, value)] with rbd_pool_stats_get's option names.
#[pyfunction]
pub(crate) fn pool_stats(py: Python<'_>, io: &NativeIoctx) -> R<Vec<(&'static str, u64)>> {
    let s = py.allow_threads(|| ok(pool::stats(&io.io)))?;
    Ok(vec![
        ("image_count", s.image_count),
        ("image_provisioned_bytes", s.image_provisioned_bytes),
        ("image_max_provisioned_bytes", s.image_max_provisioned_bytes),
        ("image_snap_count", s.image_snap_count),
        ("trash_count", s.trash_count),
        ("trash_provisioned_bytes", s.trash_provisioned_bytes),
        ("trash_max_provisioned_bytes", s.trash_max_provisioned_bytes),
        ("trash_snap_count", s.trash_snap_count),
    ])
}

/// [(option, value, source)] of every rbd option for the pool.
#[pyfunction]
pub(crate) fn config_list(io: &NativeIoctx) -> R<Vec<(String, String, u8)>> {
    ok(rbdshim_core::rbdconfig::list(&io.io, None))
}
