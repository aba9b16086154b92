//! rados_ioctx_t: a pool and namespace of a cluster handle.

use super::cluster::{cluster, RadosCluster};
use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int};
use rbdshim_core::{Error, IoCtx};
use std::sync::Arc;

pub struct RadosIoctx {
    pub io: IoCtx,
    /// The rados_t it came from (rados_ioctx_get_cluster returns it).
    pub cluster: usize,
}

pub(crate) unsafe fn ioctx(io: rados_ioctx_t) -> Result<Arc<RadosIoctx>, Error> {
    // SAFETY: forwarded handle contract.
    unsafe { Handle::<RadosIoctx>::get(io, TAG_IOCTX) }
}

fn new_ioctx(c: rados_t, rc: &RadosCluster, io: IoCtx) -> rados_ioctx_t {
    let _ = rc;
    Handle::into_raw(TAG_IOCTX, RadosIoctx { io, cluster: c as usize })
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_create(c: rados_t, pool_name: *const c_char, pioctx: *mut rados_ioctx_t) -> c_int {
    guard("rados_ioctx_create", || {
        // SAFETY: handle and string from the caller.
        let (rc, name) = unsafe { (cluster(c)?, cstr(pool_name)?) };
        let io = rc.cluster.ioctx(name)?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(pioctx, new_ioctx(c, &rc, io))? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_create2(c: rados_t, pool_id: i64, pioctx: *mut rados_ioctx_t) -> c_int {
    guard("rados_ioctx_create2", || {
        // SAFETY: handle from the caller.
        let rc = unsafe { cluster(c)? };
        let io = rc.cluster.ioctx_by_id(pool_id)?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(pioctx, new_ioctx(c, &rc, io))? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_destroy(io: rados_ioctx_t) {
    guard_void("rados_ioctx_destroy", || {
        // SAFETY: handle from the caller; stays allocated once closed.
        let _ = unsafe { Handle::<RadosIoctx>::close(io, TAG_IOCTX) };
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_set_namespace(io: rados_ioctx_t, nspace: *const c_char) {
    guard_void("rados_ioctx_set_namespace", || {
        // SAFETY: handle and string from the caller.
        if let (Ok(i), Ok(ns)) = unsafe { (ioctx(io), opt_cstr(nspace)) } {
            i.io.set_namespace(ns);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_get_namespace(io: rados_ioctx_t, buf: *mut c_char, maxlen: u32) -> c_int {
    guard("rados_ioctx_get_namespace", || {
        // SAFETY: handle from the caller.
        let ns = unsafe { ioctx(io)? }.io.namespace();
        // SAFETY: buf valid for maxlen bytes.
        let n = unsafe { put_str(buf, maxlen as usize, &ns)? };
        to_c_int(n as u64 - 1)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_get_id(io: rados_ioctx_t) -> i64 {
    // SAFETY: handle from the caller.
    match unsafe { ioctx(io) } {
        Ok(i) => i.io.pool_id(),
        Err(e) => -(e.errno() as i64),
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_get_pool_name(io: rados_ioctx_t, buf: *mut c_char, maxlen: u32) -> c_int {
    guard("rados_ioctx_get_pool_name", || {
        // SAFETY: handle from the caller.
        let i = unsafe { ioctx(io)? };
        // SAFETY: buf valid for maxlen bytes.
        let n = unsafe { put_str(buf, maxlen as usize, i.io.pool_name())? };
        to_c_int(n as u64 - 1)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_get_cluster(io: rados_ioctx_t) -> rados_t {
    // SAFETY: handle from the caller.
    match unsafe { ioctx(io) } {
        Ok(i) => i.cluster as rados_t,
        Err(_) => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_pool_stat(io: rados_ioctx_t, stats: *mut rados_pool_stat_t) -> c_int {
    guard("rados_ioctx_pool_stat", || {
        // SAFETY: handle from the caller.
        let i = unsafe { ioctx(io)? };
        let (used, objects) = i.io.pool_stat()?;
        let st = rados_pool_stat_t {
            num_bytes: used,
            num_kb: used.div_ceil(1024),
            num_objects: objects,
            num_object_clones: 0,
            num_object_copies: objects,
            num_objects_missing_on_primary: 0,
            num_objects_unfound: 0,
            num_objects_degraded: 0,
            num_rd: 0,
            num_rd_kb: 0,
            num_wr: 0,
            num_wr_kb: 0,
            num_user_bytes: used,
            compressed_bytes_orig: 0,
            compressed_bytes: 0,
            compressed_bytes_alloc: 0,
        };
        // SAFETY: out-pointer from the caller.
        unsafe { out(stats, st)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_pool_requires_alignment2(io: rados_ioctx_t, req: *mut c_int) -> c_int {
    guard("rados_ioctx_pool_requires_alignment2", || {
        // SAFETY: handle and out-pointer from the caller.
        unsafe {
            ioctx(io)?;
            out(req, 0)?;
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_pool_required_alignment2(io: rados_ioctx_t, alignment: *mut u64) -> c_int {
    guard("rados_ioctx_pool_required_alignment2", || {
        // SAFETY: handle and out-pointer from the caller.
        unsafe {
            ioctx(io)?;
            out(alignment, 0)?;
        }
        Ok(0)
    })
}
