//! rbd_image_options_t: the option bag of rbd_create4 / rbd_clone3.

use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, size_t};
use parking_lot::Mutex;
use rbdshim_core::{CreateOptions, Error};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Val {
    Str(String),
    U64(u64),
}

#[derive(Default)]
pub struct ImageOptions {
    vals: Mutex<BTreeMap<c_int, Val>>,
}

/// Which options are strings (the rest are numbers), as librbd types them.
fn is_string(opt: c_int) -> Option<bool> {
    match opt {
        RBD_IMAGE_OPTION_DATA_POOL | 7 => Some(true),
        0..=6 | 8 | 9 | 11..=13 => Some(false),
        _ => None,
    }
}

impl ImageOptions {
    pub fn to_create(&self) -> CreateOptions {
        let v = self.vals.lock();
        let num = |k| match v.get(&k) {
            Some(Val::U64(n)) => Some(*n),
            _ => None,
        };
        CreateOptions {
            order: num(RBD_IMAGE_OPTION_ORDER).map(|o| o.min(255) as u8),
            features: num(RBD_IMAGE_OPTION_FEATURES),
            stripe_unit: num(RBD_IMAGE_OPTION_STRIPE_UNIT),
            stripe_count: num(RBD_IMAGE_OPTION_STRIPE_COUNT),
            data_pool: match v.get(&RBD_IMAGE_OPTION_DATA_POOL) {
                Some(Val::Str(s)) => Some(s.clone()),
                _ => None,
            },
        }
    }
}

unsafe fn opts(o: rbd_image_options_t) -> Result<std::sync::Arc<ImageOptions>, Error> {
    // SAFETY: forwarded handle contract.
    unsafe { Handle::<ImageOptions>::get(o, TAG_OPTS) }
}

/// The creation options an option handle holds (NULL: defaults).
pub(crate) unsafe fn create_options(o: rbd_image_options_t) -> Result<CreateOptions, Error> {
    if o.is_null() {
        return Ok(CreateOptions::default());
    }
    // SAFETY: forwarded.
    Ok(unsafe { opts(o)? }.to_create())
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_create(o: *mut rbd_image_options_t) {
    if !o.is_null() {
        // SAFETY: out-pointer from the caller.
        unsafe { *o = Handle::into_raw(TAG_OPTS, ImageOptions::default()) };
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_destroy(o: rbd_image_options_t) {
    // SAFETY: handle from the caller, not used afterwards.
    unsafe { Handle::<ImageOptions>::free(o, TAG_OPTS) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_set_string(
    o: rbd_image_options_t,
    optname: c_int,
    optval: *const c_char,
) -> c_int {
    guard("rbd_image_options_set_string", || {
        // SAFETY: handle and string from the caller.
        let (h, v) = unsafe { (opts(o)?, cstr(optval)?) };
        if is_string(optname) != Some(true) {
            return Err(Error::InvalidArgument("not a string option"));
        }
        h.vals.lock().insert(optname, Val::Str(v.to_string()));
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_set_uint64(o: rbd_image_options_t, optname: c_int, optval: u64) -> c_int {
    guard("rbd_image_options_set_uint64", || {
        // SAFETY: handle from the caller.
        let h = unsafe { opts(o)? };
        if is_string(optname) != Some(false) {
            return Err(Error::InvalidArgument("not a numeric option"));
        }
        h.vals.lock().insert(optname, Val::U64(optval));
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_get_string(
    o: rbd_image_options_t,
    optname: c_int,
    optval: *mut c_char,
    maxlen: size_t,
) -> c_int {
    guard("rbd_image_options_get_string", || {
        // SAFETY: handle from the caller.
        let h = unsafe { opts(o)? };
        match h.vals.lock().get(&optname) {
            // SAFETY: buffer valid for maxlen bytes.
            Some(Val::Str(s)) => unsafe { put_str(optval, maxlen, s)? },
            Some(_) => return Err(Error::InvalidArgument("not a string option")),
            None => return Err(Error::NotFound),
        };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_get_uint64(
    o: rbd_image_options_t,
    optname: c_int,
    optval: *mut u64,
) -> c_int {
    guard("rbd_image_options_get_uint64", || {
        // SAFETY: handle from the caller.
        let h = unsafe { opts(o)? };
        let v = match h.vals.lock().get(&optname) {
            Some(Val::U64(n)) => *n,
            Some(_) => return Err(Error::InvalidArgument("not a numeric option")),
            None => return Err(Error::NotFound),
        };
        // SAFETY: out-pointer from the caller.
        unsafe { out(optval, v)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_is_set(o: rbd_image_options_t, optname: c_int, is_set: *mut bool) -> c_int {
    guard("rbd_image_options_is_set", || {
        // SAFETY: handle from the caller.
        let h = unsafe { opts(o)? };
        if is_string(optname).is_none() {
            return Err(Error::InvalidArgument("unknown option"));
        }
        let set = h.vals.lock().contains_key(&optname);
        // SAFETY: out-pointer from the caller.
        unsafe { out(is_set, set)? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_unset(o: rbd_image_options_t, optname: c_int) -> c_int {
    guard("rbd_image_options_unset", || {
        // SAFETY: handle from the caller.
        let h = unsafe { opts(o)? };
        h.vals.lock().remove(&optname).ok_or(Error::NotFound)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_clear(o: rbd_image_options_t) {
    // SAFETY: handle from the caller.
    if let Ok(h) = unsafe { opts(o) } {
        h.vals.lock().clear();
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_is_empty(o: rbd_image_options_t) -> c_int {
    // SAFETY: handle from the caller.
    match unsafe { opts(o) } {
        Ok(h) => h.vals.lock().is_empty() as c_int,
        Err(e) => -e.errno(),
    }
}
