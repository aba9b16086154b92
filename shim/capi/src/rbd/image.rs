//! rbd_image_t: creating, opening, listing, removing images and reading their properties.

use super::options::create_options;
use crate::ffi::*;
use crate::rados::RadosIoctx;
use crate::types::*;
use libc::{c_char, c_int, size_t, timespec};
use parking_lot::Mutex;
use rbdshim_core::header::Timestamp;
use rbdshim_core::{features, manage, CreateOptions, Error, Image, IoCtx};
use std::sync::Arc;

/// Completed requests waiting for rbd_poll_io_events, and where to signal them.
#[derive(Default)]
pub struct Events {
    pub fd: Option<(c_int, c_int)>,
    pub done: Vec<usize>,
}

pub struct RbdImage {
    pub image: Arc<Image>,
    pub events: Arc<Mutex<Events>>,
}

pub(crate) unsafe fn image(p: rbd_image_t) -> Result<Arc<RbdImage>, Error> {
    // SAFETY: forwarded handle contract.
    unsafe { Handle::<RbdImage>::get(p, TAG_IMAGE) }
}

pub(crate) unsafe fn img(p: rbd_image_t) -> Result<Arc<Image>, Error> {
    // SAFETY: forwarded handle contract.
    Ok(unsafe { image(p)? }.image.clone())
}

pub(crate) unsafe fn io(p: rados_ioctx_t) -> Result<IoCtx, Error> {
    // SAFETY: forwarded handle contract.
    Ok(unsafe { Handle::<RadosIoctx>::get(p, TAG_IOCTX)? }.io.clone())
}

fn new_image(i: Image) -> rbd_image_t {
    Handle::into_raw(TAG_IMAGE, RbdImage { image: Arc::new(i), events: Arc::default() })
}

pub(crate) fn ts(t: Timestamp) -> timespec {
    timespec { tv_sec: t.sec as libc::time_t, tv_nsec: t.nsec as libc::c_long }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_version(major: *mut c_int, minor: *mut c_int, extra: *mut c_int) {
    // SAFETY: each pointer is NULL or valid.
    unsafe {
        out_opt(major, 1);
        out_opt(minor, 16);
        out_opt(extra, 0);
    }
}

unsafe fn do_create(
    ioctx: rados_ioctx_t,
    name: *const c_char,
    size: u64,
    order: *mut c_int,
    o: CreateOptions,
) -> Result<c_int, Error> {
    // SAFETY: handle and string from the caller.
    let (io, name) = unsafe { (io(ioctx)?, cstr(name)?) };
    let mut o = o;
    // SAFETY: in/out order pointer from the caller.
    let want = unsafe { inp(order)? };
    if !(0..=255).contains(&want) {
        return Err(Error::Domain);
    }
    o.order = Some(want as u8);
    let id = manage::create(&io, name, size, &o)?;
    let _ = id;
    let img = Image::open(&io, name, None, true)?;
    // SAFETY: as above.
    unsafe { out(order, img.stat()?.order as c_int)? };
    Ok(0)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_create(io: rados_ioctx_t, name: *const c_char, size: u64, order: *mut c_int) -> c_int {
    // SAFETY: arguments from the caller.
    guard("rbd_create", || unsafe { do_create(io, name, size, order, CreateOptions::default()) })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_create2(
    io: rados_ioctx_t,
    name: *const c_char,
    size: u64,
    features: u64,
    order: *mut c_int,
) -> c_int {
    let o = CreateOptions { features: Some(features), ..Default::default() };
    // SAFETY: arguments from the caller.
    guard("rbd_create2", || unsafe { do_create(io, name, size, order, o) })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_create3(
    io: rados_ioctx_t,
    name: *const c_char,
    size: u64,
    features: u64,
    order: *mut c_int,
    stripe_unit: u64,
    stripe_count: u64,
) -> c_int {
    let o = CreateOptions {
        features: Some(features),
        stripe_unit: Some(stripe_unit),
        stripe_count: Some(stripe_count),
        ..Default::default()
    };
    // SAFETY: arguments from the caller.
    guard("rbd_create3", || unsafe { do_create(io, name, size, order, o) })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_create4(
    io: rados_ioctx_t,
    name: *const c_char,
    size: u64,
    opts: rbd_image_options_t,
) -> c_int {
    guard("rbd_create4", || {
        // SAFETY: handle from the caller (NULL means defaults).
        let o = unsafe { create_options(opts)? };
        let mut order: c_int = o.order.unwrap_or(0) as c_int;
        // SAFETY: arguments from the caller; order is ours.
        unsafe { do_create(io, name, size, &mut order, o) }
    })
}

unsafe fn open(
    ioctx: rados_ioctx_t,
    name: *const c_char,
    image: *mut rbd_image_t,
    snap: *const c_char,
    read_only: bool,
    by_id: bool,
) -> Result<c_int, Error> {
    // SAFETY: handle and strings from the caller.
    let (io, name, snap) = unsafe { (io(ioctx)?, cstr(name)?, opt_cstr(snap)?) };
    if image.is_null() {
        return Err(Error::InvalidArgument("NULL image pointer"));
    }
    let i =
        if by_id { Image::open_by_id(&io, name, snap, read_only)? } else { Image::open(&io, name, snap, read_only)? };
    // SAFETY: checked non-NULL above.
    unsafe { out(image, new_image(i))? };
    Ok(0)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_open(
    io: rados_ioctx_t,
    name: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
) -> c_int {
    // SAFETY: arguments from the caller.
    guard("rbd_open", || unsafe { open(io, name, image, snap_name, false, false) })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_open_by_id(
    io: rados_ioctx_t,
    id: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
) -> c_int {
    // SAFETY: arguments from the caller.
    guard("rbd_open_by_id", || unsafe { open(io, id, image, snap_name, false, true) })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_open_read_only(
    io: rados_ioctx_t,
    name: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
) -> c_int {
    // SAFETY: arguments from the caller.
    guard("rbd_open_read_only", || unsafe { open(io, name, image, snap_name, true, false) })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_open_by_id_read_only(
    io: rados_ioctx_t,
    id: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
) -> c_int {
    // SAFETY: arguments from the caller.
    guard("rbd_open_by_id_read_only", || unsafe { open(io, id, image, snap_name, true, true) })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_close(image: rbd_image_t) -> c_int {
    guard("rbd_close", || {
        // SAFETY: handle from the caller; stays allocated once closed.
        let h = unsafe { Handle::<RbdImage>::close(image, TAG_IMAGE)? };
        h.image.close()?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_stat(image: rbd_image_t, info: *mut rbd_image_info_t, infosize: size_t) -> c_int {
    guard("rbd_stat", || {
        // SAFETY: handle from the caller.
        let st = unsafe { img(image)? }.stat()?;
        if infosize < std::mem::size_of::<rbd_image_info_t>() {
            return Err(Error::Range);
        }
        let mut v = rbd_image_info_t {
            size: st.size,
            obj_size: st.obj_size,
            num_objs: st.num_objs,
            order: st.order as c_int,
            block_name_prefix: [0; RBD_MAX_BLOCK_NAME_SIZE],
            parent_pool: st.parent_pool,
            parent_name: [0; RBD_MAX_IMAGE_NAME_SIZE],
        };
        for (d, s) in v.block_name_prefix.iter_mut().zip(st.block_name_prefix.bytes().take(RBD_MAX_BLOCK_NAME_SIZE - 1))
        {
            *d = s as c_char;
        }
        for (d, s) in v.parent_name.iter_mut().zip(st.parent_name.bytes().take(RBD_MAX_IMAGE_NAME_SIZE - 1)) {
            *d = s as c_char;
        }
        // SAFETY: out-pointer from the caller.
        unsafe { out(info, v)? };
        Ok(0)
    })
}

/// Writes a property into an out-pointer.
unsafe fn get<T>(
    name: &'static str,
    image: rbd_image_t,
    v: *mut T,
    f: impl FnOnce(&Image) -> Result<T, Error>,
) -> c_int {
    guard(name, || {
        // SAFETY: handle from the caller.
        let i = unsafe { img(image)? };
        let value = f(&i)?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(v, value)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_size(image: rbd_image_t, v: *mut u64) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_get_size", image, v, |i| Ok(i.size()?)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_features(image: rbd_image_t, v: *mut u64) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_get_features", image, v, |i| Ok(i.features()?)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_op_features(image: rbd_image_t, v: *mut u64) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_get_op_features", image, v, |i| Ok(i.op_features()?)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_flags(image: rbd_image_t, v: *mut u64) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_get_flags", image, v, |i| Ok(i.flags()?)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_stripe_unit(image: rbd_image_t, v: *mut u64) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_get_stripe_unit", image, v, |i| Ok(i.stripe_unit()?)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_stripe_count(image: rbd_image_t, v: *mut u64) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_get_stripe_count", image, v, |i| Ok(i.stripe_count()?)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_old_format(image: rbd_image_t, v: *mut u8) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe {
        get("rbd_get_old_format", image, v, |i| {
            Ok({
                i.size()?;
                0
            })
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_overlap(image: rbd_image_t, v: *mut u64) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_get_overlap", image, v, |i| Ok(i.overlap()?)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_create_timestamp(image: rbd_image_t, v: *mut timespec) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_get_create_timestamp", image, v, |i| Ok(ts(i.create_timestamp()?))) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_modify_timestamp(image: rbd_image_t, v: *mut timespec) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_get_modify_timestamp", image, v, |i| Ok(ts(i.modify_timestamp()?))) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_access_timestamp(image: rbd_image_t, v: *mut timespec) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_get_access_timestamp", image, v, |i| Ok(ts(i.access_timestamp()?))) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_is_exclusive_lock_owner(image: rbd_image_t, v: *mut c_int) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { get("rbd_is_exclusive_lock_owner", image, v, |i| Ok(i.is_exclusive_lock_owner()? as c_int)) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_data_pool_id(image: rbd_image_t) -> i64 {
    guard("rbd_get_data_pool_id", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.data_pool_id()
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_id(image: rbd_image_t, id: *mut c_char, id_len: size_t) -> c_int {
    guard("rbd_get_id", || {
        // SAFETY: handle and buffer from the caller.
        let i = unsafe { img(image)? };
        // SAFETY: buffer valid for id_len bytes.
        unsafe { put_str(id, id_len, i.id())? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_name(image: rbd_image_t, name: *mut c_char, name_len: *mut size_t) -> c_int {
    guard("rbd_get_name", || {
        // SAFETY: handle from the caller.
        let n = unsafe { img(image)? }.name()?;
        // SAFETY: in/out length from the caller.
        let cap = unsafe { inp(name_len)? };
        // SAFETY: as above.
        unsafe { out(name_len, n.len() + 1)? };
        // SAFETY: buffer valid for cap bytes.
        unsafe { put_str(name, cap, &n)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_block_name_prefix(
    image: rbd_image_t,
    prefix: *mut c_char,
    prefix_len: size_t,
) -> c_int {
    guard("rbd_get_block_name_prefix", || {
        // SAFETY: handle from the caller.
        let st = unsafe { img(image)? }.stat()?;
        // SAFETY: buffer valid for prefix_len bytes.
        unsafe { put_str(prefix, prefix_len, &st.block_name_prefix)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_update_features(image: rbd_image_t, features: u64, enabled: u8) -> c_int {
    guard("rbd_update_features", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.update_features(features, enabled != 0)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_features_to_string(f: u64, str_features: *mut c_char, size: *mut size_t) -> c_int {
    guard("rbd_features_to_string", || {
        if f & !features::ALL != 0 {
            return Err(Error::InvalidArgument("unknown feature bits"));
        }
        let s = features::to_string(f);
        // SAFETY: in/out size from the caller.
        let cap = unsafe { inp(size)? };
        // SAFETY: as above.
        unsafe { out(size, s.len() + 1)? };
        // SAFETY: buffer valid for cap bytes.
        unsafe { put_str(str_features, cap, &s)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_features_from_string(str_features: *const c_char, f: *mut u64) -> c_int {
    guard("rbd_features_from_string", || {
        // SAFETY: string from the caller.
        let s = unsafe { cstr(str_features)? };
        let v = features::from_string(s).ok_or(Error::InvalidArgument("unknown feature name"))?;
        // SAFETY: out-pointer from the caller.
        unsafe { out(f, v)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_remove(io: rados_ioctx_t, name: *const c_char) -> c_int {
    guard("rbd_remove", || {
        // SAFETY: handle and string from the caller.
        let (io, name) = unsafe { (self::io(io)?, cstr(name)?) };
        manage::remove(&io, name)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_remove_with_progress(
    io: rados_ioctx_t,
    name: *const c_char,
    cb: librbd_progress_fn_t,
    cbdata: *mut libc::c_void,
) -> c_int {
    // SAFETY: arguments from the caller.
    let r = unsafe { rbd_remove(io, name) };
    if r == 0 {
        if let Some(f) = cb {
            // SAFETY: the caller's progress callback.
            unsafe { f(1, 1, cbdata) };
        }
    }
    r
}

#[no_mangle]
pub unsafe extern "C" fn rbd_rename(io: rados_ioctx_t, src: *const c_char, dst: *const c_char) -> c_int {
    guard("rbd_rename", || {
        // SAFETY: handle and strings from the caller.
        let (io, s, d) = unsafe { (self::io(io)?, cstr(src)?, cstr(dst)?) };
        manage::rename(&io, s, d)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_list(io: rados_ioctx_t, names: *mut c_char, size: *mut size_t) -> c_int {
    guard("rbd_list", || {
        // SAFETY: handle from the caller.
        let list = manage::list(&unsafe { self::io(io)? })?;
        // SAFETY: buffer and size from the caller.
        let n = unsafe { put_str_list(names, size, &list)? };
        to_c_int(n as u64)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_list2(io: rados_ioctx_t, images: *mut rbd_image_spec_t, max_images: *mut size_t) -> c_int {
    guard("rbd_list2", || {
        // SAFETY: handle from the caller.
        let list = manage::list2(&unsafe { self::io(io)? })?;
        // SAFETY: output array and count from the caller.
        unsafe {
            put_array(&list, images, max_images, |(id, name)| rbd_image_spec_t {
                id: malloc_str(id),
                name: malloc_str(name),
            })?
        };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_spec_cleanup(image: *mut rbd_image_spec_t) {
    if image.is_null() {
        return;
    }
    // SAFETY: a spec we filled in.
    unsafe {
        free_str((*image).id);
        free_str((*image).name);
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_spec_list_cleanup(images: *mut rbd_image_spec_t, num_images: size_t) {
    if images.is_null() {
        return;
    }
    for k in 0..num_images {
        // SAFETY: num_images entries we filled in.
        unsafe { rbd_image_spec_cleanup(images.add(k)) };
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_pool_init(io: rados_ioctx_t, _force: bool) -> c_int {
    guard("rbd_pool_init", || {
        // SAFETY: handle from the caller.
        let io = unsafe { self::io(io)? };
        // librbd enables the pool's rbd application through the monitor: mon caps to change
        // pools (-EACCES, as a refused monitor command), then osd caps on the pool.
        let rights = rbdshim_core::auth::caps::Rights::R.union(rbdshim_core::auth::caps::Rights::W);
        if !io.cluster().mon_allows("osd", rights, "osd pool application enable", &|_| None) {
            return Err(rbdshim_core::Error::msg(libc::EACCES, "access denied"));
        }
        io.checked_loc(rbdshim_core::auth::caps::Rights::IMAGE_WRITE)?;
        Ok(0)
    })
}
