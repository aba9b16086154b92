//! Snapshots, and resize (which shares their locking).

use super::image::{img, ts};
use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, c_void, size_t, timespec};
use rbdshim_core::Error;

/// Runs a snapshot operation named by the caller.
unsafe fn by_name(
    name: &'static str,
    image: rbd_image_t,
    snapname: *const c_char,
    f: impl FnOnce(&rbdshim_core::Image, &str) -> Result<(), Error>,
) -> c_int {
    guard(name, || {
        // SAFETY: handle and string from the caller.
        let (i, n) = unsafe { (img(image)?, cstr(snapname)?) };
        f(&i, n)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_create(image: rbd_image_t, snapname: *const c_char) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { by_name("rbd_snap_create", image, snapname, |i, n| i.snap_create(n).map(|_| ())) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_remove(image: rbd_image_t, snapname: *const c_char) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { by_name("rbd_snap_remove", image, snapname, |i, n| i.snap_remove(n)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_rollback(image: rbd_image_t, snapname: *const c_char) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { by_name("rbd_snap_rollback", image, snapname, |i, n| i.snap_rollback(n)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_protect(image: rbd_image_t, snapname: *const c_char) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { by_name("rbd_snap_protect", image, snapname, |i, n| i.snap_protect(n)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_unprotect(image: rbd_image_t, snapname: *const c_char) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { by_name("rbd_snap_unprotect", image, snapname, |i, n| i.snap_unprotect(n)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_create2(
    image: rbd_image_t,
    snapname: *const c_char,
    _flags: u32,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    // SAFETY: forwarded.
    let r = unsafe { rbd_snap_create(image, snapname) };
    progress_done(r, cb, cbdata)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_remove2(
    image: rbd_image_t,
    snapname: *const c_char,
    flags: u32,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    let r = guard("rbd_snap_remove2", || {
        // SAFETY: handle and string from the caller.
        let (i, n) = unsafe { (img(image)?, cstr(snapname)?) };
        // RBD_SNAP_REMOVE_UNPROTECT: unprotect first.
        if flags & 1 != 0 && i.snap_is_protected(n)? {
            i.snap_unprotect(n)?;
        }
        i.snap_remove(n)?;
        Ok(0)
    });
    progress_done(r, cb, cbdata)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_remove_by_id(image: rbd_image_t, snap_id: u64) -> c_int {
    guard("rbd_snap_remove_by_id", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.snap_remove_by_id(snap_id)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_rollback_with_progress(
    image: rbd_image_t,
    snapname: *const c_char,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    // SAFETY: forwarded.
    let r = unsafe { rbd_snap_rollback(image, snapname) };
    progress_done(r, cb, cbdata)
}

/// Reports completion to a progress callback when the operation succeeded.
pub(crate) fn progress_done(r: c_int, cb: librbd_progress_fn_t, cbdata: *mut c_void) -> c_int {
    if r == 0 {
        if let Some(f) = cb {
            // SAFETY: the caller's progress callback and its data.
            unsafe { f(1, 1, cbdata) };
        }
    }
    r
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_rename(image: rbd_image_t, src: *const c_char, dst: *const c_char) -> c_int {
    guard("rbd_snap_rename", || {
        // SAFETY: handle and strings from the caller.
        let (i, s, d) = unsafe { (img(image)?, cstr(src)?, cstr(dst)?) };
        i.snap_rename(s, d)?;
        Ok(0)
    })
}

/// Fills `snaps` and a terminating entry with a NULL name; -ERANGE with `*max_snaps` set to
/// the needed count (including the terminator) if the array is too small.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_list(
    image: rbd_image_t,
    snaps: *mut rbd_snap_info_t,
    max_snaps: *mut c_int,
) -> c_int {
    guard("rbd_snap_list", || {
        // SAFETY: handle from the caller.
        let list = unsafe { img(image)? }.snap_list()?;
        // SAFETY: in/out count from the caller.
        let cap = unsafe { inp(max_snaps)? };
        let need = to_c_int(list.len() as u64 + 1)?;
        if cap < need {
            // SAFETY: as above.
            unsafe { out(max_snaps, need)? };
            return Err(Error::Range);
        }
        if snaps.is_null() {
            return Err(Error::InvalidArgument("NULL snapshot array"));
        }
        for (k, s) in list.iter().enumerate() {
            // SAFETY: snaps has cap >= need entries by contract.
            unsafe { snaps.add(k).write(rbd_snap_info_t { id: s.id, size: s.size, name: malloc_str(&s.name) }) };
        }
        // SAFETY: as above.
        unsafe { snaps.add(list.len()).write(rbd_snap_info_t { id: 0, size: 0, name: std::ptr::null() }) };
        to_c_int(list.len() as u64)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_list_end(snaps: *mut rbd_snap_info_t) {
    if snaps.is_null() {
        return;
    }
    let mut k = 0;
    loop {
        // SAFETY: an array we filled, terminated by a NULL name.
        let s = unsafe { &mut *snaps.add(k) };
        if s.name.is_null() {
            break;
        }
        // SAFETY: names we allocated.
        unsafe { free_str(s.name) };
        s.name = std::ptr::null();
        k += 1;
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_is_protected(
    image: rbd_image_t,
    snapname: *const c_char,
    is_protected: *mut c_int,
) -> c_int {
    guard("rbd_snap_is_protected", || {
        // SAFETY: handle and string from the caller.
        let (i, n) = unsafe { (img(image)?, cstr(snapname)?) };
        let p = i.snap_is_protected(n)?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(is_protected, p as c_int)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_exists(image: rbd_image_t, snapname: *const c_char, exists: *mut bool) -> c_int {
    guard("rbd_snap_exists", || {
        // SAFETY: handle and string from the caller.
        let (i, n) = unsafe { (img(image)?, cstr(snapname)?) };
        let e = i.snap_exists(n)?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(exists, e)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_limit(image: rbd_image_t, limit: *mut u64) -> c_int {
    guard("rbd_snap_get_limit", || {
        // SAFETY: handle and out-pointer from the caller.
        unsafe { out(limit, img(image)?.snap_get_limit()?)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_set_limit(image: rbd_image_t, limit: u64) -> c_int {
    guard("rbd_snap_set_limit", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.snap_set_limit(limit)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_set(image: rbd_image_t, snapname: *const c_char) -> c_int {
    guard("rbd_snap_set", || {
        // SAFETY: handle and string (NULL: head) from the caller.
        let (i, n) = unsafe { (img(image)?, opt_cstr(snapname)?) };
        i.snap_set(n)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_set_by_id(image: rbd_image_t, snap_id: u64) -> c_int {
    guard("rbd_snap_set_by_id", || {
        // SAFETY: handle from the caller.
        let i = unsafe { img(image)? };
        // CEPH_NOSNAP (-2) selects the head.
        i.snap_set_by_id(if snap_id == u64::MAX - 1 { None } else { Some(snap_id) })?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_name(
    image: rbd_image_t,
    snap_id: u64,
    snapname: *mut c_char,
    name_len: *mut size_t,
) -> c_int {
    guard("rbd_snap_get_name", || {
        // SAFETY: handle from the caller.
        let n = unsafe { img(image)? }.snap_name(snap_id)?;
        // SAFETY: in/out length from the caller.
        let cap = unsafe { inp(name_len)? };
        // SAFETY: as above.
        unsafe { out(name_len, n.len() + 1)? };
        // SAFETY: buffer valid for cap bytes.
        unsafe { put_str(snapname, cap, &n)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_id(image: rbd_image_t, snapname: *const c_char, snap_id: *mut u64) -> c_int {
    guard("rbd_snap_get_id", || {
        // SAFETY: handle and string from the caller.
        let (i, n) = unsafe { (img(image)?, cstr(snapname)?) };
        // SAFETY: out-pointer from the caller.
        unsafe { out(snap_id, i.snap_id(n)?)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_timestamp(image: rbd_image_t, snap_id: u64, timestamp: *mut timespec) -> c_int {
    guard("rbd_snap_get_timestamp", || {
        // SAFETY: handle from the caller.
        let t = unsafe { img(image)? }.snap_timestamp(snap_id)?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(timestamp, ts(t))? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_namespace_type(
    image: rbd_image_t,
    snap_id: u64,
    namespace_type: *mut c_int,
) -> c_int {
    guard("rbd_snap_get_namespace_type", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.snap_name(snap_id)?;
        // SAFETY: out-pointer from the caller; every snapshot is a user snapshot.
        unsafe { out(namespace_type, 0)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_resize(image: rbd_image_t, size: u64) -> c_int {
    guard("rbd_resize", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.resize(size)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_resize2(
    image: rbd_image_t,
    size: u64,
    allow_shrink: bool,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    let r = guard("rbd_resize2", || {
        // SAFETY: handle from the caller.
        let i = unsafe { img(image)? };
        if !allow_shrink && size < i.size()? {
            return Err(Error::InvalidArgument("shrinking not allowed"));
        }
        i.resize(size)?;
        Ok(0)
    });
    progress_done(r, cb, cbdata)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_resize_with_progress(
    image: rbd_image_t,
    size: u64,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    // SAFETY: forwarded.
    let r = unsafe { rbd_resize(image, size) };
    progress_done(r, cb, cbdata)
}
