//! Name rules, as Ceph applies them. Names are data, never paths: the backend encodes them.

use crate::features::{MAX_IMAGE_NAME, MAX_SNAP_NAME};
use crate::{Error, Result};

pub fn check_image_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("empty image name"));
    }
    if name.len() > MAX_IMAGE_NAME {
        return Err(Error::NameTooLong);
    }
    if name.contains('\0') {
        return Err(Error::InvalidArgument("NUL in image name"));
    }
    Ok(())
}

pub fn check_snap_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("empty snapshot name"));
    }
    if name.len() > MAX_SNAP_NAME {
        return Err(Error::NameTooLong);
    }
    if name.contains('\0') {
        return Err(Error::InvalidArgument("NUL in snapshot name"));
    }
    Ok(())
}

pub fn check_namespace_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("empty namespace name"));
    }
    if name.len() > MAX_IMAGE_NAME {
        return Err(Error::NameTooLong);
    }
    if name.contains('/') || name.contains('\0') {
        return Err(Error::InvalidArgument("bad character in namespace name"));
    }
    Ok(())
}

/// A new image id: 12 hex digits as librbd makes them.
pub fn new_image_id() -> String {
    format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceph_name_rules() {
        assert!(matches!(check_image_name(""), Err(Error::InvalidArgument(_))));
        assert!(matches!(check_image_name(&"a".repeat(8192)), Err(Error::NameTooLong)));
        assert!(check_image_name("a/b@c").is_ok());
        assert!(check_image_name("../../x").is_ok());
        assert_eq!(new_image_id().len(), 12);
    }
}

/// The name a snapshot takes in the trash namespace (its old name becomes free).
pub fn new_snap_trash_name() -> String {
    format!("trash-{}", new_image_id())
}
