//! rados_t: creation, configuration, connection, cluster-wide queries and pools.

use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, size_t};
use rbdshim_core::{Cluster, Error};
use std::sync::Arc;

pub struct RadosCluster {
    pub cluster: Arc<Cluster>,
}

pub(crate) unsafe fn cluster(c: rados_t) -> Result<Arc<RadosCluster>, Error> {
    // SAFETY: forwarded handle contract.
    unsafe { Handle::<RadosCluster>::get(c, TAG_CLUSTER) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_create(cluster: *mut rados_t, id: *const c_char) -> c_int {
    guard("rados_create", || {
        // SAFETY: caller passes a valid string or NULL.
        let id = unsafe { opt_cstr(id)? };
        let c = Cluster::new(None, id, false)?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(cluster, Handle::into_raw(TAG_CLUSTER, RadosCluster { cluster: c }))? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_create2(
    pcluster: *mut rados_t,
    clustername: *const c_char,
    name: *const c_char,
    _flags: u64,
) -> c_int {
    guard("rados_create2", || {
        // SAFETY: caller passes valid strings or NULL.
        let (cn, name) = unsafe { (opt_cstr(clustername)?, opt_cstr(name)?) };
        let c = Cluster::new(cn, name, true)?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(pcluster, Handle::into_raw(TAG_CLUSTER, RadosCluster { cluster: c }))? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_conf_read_file(cluster: rados_t, path: *const c_char) -> c_int {
    guard("rados_conf_read_file", || {
        // SAFETY: handle and string from the caller.
        let (c, path) = unsafe { (self::cluster(cluster)?, opt_cstr(path)?) };
        c.cluster.conf_read_file(path)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_conf_set(cluster: rados_t, option: *const c_char, value: *const c_char) -> c_int {
    guard("rados_conf_set", || {
        // SAFETY: handle and strings from the caller.
        let (c, k, v) = unsafe { (self::cluster(cluster)?, cstr(option)?, cstr(value)?) };
        c.cluster.conf_set(k, v)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_conf_get(
    cluster: rados_t,
    option: *const c_char,
    buf: *mut c_char,
    len: size_t,
) -> c_int {
    guard("rados_conf_get", || {
        // SAFETY: handle and string from the caller.
        let (c, k) = unsafe { (self::cluster(cluster)?, cstr(option)?) };
        let v = c.cluster.conf_get(k)?;
        // SAFETY: buf valid for len bytes.
        unsafe { put_str(buf, len, &v) }.map_err(|e| match e {
            Error::Range => Error::NameTooLong,
            e => e,
        })?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_conf_parse_env(cluster: rados_t, var: *const c_char) -> c_int {
    guard("rados_conf_parse_env", || {
        // SAFETY: handle and string from the caller.
        let (c, var) = unsafe { (self::cluster(cluster)?, opt_cstr(var)?) };
        c.cluster.config_mut().parse_env(var)?;
        Ok(0)
    })
}

/// Collects argv from entry `first` on (rados_conf_parse_argv skips the program name in entry 0,
/// rados_conf_parse_argv_remainder does not, as in Ceph).
unsafe fn args(argc: c_int, argv: *const *const c_char, first: usize) -> Result<Vec<String>, Error> {
    if argc < 0 || (argc > 0 && argv.is_null()) {
        return Err(Error::InvalidArgument("bad argv"));
    }
    let mut v = Vec::new();
    for i in first..argc as usize {
        // SAFETY: argv has argc valid entries by contract.
        v.push(unsafe { cstr(*argv.add(i))? }.to_string());
    }
    Ok(v)
}

#[no_mangle]
pub unsafe extern "C" fn rados_conf_parse_argv(cluster: rados_t, argc: c_int, argv: *const *const c_char) -> c_int {
    guard("rados_conf_parse_argv", || {
        // SAFETY: handle and argv from the caller.
        let (c, a) = unsafe { (self::cluster(cluster)?, args(argc, argv, 1)?) };
        c.cluster.config_mut().parse_conf_argv(&a)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_conf_parse_argv_remainder(
    cluster: rados_t,
    argc: c_int,
    argv: *const *const c_char,
    remargv: *mut *const c_char,
) -> c_int {
    guard("rados_conf_parse_argv_remainder", || {
        // SAFETY: handle and argv from the caller.
        let (c, a) = unsafe { (self::cluster(cluster)?, args(argc, argv, 0)?) };
        let kept = c.cluster.config_mut().parse_conf_argv_kept(&a)?;
        if !remargv.is_null() {
            // Ceph fills remargv with the unparsed arguments (pointers into argv), NULL-padded.
            for slot in 0..a.len() {
                // SAFETY: argv has argc entries; remargv has argc slots by contract.
                unsafe { *remargv.add(slot) = kept.get(slot).map_or(std::ptr::null(), |&i| *argv.add(i)) };
            }
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_connect(cluster: rados_t) -> c_int {
    guard("rados_connect", || {
        // SAFETY: handle from the caller.
        unsafe { self::cluster(cluster)? }.cluster.connect()?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_shutdown(cluster: rados_t) {
    guard_void("rados_shutdown", || {
        // SAFETY: handle from the caller; closed handles stay allocated.
        if let Ok(c) = unsafe { Handle::<RadosCluster>::close(cluster, TAG_CLUSTER) } {
            c.cluster.shutdown();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_cluster_stat(cluster: rados_t, result: *mut rados_cluster_stat_t) -> c_int {
    guard("rados_cluster_stat", || {
        // SAFETY: handle from the caller.
        let u = unsafe { self::cluster(cluster)? }.cluster.usage()?;
        let st = rados_cluster_stat_t {
            kb: u.total_bytes / 1024,
            kb_used: u.used_bytes / 1024,
            kb_avail: u.avail_bytes / 1024,
            num_objects: u.objects,
        };
        // SAFETY: out-pointer from the caller.
        unsafe { out(result, st)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_cluster_fsid(cluster: rados_t, buf: *mut c_char, len: size_t) -> c_int {
    guard("rados_cluster_fsid", || {
        // SAFETY: handle from the caller.
        let fsid = unsafe { self::cluster(cluster)? }.cluster.fsid()?;
        // SAFETY: buf valid for len bytes.
        let n = unsafe { put_str(buf, len, &fsid)? };
        to_c_int(n as u64 - 1)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_version(major: *mut c_int, minor: *mut c_int, extra: *mut c_int) {
    // SAFETY: each pointer is NULL or valid, per the header's contract.
    unsafe {
        out_opt(major, 3);
        out_opt(minor, 0);
        out_opt(extra, 0);
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_pool_create(cluster: rados_t, pool_name: *const c_char) -> c_int {
    guard("rados_pool_create", || {
        // SAFETY: handle and string from the caller.
        let (c, name) = unsafe { (self::cluster(cluster)?, cstr(pool_name)?) };
        c.cluster.pool_create(name)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_pool_delete(cluster: rados_t, pool_name: *const c_char) -> c_int {
    guard("rados_pool_delete", || {
        // SAFETY: handle and string from the caller.
        let (c, name) = unsafe { (self::cluster(cluster)?, cstr(pool_name)?) };
        c.cluster.pool_delete(name)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_pool_lookup(cluster: rados_t, pool_name: *const c_char) -> i64 {
    guard("rados_pool_lookup", || {
        // SAFETY: handle and string from the caller.
        let (c, name) = unsafe { (self::cluster(cluster)?, cstr(pool_name)?) };
        c.cluster.pool_lookup(name)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_pool_reverse_lookup(
    cluster: rados_t,
    id: i64,
    buf: *mut c_char,
    maxlen: size_t,
) -> c_int {
    guard("rados_pool_reverse_lookup", || {
        // SAFETY: handle from the caller.
        let name = unsafe { self::cluster(cluster)? }.cluster.pool_reverse_lookup(id)?;
        // SAFETY: buf valid for maxlen bytes.
        let n = unsafe { put_str(buf, maxlen, &name)? };
        to_c_int(n as u64)
    })
}

/// Pool names, NUL-separated, ending with an extra NUL; returns the length needed. If `len`
/// is too small, fills what fits (whole names only) and still returns the needed length.
#[no_mangle]
pub unsafe extern "C" fn rados_pool_list(cluster: rados_t, buf: *mut c_char, len: size_t) -> c_int {
    guard("rados_pool_list", || {
        // SAFETY: handle from the caller.
        let pools = unsafe { self::cluster(cluster)? }.cluster.pool_list()?;
        let need: usize = pools.iter().map(|(_, n)| n.len() + 1).sum::<usize>() + 1;
        // SAFETY: buf valid for len bytes by contract.
        let d = unsafe { buf_mut(buf, len)? };
        d.fill(0);
        let mut pos = 0;
        for (_, n) in &pools {
            if pos + n.len() + 1 >= len {
                break;
            }
            d[pos..pos + n.len()].copy_from_slice(n.as_bytes());
            pos += n.len() + 1;
        }
        to_c_int(need as u64)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_get_instance_id(cluster: rados_t) -> u64 {
    // SAFETY: handle from the caller.
    match unsafe { self::cluster(cluster) } {
        Ok(c) => c.cluster.instance_id(),
        Err(_) => 0,
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_wait_for_latest_osdmap(cluster: rados_t) -> c_int {
    guard("rados_wait_for_latest_osdmap", || {
        // SAFETY: handle from the caller.
        unsafe { self::cluster(cluster)? }.cluster.backend()?;
        Ok(0)
    })
}

/// Hands `data` to the caller in a malloc'd buffer (NULL when empty, as librados does), for
/// rados_buffer_free.
///
/// # Safety
/// `buf` and `len` are NULL or valid for writes.
unsafe fn out_buffer(data: &[u8], buf: *mut *mut c_char, len: *mut size_t) -> Result<(), Error> {
    if !buf.is_null() {
        let p = if data.is_empty() {
            std::ptr::null_mut()
        } else {
            // SAFETY: malloc of a non-zero size; checked for NULL before the copy.
            let p = unsafe { libc::malloc(data.len()) } as *mut u8;
            if p.is_null() {
                // SAFETY: NULL or an out-pointer from the caller.
                unsafe { out_opt(len, 0) };
                return Err(Error::msg(libc::ENOMEM, "out of memory"));
            }
            // SAFETY: p holds data.len() bytes and does not overlap data.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
            p as *mut c_char
        };
        // SAFETY: non-NULL out-pointer from the caller.
        unsafe { *buf = p };
    }
    // SAFETY: NULL or an out-pointer from the caller.
    unsafe { out_opt(len, data.len()) };
    Ok(())
}

/// Runs a monitor command: `cmd` holds `cmdlen` strings that together make one JSON command.
#[no_mangle]
pub unsafe extern "C" fn rados_mon_command(
    cluster: rados_t,
    cmd: *mut *const c_char,
    cmdlen: size_t,
    inbuf: *const c_char,
    inbuflen: size_t,
    outbuf: *mut *mut c_char,
    outbuflen: *mut size_t,
    outs: *mut *mut c_char,
    outslen: *mut size_t,
) -> c_int {
    // Every output is set whatever happens, as librados sets them: callers (Ceph's own Python
    // binding among them) slice and free them even after a failure.
    for p in [outbuf, outs] {
        if !p.is_null() {
            // SAFETY: non-NULL out-pointer from the caller.
            unsafe { *p = std::ptr::null_mut() };
        }
    }
    // SAFETY: NULL or out-pointers from the caller.
    unsafe {
        out_opt(outbuflen, 0);
        out_opt(outslen, 0);
    }
    guard("rados_mon_command", || {
        // SAFETY: handle from the caller.
        let c = unsafe { self::cluster(cluster)? };
        if cmd.is_null() || cmdlen == 0 {
            return Err(Error::InvalidArgument("no command"));
        }
        let mut json = String::new();
        for i in 0..cmdlen {
            // SAFETY: the caller passes `cmd` valid for `cmdlen` pointer reads; cstr refuses a
            // NULL entry.
            json += unsafe { cstr(*cmd.add(i))? };
        }
        // SAFETY: inbuflen bytes at inbuf (NULL only with 0).
        let input = if inbuflen == 0 { &[][..] } else { unsafe { buf(inbuf, inbuflen)? } };
        c.cluster.backend()?;
        let r = rbdshim_core::monitor::mon_command(&c.cluster, &json, input);
        // SAFETY: out-pointers from the caller, each NULL or valid.
        unsafe {
            out_buffer(&r.outbuf, outbuf, outbuflen)?;
            out_buffer(r.outs.as_bytes(), outs, outslen)?;
        }
        Ok(r.ret)
    })
}

/// Frees a buffer librados handed out (rados_mon_command's outputs).
#[no_mangle]
pub unsafe extern "C" fn rados_buffer_free(buf: *mut c_char) {
    // SAFETY: NULL or a buffer from out_buffer's malloc, not used again.
    unsafe { libc::free(buf as *mut libc::c_void) }
}
