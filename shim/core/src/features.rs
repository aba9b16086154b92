//! RBD feature bits, flags and limits with Ceph 16.2's values.

pub const LAYERING: u64 = 1 << 0;
pub const STRIPINGV2: u64 = 1 << 1;
pub const EXCLUSIVE_LOCK: u64 = 1 << 2;
pub const OBJECT_MAP: u64 = 1 << 3;
pub const FAST_DIFF: u64 = 1 << 4;
pub const DEEP_FLATTEN: u64 = 1 << 5;
pub const JOURNALING: u64 = 1 << 6;
pub const DATA_POOL: u64 = 1 << 7;
pub const OPERATIONS: u64 = 1 << 8;
pub const MIGRATING: u64 = 1 << 9;
pub const NON_PRIMARY: u64 = 1 << 10;
pub const DIRTY_CACHE: u64 = 1 << 11;

/// Every feature librbd 16.2 knows.
pub const ALL: u64 = (1 << 12) - 1;
/// Ceph's default: layering, exclusive-lock, object-map, fast-diff, deep-flatten.
pub const DEFAULT: u64 = LAYERING | EXCLUSIVE_LOCK | OBJECT_MAP | FAST_DIFF | DEEP_FLATTEN;
/// Features a user may toggle on an existing image.
pub const MUTABLE: u64 = EXCLUSIVE_LOCK | OBJECT_MAP | FAST_DIFF | JOURNALING | NON_PRIMARY | DIRTY_CACHE;
/// Features that can only be disabled.
pub const DISABLE_ONLY: u64 = DEEP_FLATTEN;
/// Features this implementation can provide (journaling, mirroring and data pools it cannot).
pub const SUPPORTED: u64 = LAYERING | STRIPINGV2 | EXCLUSIVE_LOCK | OBJECT_MAP | FAST_DIFF | DEEP_FLATTEN;

pub const FLAG_OBJECT_MAP_INVALID: u64 = 1 << 0;
pub const FLAG_FAST_DIFF_INVALID: u64 = 1 << 1;

pub const OP_FEATURE_CLONE_PARENT: u64 = 1 << 0;
pub const OP_FEATURE_CLONE_CHILD: u64 = 1 << 1;

pub const MIN_ORDER: u8 = 12;
pub const MAX_ORDER: u8 = 25;
pub const DEFAULT_ORDER: u8 = 22;

/// Longest image name: RADOS refuses object names over 2048 bytes, and the image's id object
/// is named "rbd_id." + name.
pub const MAX_IMAGE_NAME: usize = 2048 - "rbd_id.".len();
/// Longest snapshot name we accept.
pub const MAX_SNAP_NAME: usize = 4096;

const NAMES: &[(u64, &str)] = &[
    (LAYERING, "layering"),
    (STRIPINGV2, "striping"),
    (EXCLUSIVE_LOCK, "exclusive-lock"),
    (OBJECT_MAP, "object-map"),
    (FAST_DIFF, "fast-diff"),
    (DEEP_FLATTEN, "deep-flatten"),
    (JOURNALING, "journaling"),
    (DATA_POOL, "data-pool"),
    (OPERATIONS, "operations"),
    (MIGRATING, "migrating"),
    (NON_PRIMARY, "non-primary"),
    (DIRTY_CACHE, "dirty-cache"),
];

/// "layering,exclusive-lock" for bits 1|4, as rbd_features_to_string.
pub fn to_string(features: u64) -> String {
    NAMES.iter().filter(|(b, _)| features & b != 0).map(|(_, n)| *n).collect::<Vec<_>>().join(",")
}

/// Parses names (comma separated) or a number, as rbd_features_from_string.
pub fn from_string(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let mut f = 0;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        f |= NAMES.iter().find(|(_, n)| *n == part)?.0;
    }
    Some(f)
}

/// Checks a feature set requested at creation, as librbd does.
pub fn validate(features: u64) -> crate::Result<()> {
    if features & !ALL != 0 {
        return Err(crate::Error::NoSys);
    }
    if features & OBJECT_MAP != 0 && features & EXCLUSIVE_LOCK == 0 {
        return Err(crate::Error::InvalidArgument("object-map requires exclusive-lock"));
    }
    if features & FAST_DIFF != 0 && features & OBJECT_MAP == 0 {
        return Err(crate::Error::InvalidArgument("fast-diff requires object-map"));
    }
    if features & (JOURNALING | DATA_POOL | OPERATIONS | MIGRATING | NON_PRIMARY | DIRTY_CACHE) != 0 {
        return Err(crate::Error::NotSupported);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_0x3d_and_names_round_trip() {
        assert_eq!(DEFAULT, 0x3d);
        assert_eq!(to_string(DEFAULT), "layering,exclusive-lock,object-map,fast-diff,deep-flatten");
        assert_eq!(from_string(&to_string(DEFAULT)), Some(DEFAULT));
        assert_eq!(from_string("61"), Some(61));
        assert_eq!(from_string("bogus"), None);
    }
}

/// The most objects an object map tracks (Ceph's limit: 256 million).
pub const MAX_OBJECT_MAP_OBJECTS: u64 = 256_000_000;

/// Refuses an image size the image cannot have: beyond what its object map can track (Ceph:
/// -EINVAL, "size not compatible with object map"), or beyond the store's maximum.
pub fn check_size(features: u64, order: u8, size: u64, store_max: u64) -> crate::Result<()> {
    let objects = size.div_ceil(1u64 << order);
    if features & OBJECT_MAP != 0 && objects > MAX_OBJECT_MAP_OBJECTS {
        return Err(crate::Error::InvalidArgument("size not compatible with object map"));
    }
    if size > store_max {
        return Err(crate::Error::InvalidArgument("size beyond the store's maximum"));
    }
    Ok(())
}
