//! The native half of the `rados` and `rbd` Python modules: thin wrappers over rbdshim-core.
//!
//! It converts arguments, releases the GIL around IO and metadata work, and raises
//! `NativeError(errno, text)`; the Python layer (pysrc/) turns that into the exception class
//! Ceph's modules raise, with Ceph's message. Data is always `bytes`.

mod aio;
mod cluster;
mod image;
mod manage;
mod writeop;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use rbdshim_core::Error;

create_exception!(_native, NativeError, PyException, "An errno from the rbdshim core.");

pub(crate) fn err(e: Error) -> PyErr {
    NativeError::new_err((e.errno(), e.to_string()))
}

pub(crate) type R<T> = PyResult<T>;

pub(crate) fn ok<T>(r: rbdshim_core::Result<T>) -> R<T> {
    r.map_err(err)
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add_class::<cluster::NativeCluster>()?;
    m.add_class::<cluster::NativeIoctx>()?;
    m.add_class::<image::NativeImage>()?;
    m.add_class::<aio::NativeCompletion>()?;
    m.add_class::<writeop::NativeWriteOp>()?;
    m.add_function(wrap_pyfunction!(manage::create, m)?)?;
    m.add_function(wrap_pyfunction!(manage::clone_image, m)?)?;
    m.add_function(wrap_pyfunction!(manage::remove, m)?)?;
    m.add_function(wrap_pyfunction!(manage::rename, m)?)?;
    m.add_function(wrap_pyfunction!(manage::list2, m)?)?;
    m.add_function(wrap_pyfunction!(manage::trash_move, m)?)?;
    m.add_function(wrap_pyfunction!(manage::trash_list, m)?)?;
    m.add_function(wrap_pyfunction!(manage::trash_remove, m)?)?;
    m.add_function(wrap_pyfunction!(manage::trash_restore, m)?)?;
    m.add_function(wrap_pyfunction!(manage::namespace_create, m)?)?;
    m.add_function(wrap_pyfunction!(manage::namespace_remove, m)?)?;
    m.add_function(wrap_pyfunction!(manage::namespace_list, m)?)?;
    m.add_function(wrap_pyfunction!(manage::namespace_exists, m)?)?;
    m.add_function(wrap_pyfunction!(manage::trash_purge, m)?)?;
    m.add_function(wrap_pyfunction!(manage::pool_metadata_get, m)?)?;
    m.add_function(wrap_pyfunction!(manage::pool_metadata_set, m)?)?;
    m.add_function(wrap_pyfunction!(manage::pool_metadata_remove, m)?)?;
    m.add_function(wrap_pyfunction!(manage::pool_metadata_list, m)?)?;
    m.add_function(wrap_pyfunction!(manage::pool_stats, m)?)?;
    m.add_function(wrap_pyfunction!(manage::config_list, m)?)?;
    m.add_function(wrap_pyfunction!(aio::quiesce, m)?)?;
    Ok(())
}
