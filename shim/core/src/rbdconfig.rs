//! librbd's configuration overrides: pool-level (pool metadata `conf_<option>`) and
//! image-level (image metadata `conf_<option>`) values of `rbd_*` options, checked as librbd
//! checks them, and the listing of every option with the source of its value.

use crate::ioctx::IoCtx;
use crate::{options, pool, Error, Image, Result};

/// Where an option's value comes from (RBD_CONFIG_SOURCE_*).
pub const SOURCE_CONFIG: u8 = 0;
pub const SOURCE_POOL: u8 = 1;
pub const SOURCE_IMAGE: u8 = 2;

/// A `conf_` override must name an rbd option, and its value must parse as that option's
/// type (taken from its default: a boolean, an integer, a number, or free text).
pub fn check(option: &str, value: &str) -> Result<()> {
    let Some(default) = option.starts_with("rbd_").then(|| options::default(option)).flatten() else {
        return Err(Error::InvalidArgument("not an rbd configuration option"));
    };
    let ok = if default == "true" || default == "false" {
        matches!(value, "true" | "false" | "1" | "0" | "yes" | "no")
    } else if default.parse::<i64>().is_ok() {
        value.trim().parse::<i64>().is_ok()
    } else if default.parse::<f64>().is_ok() {
        value.trim().parse::<f64>().is_ok()
    } else {
        true
    };
    if !ok {
        return Err(Error::InvalidArgument("invalid value for the option"));
    }
    Ok(())
}

/// Every rbd option with its value and source, for a pool (`image` None) or an image.
pub fn list(io: &IoCtx, image: Option<&Image>) -> Result<Vec<(String, String, u8)>> {
    let cfg = io.cluster().config().clone();
    let mut out: Vec<(String, String, u8)> = options::with_prefix("rbd_")
        .map(|(n, d)| (n.to_string(), cfg.get(n).unwrap_or_else(|| d.to_string()), SOURCE_CONFIG))
        .collect();
    let mut apply = |pairs: Vec<(String, String)>, source: u8| {
        for (k, v) in pairs {
            let Some(opt) = k.strip_prefix(pool::CONF_PREFIX) else { continue };
            if let Some(e) = out.iter_mut().find(|e| e.0 == opt) {
                e.1 = v;
                e.2 = source;
            }
        }
    };
    let pool_io = match image {
        Some(img) => img.ioctx().clone(),
        None => io.clone(),
    };
    apply(pool::metadata_list(&pool_io, "", 0)?, SOURCE_POOL);
    if let Some(img) = image {
        apply(img.metadata_list("", 0)?, SOURCE_IMAGE);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_against_the_options_type() {
        check("rbd_cache", "false").unwrap();
        assert!(check("rbd_cache", "maybe").is_err());
        check("rbd_request_timed_out_seconds", "100").unwrap();
        assert!(check("rbd_request_timed_out_seconds", "soon").is_err());
        check("rbd_cache_policy", "writeback").unwrap();
        assert!(check("not_an_rbd_option", "1").is_err());
        assert!(check("rbd_no_such_thing", "1").is_err());
    }
}
