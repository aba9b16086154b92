//! diff_iterate, image-meta, advisory and managed locks, watchers, trash, namespaces,
//! encryption (not supported yet).

use super::image::{img, io};
use super::snapshot::progress_done;
use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, c_void, size_t, ssize_t};
use rbdshim_core::lock::LockMode;
use rbdshim_core::{manage, Error};

unsafe fn diff(
    image: rbd_image_t,
    fromsnapname: *const c_char,
    ofs: u64,
    len: u64,
    include_parent: bool,
    whole_object: bool,
    cb: rbd_diff_cb_t,
    arg: *mut c_void,
) -> Result<c_int, Error> {
    // SAFETY: handle and string from the caller.
    let (i, from) = unsafe { (img(image)?, opt_cstr(fromsnapname)?) };
    let f = cb.ok_or(Error::InvalidArgument("NULL callback"))?;
    let r = i.diff_iterate(from, ofs, len, include_parent, whole_object, |o, l, e| {
        // SAFETY: the caller's callback and argument.
        unsafe { f(o, l as size_t, e as c_int, arg) }
    })?;
    Ok(r)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_diff_iterate(
    image: rbd_image_t,
    fromsnapname: *const c_char,
    ofs: u64,
    len: u64,
    cb: rbd_diff_cb_t,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: arguments from the caller.
    guard("rbd_diff_iterate", || unsafe { diff(image, fromsnapname, ofs, len, true, false, cb, arg) })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_diff_iterate2(
    image: rbd_image_t,
    fromsnapname: *const c_char,
    ofs: u64,
    len: u64,
    include_parent: u8,
    whole_object: u8,
    cb: rbd_diff_cb_t,
    arg: *mut c_void,
) -> c_int {
    guard("rbd_diff_iterate2", || {
        // SAFETY: arguments from the caller.
        unsafe { diff(image, fromsnapname, ofs, len, include_parent != 0, whole_object != 0, cb, arg) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_metadata_get(
    image: rbd_image_t,
    key: *const c_char,
    value: *mut c_char,
    val_len: *mut size_t,
) -> c_int {
    guard("rbd_metadata_get", || {
        // SAFETY: handle and string from the caller.
        let (i, k) = unsafe { (img(image)?, cstr(key)?) };
        let v = i.metadata_get(k)?;
        // SAFETY: in/out length from the caller.
        let cap = unsafe { inp(val_len)? };
        // SAFETY: as above.
        unsafe { out(val_len, v.len() + 1)? };
        // SAFETY: buffer valid for cap bytes.
        unsafe { put_str(value, cap, &v)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_metadata_set(image: rbd_image_t, key: *const c_char, value: *const c_char) -> c_int {
    guard("rbd_metadata_set", || {
        // SAFETY: handle and strings from the caller.
        let (i, k, v) = unsafe { (img(image)?, cstr(key)?, cstr(value)?) };
        i.metadata_set(k, v)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_metadata_remove(image: rbd_image_t, key: *const c_char) -> c_int {
    guard("rbd_metadata_remove", || {
        // SAFETY: handle and string from the caller.
        let (i, k) = unsafe { (img(image)?, cstr(key)?) };
        i.metadata_remove(k)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_metadata_list(
    image: rbd_image_t,
    start: *const c_char,
    max: u64,
    keys: *mut c_char,
    key_len: *mut size_t,
    values: *mut c_char,
    vals_len: *mut size_t,
) -> c_int {
    guard("rbd_metadata_list", || {
        // SAFETY: handle and string from the caller.
        let (i, start) = unsafe { (img(image)?, opt_cstr(start)?.unwrap_or("")) };
        let list = i.metadata_list(start, max as usize)?;
        let ks: Vec<String> = list.iter().map(|(k, _)| k.clone()).collect();
        let vs: Vec<String> = list.iter().map(|(_, v)| v.clone()).collect();
        // SAFETY: buffers from the caller.
        let r1 = unsafe { put_str_list(keys, key_len, &ks) };
        // SAFETY: as above.
        let r2 = unsafe { put_str_list(values, vals_len, &vs) };
        r1?;
        r2?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_lock_exclusive(image: rbd_image_t, cookie: *const c_char) -> c_int {
    guard("rbd_lock_exclusive", || {
        // SAFETY: handle and string from the caller.
        let (i, c) = unsafe { (img(image)?, cstr(cookie)?) };
        i.advisory_lock(LockMode::Exclusive, c, "")?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_lock_shared(image: rbd_image_t, cookie: *const c_char, tag: *const c_char) -> c_int {
    guard("rbd_lock_shared", || {
        // SAFETY: handle and strings from the caller.
        let (i, c, t) = unsafe { (img(image)?, cstr(cookie)?, cstr(tag)?) };
        i.advisory_lock(LockMode::Shared, c, t)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_unlock(image: rbd_image_t, cookie: *const c_char) -> c_int {
    guard("rbd_unlock", || {
        // SAFETY: handle and string from the caller.
        let (i, c) = unsafe { (img(image)?, cstr(cookie)?) };
        i.advisory_unlock(c)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_break_lock(image: rbd_image_t, client: *const c_char, cookie: *const c_char) -> c_int {
    guard("rbd_break_lock", || {
        // SAFETY: handle and strings from the caller.
        let (i, cl, c) = unsafe { (img(image)?, cstr(client)?, cstr(cookie)?) };
        i.break_lock(cl, c)?;
        Ok(0)
    })
}

/// Returns the number of lockers; each list is NUL-separated (-ERANGE with lengths set if a
/// buffer is too small).
#[no_mangle]
pub unsafe extern "C" fn rbd_list_lockers(
    image: rbd_image_t,
    exclusive: *mut c_int,
    tag: *mut c_char,
    tag_len: *mut size_t,
    clients: *mut c_char,
    clients_len: *mut size_t,
    cookies: *mut c_char,
    cookies_len: *mut size_t,
    addrs: *mut c_char,
    addrs_len: *mut size_t,
) -> ssize_t {
    guard("rbd_list_lockers", || {
        // SAFETY: handle from the caller.
        let (excl, t, lockers) = unsafe { img(image)? }.list_lockers()?;
        let list = lockers.iter().map(|l| (l.client.as_str(), l.cookie.as_str(), l.addr.as_str()));
        // SAFETY: outputs from the caller.
        unsafe {
            put_lockers(
                exclusive,
                tag,
                tag_len,
                clients,
                clients_len,
                cookies,
                cookies_len,
                addrs,
                addrs_len,
                (excl, t),
                list,
            )
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_lock_acquire(image: rbd_image_t, lock_mode: c_int) -> c_int {
    guard("rbd_lock_acquire", || {
        // SAFETY: handle from the caller.
        let i = unsafe { img(image)? };
        let mode = match lock_mode {
            RBD_LOCK_MODE_EXCLUSIVE => LockMode::Exclusive,
            RBD_LOCK_MODE_SHARED => LockMode::Shared,
            _ => return Err(Error::InvalidArgument("unknown lock mode")),
        };
        i.lock_acquire(mode)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_lock_release(image: rbd_image_t) -> c_int {
    guard("rbd_lock_release", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.lock_release()?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_lock_get_owners(
    image: rbd_image_t,
    lock_mode: *mut c_int,
    lock_owners: *mut *mut c_char,
    max_lock_owners: *mut size_t,
) -> c_int {
    guard("rbd_lock_get_owners", || {
        // SAFETY: handle from the caller.
        let owners = unsafe { img(image)? }.lock_owners()?;
        // SAFETY: in/out count from the caller.
        let cap = unsafe { inp(max_lock_owners)? };
        // SAFETY: as above.
        unsafe { out(max_lock_owners, owners.len())? };
        if owners.is_empty() {
            return Err(Error::NotFound);
        }
        if cap < owners.len() || lock_owners.is_null() {
            return Err(Error::Range);
        }
        // SAFETY: outputs from the caller, cap entries.
        unsafe {
            if !lock_mode.is_null() {
                *lock_mode = RBD_LOCK_MODE_EXCLUSIVE;
            }
            for (k, o) in owners.iter().enumerate() {
                *lock_owners.add(k) = malloc_str(&o.owner);
            }
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_lock_get_owners_cleanup(lock_owners: *mut *mut c_char, lock_owner_count: size_t) {
    if lock_owners.is_null() {
        return;
    }
    for k in 0..lock_owner_count {
        // SAFETY: strings we allocated.
        unsafe { free_str(*lock_owners.add(k)) };
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_watchers_list(
    image: rbd_image_t,
    watchers: *mut rbd_image_watcher_t,
    max_watchers: *mut size_t,
) -> c_int {
    guard("rbd_watchers_list", || {
        // SAFETY: handle from the caller.
        let list = unsafe { img(image)? }.watchers()?;
        // SAFETY: output array and count from the caller.
        unsafe {
            put_array(&list, watchers, max_watchers, |w| rbd_image_watcher_t {
                addr: malloc_str(&w.addr),
                id: w.id as i64,
                cookie: w.cookie,
            })?
        };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_watchers_list_cleanup(watchers: *mut rbd_image_watcher_t, num_watchers: size_t) {
    if watchers.is_null() {
        return;
    }
    for k in 0..num_watchers {
        // SAFETY: entries we filled in.
        unsafe { free_str((*watchers.add(k)).addr) };
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_trash_move(io: rados_ioctx_t, name: *const c_char, delay: u64) -> c_int {
    guard("rbd_trash_move", || {
        // SAFETY: handle and string from the caller.
        let (io, n) = unsafe { (self::io(io)?, cstr(name)?) };
        manage::trash_move(&io, n, delay)?;
        Ok(0)
    })
}

fn trash_info(e: &manage::TrashEntry) -> rbd_trash_image_info_t {
    rbd_trash_image_info_t {
        id: malloc_str(&e.id),
        name: malloc_str(&e.name),
        source: e.source as c_int,
        deletion_time: e.deletion_time as libc::time_t,
        deferment_end_time: e.deferment_end_time as libc::time_t,
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_trash_get(
    io: rados_ioctx_t,
    id: *const c_char,
    info: *mut rbd_trash_image_info_t,
) -> c_int {
    guard("rbd_trash_get", || {
        // SAFETY: handle and string from the caller.
        let (io, id) = unsafe { (self::io(io)?, cstr(id)?) };
        let e = manage::trash_get(&io, id)?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(info, trash_info(&e))? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_trash_get_cleanup(info: *mut rbd_trash_image_info_t) {
    if !info.is_null() {
        // SAFETY: an entry we filled in.
        unsafe {
            free_str((*info).id);
            free_str((*info).name);
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_trash_list(
    io: rados_ioctx_t,
    trash_entries: *mut rbd_trash_image_info_t,
    num_entries: *mut size_t,
) -> c_int {
    guard("rbd_trash_list", || {
        // SAFETY: handle from the caller.
        let list = manage::trash_list(&unsafe { self::io(io)? })?;
        // SAFETY: output array and count from the caller.
        unsafe { put_array(&list, trash_entries, num_entries, trash_info)? };
        to_c_int(list.len() as u64)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_trash_list_cleanup(trash_entries: *mut rbd_trash_image_info_t, num_entries: size_t) {
    if trash_entries.is_null() {
        return;
    }
    for k in 0..num_entries {
        // SAFETY: entries we filled in.
        unsafe { rbd_trash_get_cleanup(trash_entries.add(k)) };
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_trash_remove(io: rados_ioctx_t, id: *const c_char, force: bool) -> c_int {
    guard("rbd_trash_remove", || {
        // SAFETY: handle and string from the caller.
        let (io, id) = unsafe { (self::io(io)?, cstr(id)?) };
        manage::trash_remove(&io, id, force)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_trash_remove_with_progress(
    io: rados_ioctx_t,
    id: *const c_char,
    force: bool,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    // SAFETY: forwarded.
    let r = unsafe { rbd_trash_remove(io, id, force) };
    super::snapshot::progress_done(r, cb, cbdata)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_trash_purge(io: rados_ioctx_t, expire_ts: libc::time_t, _threshold: f32) -> c_int {
    guard("rbd_trash_purge", || {
        // SAFETY: handle from the caller.
        manage::trash_purge(&unsafe { self::io(io)? }, expire_ts.max(0) as u64)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_trash_restore(io: rados_ioctx_t, id: *const c_char, name: *const c_char) -> c_int {
    guard("rbd_trash_restore", || {
        // SAFETY: handle and strings from the caller.
        let (io, id, n) = unsafe { (self::io(io)?, cstr(id)?, opt_cstr(name)?) };
        manage::trash_restore(&io, id, n.unwrap_or(""))?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_namespace_create(io: rados_ioctx_t, namespace_name: *const c_char) -> c_int {
    guard("rbd_namespace_create", || {
        // SAFETY: handle and string from the caller.
        let (io, n) = unsafe { (self::io(io)?, cstr(namespace_name)?) };
        manage::namespace_create(&io, n)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_namespace_remove(io: rados_ioctx_t, namespace_name: *const c_char) -> c_int {
    guard("rbd_namespace_remove", || {
        // SAFETY: handle and string from the caller.
        let (io, n) = unsafe { (self::io(io)?, cstr(namespace_name)?) };
        manage::namespace_remove(&io, n)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_namespace_list(
    io: rados_ioctx_t,
    namespace_names: *mut c_char,
    size: *mut size_t,
) -> c_int {
    guard("rbd_namespace_list", || {
        // SAFETY: handle from the caller.
        let list = manage::namespace_list(&unsafe { self::io(io)? })?;
        // SAFETY: buffer and size from the caller.
        let n = unsafe { put_str_list(namespace_names, size, &list)? };
        to_c_int(n as u64)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_namespace_exists(
    io: rados_ioctx_t,
    namespace_name: *const c_char,
    exists: *mut bool,
) -> c_int {
    guard("rbd_namespace_exists", || {
        // SAFETY: handle and string from the caller.
        let (io, n) = unsafe { (self::io(io)?, cstr(namespace_name)?) };
        let e = manage::namespace_exists(&io, n)?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(exists, e)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_encryption_format(
    image: rbd_image_t,
    _format: c_int,
    _opts: *mut c_void,
    _opts_size: size_t,
) -> c_int {
    guard("rbd_encryption_format", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? };
        Err(Error::NotSupported)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_encryption_load(
    image: rbd_image_t,
    _format: c_int,
    _opts: *mut c_void,
    _opts_size: size_t,
) -> c_int {
    guard("rbd_encryption_load", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? };
        Err(Error::NotSupported)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_lock_break(
    image: rbd_image_t,
    lock_mode: rbd_lock_mode_t,
    lock_owner: *const c_char,
) -> c_int {
    guard("rbd_lock_break", || {
        // SAFETY: handle and string from the caller.
        let (i, owner) = unsafe { (img(image)?, cstr(lock_owner)?) };
        let mode = match lock_mode {
            RBD_LOCK_MODE_EXCLUSIVE => LockMode::Exclusive,
            RBD_LOCK_MODE_SHARED => LockMode::Shared,
            _ => return Err(Error::InvalidArgument("unknown lock mode")),
        };
        i.lock_break(mode, owner)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_rebuild_object_map(
    image: rbd_image_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    let r = guard("rbd_rebuild_object_map", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.rebuild_object_map()?;
        Ok(0)
    });
    progress_done(r, cb, cbdata)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_sparsify(image: rbd_image_t, sparse_size: size_t) -> c_int {
    guard("rbd_sparsify", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.sparsify(sparse_size as u64)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_sparsify_with_progress(
    image: rbd_image_t,
    sparse_size: size_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    // SAFETY: forwarded.
    let r = unsafe { rbd_sparsify(image, sparse_size) };
    progress_done(r, cb, cbdata)
}
