//! rbd_completion_t, and the event queue of rbd_set_image_notification / rbd_poll_io_events.

use super::image::Events;
use crate::ffi::*;
use crate::types::*;
use libc::{c_int, c_void, ssize_t};
use parking_lot::Mutex;
use rbdshim_core::{Completion, Error};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What the completion's callback needs to know once the request is done.
#[derive(Default)]
pub struct Shared {
    /// The handle's own address (known only after boxing).
    handle: AtomicUsize,
    /// The image's event queue, when notification is on (set at submission).
    pub events: Mutex<Option<Arc<Mutex<Events>>>>,
}

pub struct RbdCompletion {
    pub comp: Arc<Completion>,
    pub arg: usize,
    pub shared: Arc<Shared>,
}

pub(crate) unsafe fn completion(c: rbd_completion_t) -> Result<Arc<RbdCompletion>, Error> {
    // SAFETY: forwarded handle contract.
    unsafe { Handle::<RbdCompletion>::get(c, TAG_RBD_COMP) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_create_completion(
    cb_arg: *mut c_void,
    complete_cb: rbd_callback_t,
    c: *mut rbd_completion_t,
) -> c_int {
    guard("rbd_aio_create_completion", || {
        if c.is_null() {
            return Err(Error::InvalidArgument("NULL completion pointer"));
        }
        let shared = Arc::new(Shared::default());
        let s2 = shared.clone();
        let arg = cb_arg as usize;
        let callback: rbdshim_core::aio::Callback = Box::new(move |_ret: i64| {
            let h = s2.handle.load(Ordering::Acquire);
            // As librbd: the callback runs first, then the completion is queued for
            // rbd_poll_io_events (fio asserts that a polled completion already ran its callback).
            let queue = s2.events.lock().clone();
            if let Some(f) = complete_cb {
                // SAFETY: the caller's callback with its own completion and argument.
                unsafe { f(h as rbd_completion_t, arg as *mut c_void) };
            }
            if let Some(q) = queue {
                let mut ev = q.lock();
                ev.done.push(h);
                if let Some((fd, kind)) = ev.fd {
                    let one: u64 = 1;
                    // SAFETY: writing to the descriptor the application registered.
                    unsafe {
                        if kind == EVENT_TYPE_EVENTFD {
                            libc::write(fd, &one as *const u64 as *const c_void, 8);
                        } else {
                            libc::write(fd, b"i".as_ptr() as *const c_void, 1);
                        }
                    }
                }
            }
        });
        let comp = Completion::new(Some(callback));
        let h = Handle::into_raw(TAG_RBD_COMP, RbdCompletion { comp, arg, shared: shared.clone() });
        shared.handle.store(h as usize, Ordering::Release);
        // SAFETY: checked non-NULL.
        unsafe { *c = h };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_release(c: rbd_completion_t) {
    // SAFETY: handle from the caller, not used after release.
    unsafe { Handle::<RbdCompletion>::free(c, TAG_RBD_COMP) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_is_complete(c: rbd_completion_t) -> c_int {
    // SAFETY: handle from the caller.
    match unsafe { completion(c) } {
        Ok(h) => h.comp.is_complete() as c_int,
        Err(e) => -e.errno(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_wait_for_complete(c: rbd_completion_t) -> c_int {
    guard("rbd_aio_wait_for_complete", || {
        // SAFETY: handle from the caller.
        unsafe { completion(c)? }.comp.wait();
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_get_return_value(c: rbd_completion_t) -> ssize_t {
    // SAFETY: handle from the caller.
    match unsafe { completion(c) } {
        Ok(h) => h.comp.return_value() as ssize_t,
        Err(e) => -(e.errno() as ssize_t),
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_get_arg(c: rbd_completion_t) -> *mut c_void {
    // SAFETY: handle from the caller.
    match unsafe { completion(c) } {
        Ok(h) => h.arg as *mut c_void,
        Err(_) => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_set_image_notification(image: rbd_image_t, fd: c_int, type_: c_int) -> c_int {
    guard("rbd_set_image_notification", || {
        // SAFETY: handle from the caller.
        let h = unsafe { super::image::image(image)? };
        if type_ != EVENT_TYPE_PIPE && type_ != EVENT_TYPE_EVENTFD {
            return Err(Error::InvalidArgument("unknown event type"));
        }
        h.events.lock().fd = Some((fd, type_));
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_poll_io_events(image: rbd_image_t, comps: *mut rbd_completion_t, numcomp: c_int) -> c_int {
    guard("rbd_poll_io_events", || {
        // SAFETY: handle from the caller.
        let h = unsafe { super::image::image(image)? };
        if numcomp < 0 || (numcomp > 0 && comps.is_null()) {
            return Err(Error::InvalidArgument("bad completion array"));
        }
        let mut ev = h.events.lock();
        let n = ev.done.len().min(numcomp as usize);
        for (k, c) in ev.done.drain(..n).enumerate() {
            // SAFETY: comps has numcomp slots by contract.
            unsafe { *comps.add(k) = c as rbd_completion_t };
        }
        Ok(n as c_int)
    })
}

/// Attaches a completion to an image's event queue when notification is on.
pub(crate) fn attach(comp: &RbdCompletion, events: &Arc<Mutex<Events>>) {
    if events.lock().fd.is_some() {
        *comp.shared.events.lock() = Some(events.clone());
    }
}
