//! Clones, parents, children and flatten.

use super::image::{img, io};
use super::options::create_options;
use super::snapshot::progress_done;
use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, c_void, size_t, ssize_t};
use rbdshim_core::clone::{clone, ChildInfo};
use rbdshim_core::{CreateOptions, Error};

unsafe fn do_clone(
    p_ioctx: rados_ioctx_t,
    p_name: *const c_char,
    p_snap: *const c_char,
    c_ioctx: rados_ioctx_t,
    c_name: *const c_char,
    o: CreateOptions,
    c_order: *mut c_int,
) -> Result<c_int, Error> {
    // SAFETY: handles and strings from the caller.
    let (pio, pn, ps, cio, cn) = unsafe { (io(p_ioctx)?, cstr(p_name)?, cstr(p_snap)?, io(c_ioctx)?, cstr(c_name)?) };
    let mut o = o;
    if !c_order.is_null() {
        // SAFETY: in/out order from the caller.
        let want = unsafe { *c_order };
        if !(0..=255).contains(&want) {
            return Err(Error::Domain);
        }
        o.order = Some(want as u8);
    }
    clone(&pio, pn, ps, &cio, cn, &o)?;
    if !c_order.is_null() {
        let order = rbdshim_core::Image::open(&cio, cn, None, true)?.stat()?.order;
        // SAFETY: as above.
        unsafe { *c_order = order as c_int };
    }
    Ok(0)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_clone(
    p_ioctx: rados_ioctx_t,
    p_name: *const c_char,
    p_snapname: *const c_char,
    c_ioctx: rados_ioctx_t,
    c_name: *const c_char,
    features: u64,
    c_order: *mut c_int,
) -> c_int {
    let o = CreateOptions { features: Some(features), ..Default::default() };
    // SAFETY: arguments from the caller.
    guard("rbd_clone", || unsafe { do_clone(p_ioctx, p_name, p_snapname, c_ioctx, c_name, o, c_order) })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_clone2(
    p_ioctx: rados_ioctx_t,
    p_name: *const c_char,
    p_snapname: *const c_char,
    c_ioctx: rados_ioctx_t,
    c_name: *const c_char,
    features: u64,
    c_order: *mut c_int,
    stripe_unit: u64,
    stripe_count: c_int,
) -> c_int {
    let o = CreateOptions {
        features: Some(features),
        stripe_unit: Some(stripe_unit),
        stripe_count: Some(stripe_count.max(0) as u64),
        ..Default::default()
    };
    // SAFETY: arguments from the caller.
    guard("rbd_clone2", || unsafe { do_clone(p_ioctx, p_name, p_snapname, c_ioctx, c_name, o, c_order) })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_clone3(
    p_ioctx: rados_ioctx_t,
    p_name: *const c_char,
    p_snapname: *const c_char,
    c_ioctx: rados_ioctx_t,
    c_name: *const c_char,
    c_opts: rbd_image_options_t,
) -> c_int {
    guard("rbd_clone3", || {
        // SAFETY: option handle from the caller.
        let o = unsafe { create_options(c_opts)? };
        // SAFETY: arguments from the caller.
        unsafe { do_clone(p_ioctx, p_name, p_snapname, c_ioctx, c_name, o, std::ptr::null_mut()) }
    })
}

/// Copies an optional parent string into a caller buffer (NULL buffer with length 0 is
/// allowed only if there is nothing to report, as librbd checks sizes first).
unsafe fn put_opt(dst: *mut c_char, cap: size_t, s: &str) -> Result<(), Error> {
    if dst.is_null() && cap == 0 {
        return Err(Error::Range);
    }
    // SAFETY: dst valid for cap bytes.
    unsafe { put_str(dst, cap, s)? };
    Ok(())
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_parent_info(
    image: rbd_image_t,
    parent_poolname: *mut c_char,
    ppoolnamelen: size_t,
    parent_name: *mut c_char,
    pnamelen: size_t,
    parent_snapname: *mut c_char,
    psnapnamelen: size_t,
) -> c_int {
    guard("rbd_get_parent_info", || {
        // SAFETY: handle from the caller.
        let p = unsafe { img(image)? }.parent_info()?;
        // SAFETY: buffers from the caller.
        unsafe {
            put_opt(parent_poolname, ppoolnamelen, &p.pool_name)?;
            put_opt(parent_name, pnamelen, &p.image_name)?;
            put_opt(parent_snapname, psnapnamelen, &p.snap_name)?;
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_parent_info2(
    image: rbd_image_t,
    parent_poolname: *mut c_char,
    ppoolnamelen: size_t,
    parent_name: *mut c_char,
    pnamelen: size_t,
    parent_id: *mut c_char,
    pidlen: size_t,
    parent_snapname: *mut c_char,
    psnapnamelen: size_t,
) -> c_int {
    guard("rbd_get_parent_info2", || {
        // SAFETY: handle from the caller.
        let p = unsafe { img(image)? }.parent_info()?;
        // SAFETY: buffers from the caller.
        unsafe {
            put_opt(parent_poolname, ppoolnamelen, &p.pool_name)?;
            put_opt(parent_name, pnamelen, &p.image_name)?;
            put_opt(parent_id, pidlen, &p.image_id)?;
            put_opt(parent_snapname, psnapnamelen, &p.snap_name)?;
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_parent(
    image: rbd_image_t,
    parent_image: *mut rbd_linked_image_spec_t,
    parent_snap: *mut rbd_snap_spec_t,
) -> c_int {
    guard("rbd_get_parent", || {
        // SAFETY: handle from the caller.
        let p = unsafe { img(image)? }.parent_info()?;
        if parent_image.is_null() || parent_snap.is_null() {
            return Err(Error::InvalidArgument("NULL output"));
        }
        // SAFETY: checked non-NULL out-pointers.
        unsafe {
            parent_image.write(rbd_linked_image_spec_t {
                pool_id: p.pool_id,
                pool_name: malloc_str(&p.pool_name),
                pool_namespace: malloc_str(&p.namespace),
                image_id: malloc_str(&p.image_id),
                image_name: malloc_str(&p.image_name),
                trash: p.trash,
            });
            parent_snap.write(rbd_snap_spec_t { id: p.snap_id, namespace_type: 0, name: malloc_str(&p.snap_name) });
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_get_parent_id(image: rbd_image_t, parent_id: *mut c_char, parent_id_len: size_t) -> c_int {
    guard("rbd_get_parent_id", || {
        // SAFETY: handle from the caller.
        let p = unsafe { img(image)? }.parent_info()?;
        // SAFETY: buffer from the caller.
        unsafe { put_str(parent_id, parent_id_len, &p.image_id)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_linked_image_spec_cleanup(image: *mut rbd_linked_image_spec_t) {
    if image.is_null() {
        return;
    }
    // SAFETY: a spec we filled in.
    unsafe {
        let i = &mut *image;
        free_str(i.pool_name);
        free_str(i.pool_namespace);
        free_str(i.image_id);
        free_str(i.image_name);
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_linked_image_spec_list_cleanup(images: *mut rbd_linked_image_spec_t, num_images: size_t) {
    if images.is_null() {
        return;
    }
    for k in 0..num_images {
        // SAFETY: entries we filled in.
        unsafe { rbd_linked_image_spec_cleanup(images.add(k)) };
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_snap_spec_cleanup(snap: *mut rbd_snap_spec_t) {
    if !snap.is_null() {
        // SAFETY: a spec we filled in.
        unsafe { free_str((*snap).name) };
    }
}

unsafe fn put_children(
    list: &[ChildInfo],
    images: *mut rbd_linked_image_spec_t,
    max_images: *mut size_t,
) -> Result<c_int, Error> {
    // SAFETY: output array and count from the caller.
    unsafe {
        put_array(list, images, max_images, |c| rbd_linked_image_spec_t {
            pool_id: c.pool_id,
            pool_name: malloc_str(&c.pool_name),
            pool_namespace: malloc_str(&c.namespace),
            image_id: malloc_str(&c.image_id),
            image_name: malloc_str(&c.image_name),
            trash: c.trash,
        })?
    };
    Ok(0)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_list_children3(
    image: rbd_image_t,
    images: *mut rbd_linked_image_spec_t,
    max_images: *mut size_t,
) -> c_int {
    guard("rbd_list_children3", || {
        // SAFETY: handle from the caller.
        let list = unsafe { img(image)? }.list_children()?;
        // SAFETY: output from the caller.
        unsafe { put_children(&list, images, max_images) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_list_descendants(
    image: rbd_image_t,
    images: *mut rbd_linked_image_spec_t,
    max_images: *mut size_t,
) -> c_int {
    guard("rbd_list_descendants", || {
        // SAFETY: handle from the caller.
        let i = unsafe { img(image)? };
        let mut all = i.list_children()?;
        let mut k = 0;
        while k < all.len() {
            let c = all[k].clone();
            let cio = i.ioctx().cluster().ioctx_by_id(c.pool_id)?;
            cio.set_namespace(Some(&c.namespace));
            if let Ok(ci) = rbdshim_core::Image::open_by_id(&cio, &c.image_id, None, true) {
                all.extend(ci.list_children()?);
            }
            k += 1;
        }
        // SAFETY: output from the caller.
        unsafe { put_children(&all, images, max_images) }
    })
}

/// Deprecated list_children: pools and images as NUL-separated lists; returns the count.
#[no_mangle]
pub unsafe extern "C" fn rbd_list_children(
    image: rbd_image_t,
    pools: *mut c_char,
    pools_len: *mut size_t,
    images: *mut c_char,
    images_len: *mut size_t,
) -> ssize_t {
    guard("rbd_list_children", || {
        // SAFETY: handle from the caller.
        let list = unsafe { img(image)? }.list_children()?;
        let p: Vec<String> = list.iter().map(|c| c.pool_name.clone()).collect();
        let n: Vec<String> = list.iter().map(|c| c.image_name.clone()).collect();
        // SAFETY: buffers from the caller.
        let r1 = unsafe { put_str_list(pools, pools_len, &p) };
        // SAFETY: as above.
        let r2 = unsafe { put_str_list(images, images_len, &n) };
        r1?;
        r2?;
        Ok(list.len() as ssize_t)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_flatten(image: rbd_image_t) -> c_int {
    guard("rbd_flatten", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.flatten()?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_flatten_with_progress(
    image: rbd_image_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    // SAFETY: forwarded.
    let r = unsafe { rbd_flatten(image) };
    progress_done(r, cb, cbdata)
}
