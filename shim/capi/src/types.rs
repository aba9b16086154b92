//! C types of Ceph 16.2's API, with its exact layouts (checked against the real headers by
//! tests/layout.rs). Handles are `void *` in C.

use libc::{c_char, c_int, c_void, size_t, time_t};

pub type rados_t = *mut c_void;
pub type rados_ioctx_t = *mut c_void;
pub type rados_completion_t = *mut c_void;
pub type rados_write_op_t = *mut c_void;
pub type rados_read_op_t = *mut c_void;
pub type rados_list_ctx_t = *mut c_void;
pub type rados_xattrs_iter_t = *mut c_void;
pub type rados_omap_iter_t = *mut c_void;
pub type rados_config_t = *mut c_void;
pub type rbd_image_t = *mut c_void;
/// rbd_lock_mode_t: RBD_LOCK_MODE_EXCLUSIVE (0) or RBD_LOCK_MODE_SHARED (1).
pub type rbd_lock_mode_t = c_int;
pub type rbd_image_options_t = *mut c_void;
pub type rbd_pool_stats_t = *mut c_void;
pub type rbd_completion_t = *mut c_void;

pub type rbd_callback_t = Option<unsafe extern "C" fn(cb: rbd_completion_t, arg: *mut c_void)>;
pub type rados_callback_t = Option<unsafe extern "C" fn(cb: rados_completion_t, arg: *mut c_void)>;
pub type librbd_progress_fn_t = Option<unsafe extern "C" fn(offset: u64, total: u64, ptr: *mut c_void) -> c_int>;
pub type rbd_update_callback_t = Option<unsafe extern "C" fn(arg: *mut c_void)>;
pub type rbd_diff_cb_t = Option<unsafe extern "C" fn(off: u64, len: size_t, exists: c_int, arg: *mut c_void) -> c_int>;

pub const RBD_MAX_BLOCK_NAME_SIZE: usize = 24;
pub const RBD_MAX_IMAGE_NAME_SIZE: usize = 96;

#[repr(C)]
pub struct rbd_image_info_t {
    pub size: u64,
    pub obj_size: u64,
    pub num_objs: u64,
    pub order: c_int,
    pub block_name_prefix: [c_char; RBD_MAX_BLOCK_NAME_SIZE],
    pub parent_pool: i64,
    pub parent_name: [c_char; RBD_MAX_IMAGE_NAME_SIZE],
}

#[repr(C)]
pub struct rbd_snap_info_t {
    pub id: u64,
    pub size: u64,
    pub name: *const c_char,
}

#[repr(C)]
pub struct rbd_image_spec_t {
    pub id: *mut c_char,
    pub name: *mut c_char,
}

#[repr(C)]
pub struct rbd_linked_image_spec_t {
    pub pool_id: i64,
    pub pool_name: *mut c_char,
    pub pool_namespace: *mut c_char,
    pub image_id: *mut c_char,
    pub image_name: *mut c_char,
    pub trash: bool,
}

#[repr(C)]
pub struct rbd_snap_spec_t {
    pub id: u64,
    pub namespace_type: c_int,
    pub name: *mut c_char,
}

#[repr(C)]
pub struct rbd_child_info_t {
    pub pool_name: *const c_char,
    pub image_name: *const c_char,
    pub image_id: *const c_char,
    pub trash: bool,
}

#[repr(C)]
pub struct rbd_trash_image_info_t {
    pub id: *mut c_char,
    pub name: *mut c_char,
    pub source: c_int,
    pub deletion_time: time_t,
    pub deferment_end_time: time_t,
}

#[repr(C)]
pub struct rbd_image_watcher_t {
    pub addr: *mut c_char,
    pub id: i64,
    pub cookie: u64,
}

#[repr(C)]
pub struct rados_pool_stat_t {
    pub num_bytes: u64,
    pub num_kb: u64,
    pub num_objects: u64,
    pub num_object_clones: u64,
    pub num_object_copies: u64,
    pub num_objects_missing_on_primary: u64,
    pub num_objects_unfound: u64,
    pub num_objects_degraded: u64,
    pub num_rd: u64,
    pub num_rd_kb: u64,
    pub num_wr: u64,
    pub num_wr_kb: u64,
    pub num_user_bytes: u64,
    pub compressed_bytes_orig: u64,
    pub compressed_bytes: u64,
    pub compressed_bytes_alloc: u64,
}

#[repr(C)]
pub struct rados_cluster_stat_t {
    pub kb: u64,
    pub kb_used: u64,
    pub kb_avail: u64,
    pub num_objects: u64,
}

/// Image option numbers (rbd_image_options_set_*).
pub const RBD_IMAGE_OPTION_FORMAT: c_int = 0;
pub const RBD_IMAGE_OPTION_FEATURES: c_int = 1;
pub const RBD_IMAGE_OPTION_ORDER: c_int = 2;
pub const RBD_IMAGE_OPTION_STRIPE_UNIT: c_int = 3;
pub const RBD_IMAGE_OPTION_STRIPE_COUNT: c_int = 4;
pub const RBD_IMAGE_OPTION_DATA_POOL: c_int = 10;

pub const EVENT_TYPE_PIPE: c_int = 1;
pub const EVENT_TYPE_EVENTFD: c_int = 2;

pub const RBD_LOCK_MODE_EXCLUSIVE: c_int = 0;
pub const RBD_LOCK_MODE_SHARED: c_int = 1;

pub const RBD_WRITE_ZEROES_FLAG_THICK_PROVISION: c_int = 1;
