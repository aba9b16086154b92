//! Pool-level RBD state: pool metadata (rbd_pool_metadata_*), pool configuration overrides
//! (metadata keys `conf_<option>`, as Ceph keeps them) and pool statistics (rbd_pool_stats_*).

use crate::auth::caps::Rights;
use crate::ioctx::IoCtx;
use crate::manage::{self, read_header};
use crate::{Error, Result};
use rbdshim_backend::PutMode;

const PREFIX: &str = "poolmeta/";
/// Pool config overrides live among the pool metadata under this prefix.
pub const CONF_PREFIX: &str = "conf_";

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidArgument("empty metadata key"));
    }
    if key.len() > 4096 {
        return Err(Error::NameTooLong);
    }
    Ok(())
}

pub fn metadata_get(io: &IoCtx, key: &str) -> Result<String> {
    check_key(key)?;
    let loc = io.checked_loc(Rights::IMAGE_READ)?;
    let raw = io.backend().record_get(&loc, &format!("{PREFIX}{key}"))?.ok_or(Error::NotFound)?;
    String::from_utf8(raw).map_err(|_| Error::Corrupt(format!("pool metadata {key} is not UTF-8")))
}

pub fn metadata_set(io: &IoCtx, key: &str, value: &str) -> Result<()> {
    check_key(key)?;
    // A config override must name an rbd option and carry a valid value, as librbd checks.
    if let Some(opt) = key.strip_prefix(CONF_PREFIX) {
        crate::rbdconfig::check(opt, value)?;
    }
    let loc = io.checked_loc(Rights::IMAGE_WRITE)?;
    Ok(io.backend().record_put(&loc, &format!("{PREFIX}{key}"), value.as_bytes(), PutMode::Upsert)?)
}

pub fn metadata_remove(io: &IoCtx, key: &str) -> Result<()> {
    check_key(key)?;
    let loc = io.checked_loc(Rights::IMAGE_WRITE)?;
    Ok(io.backend().record_delete(&loc, &format!("{PREFIX}{key}"))?)
}

/// Keys after `start`, sorted, at most `max` (0: all), with their values.
pub fn metadata_list(io: &IoCtx, start: &str, max: usize) -> Result<Vec<(String, String)>> {
    let loc = io.checked_loc(Rights::IMAGE_READ)?;
    let mut keys: Vec<String> = io
        .backend()
        .record_list(&loc, PREFIX)?
        .into_iter()
        .map(|k| k[PREFIX.len()..].to_string())
        .filter(|k| k.as_str() > start)
        .collect();
    keys.sort();
    if max > 0 {
        keys.truncate(max);
    }
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        // A key removed between listing and reading is simply skipped.
        match metadata_get(io, &k) {
            Ok(v) => out.push((k, v)),
            Err(Error::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// What rbd_pool_stats_get reports.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PoolStats {
    pub image_count: u64,
    pub image_provisioned_bytes: u64,
    pub image_max_provisioned_bytes: u64,
    pub image_snap_count: u64,
    pub trash_count: u64,
    pub trash_provisioned_bytes: u64,
    pub trash_max_provisioned_bytes: u64,
    pub trash_snap_count: u64,
}

/// Counts images and trashed images of the ioctx's namespace, as librbd does: provisioned
/// bytes are the head sizes, max provisioned adds every snapshot's size. One header read per
/// image, never its data.
pub fn stats(io: &IoCtx) -> Result<PoolStats> {
    let loc = io.checked_loc(Rights::IMAGE_READ)?;
    let mut st = PoolStats::default();
    let mut count = |id: &str, trash: bool| -> Result<()> {
        let h = match read_header(&**io.backend(), &loc, id) {
            Ok(h) => h,
            // Removed while we were counting.
            Err(Error::NotFound) => return Ok(()),
            Err(e) => return Err(e),
        };
        let (count, prov, max, snaps) = if trash {
            (
                &mut st.trash_count,
                &mut st.trash_provisioned_bytes,
                &mut st.trash_max_provisioned_bytes,
                &mut st.trash_snap_count,
            )
        } else {
            (
                &mut st.image_count,
                &mut st.image_provisioned_bytes,
                &mut st.image_max_provisioned_bytes,
                &mut st.image_snap_count,
            )
        };
        *count += 1;
        *prov += h.size;
        *max += h.size + h.snaps.iter().map(|s| s.size).sum::<u64>();
        *snaps += h.snaps.len() as u64;
        Ok(())
    };
    for (id, _) in manage::list2(io)? {
        count(&id, false)?;
    }
    for e in manage::trash_list(io)? {
        count(&e.id, true)?;
    }
    Ok(st)
}
