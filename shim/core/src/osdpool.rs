//! The OSD map's side of each pool, as `ceph osd pool get/set` and `ceph osd pool ls detail`
//! show it: type, replication, placement groups, flags, quotas, applications and options.
//!
//! A store has no OSDs, so these are recorded facts, not behaviour: they are kept, validated and
//! reported as Ceph does, but quotas are not enforced and placement is not simulated. Each pool
//! holds them in one record (`osdpool` in its default namespace), so they go with the pool. A
//! pool without the record (made by an older rbdshim) reads as Ceph's defaults. The OSD map
//! epoch is a cluster record bumped by every change.

use crate::cluster::Cluster;
use crate::config::Config;
use crate::{Error, Result};
use rbdshim_backend::{Backend, Loc, PoolId, PutMode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

const RECORD: &str = "osdpool";
const EPOCH: &str = "osdmap-epoch";

/// Pool flags with Ceph's bit values and names.
pub const FLAGS: [(u64, &str); 17] = [
    (1, "hashpspool"),
    (1 << 1, "full"),
    (1 << 2, "ec_overwrites"),
    (1 << 3, "incomplete_clones"),
    (1 << 4, "nodelete"),
    (1 << 5, "nopgchange"),
    (1 << 6, "nosizechange"),
    (1 << 7, "write_fadvise_dontneed"),
    (1 << 8, "noscrub"),
    (1 << 9, "nodeep-scrub"),
    (1 << 10, "full_quota"),
    (1 << 11, "nearfull"),
    (1 << 12, "backfillfull"),
    (1 << 13, "selfmanaged_snaps"),
    (1 << 14, "pool_snaps"),
    (1 << 15, "creating"),
    (1 << 16, "bulk"),
];

pub fn flag(name: &str) -> u64 {
    FLAGS.iter().find(|(_, n)| *n == name).map(|(b, _)| *b).unwrap_or(0)
}

/// The one CRUSH rule a store has for replicated pools, and the one for erasure-coded pools.
pub const REPLICATED_RULE: &str = "replicated_rule";
pub const ERASURE_RULE: &str = "erasure-code";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolProps {
    /// "replicated" or "erasure".
    pub pool_type: String,
    pub size: u32,
    pub min_size: u32,
    pub pg_num: u32,
    pub pgp_num: u32,
    pub crush_rule: String,
    pub erasure_code_profile: String,
    /// "on", "off" or "warn".
    pub autoscale_mode: String,
    pub flags: u64,
    pub fast_read: bool,
    pub use_gmt_hitset: bool,
    pub quota_max_bytes: u64,
    pub quota_max_objects: u64,
    /// Application name to its key/value metadata.
    pub application_metadata: BTreeMap<String, BTreeMap<String, String>>,
    /// Pool options (target_size_bytes, compression_mode, ...) by name.
    pub options: BTreeMap<String, Value>,
    /// Creation time: seconds and nanoseconds since the epoch.
    pub create_time: (u64, u32),
    /// OSD map epoch of the last change.
    pub last_change: u64,
}

impl Default for PoolProps {
    fn default() -> Self {
        PoolProps {
            pool_type: "replicated".into(),
            size: 3,
            min_size: 2,
            pg_num: 32,
            pgp_num: 32,
            crush_rule: REPLICATED_RULE.into(),
            erasure_code_profile: String::new(),
            autoscale_mode: "on".into(),
            flags: flag("hashpspool"),
            fast_read: false,
            use_gmt_hitset: true,
            quota_max_bytes: 0,
            quota_max_objects: 0,
            application_metadata: BTreeMap::new(),
            options: BTreeMap::new(),
            create_time: (0, 0),
            last_change: 0,
        }
    }
}

impl PoolProps {
    /// A new pool's properties: Ceph's defaults, or the client's osd_pool_default_* options.
    pub fn defaults(conf: &Config) -> PoolProps {
        let mut p = PoolProps::default();
        let num = |k: &str| conf.get_u64(k).filter(|v| *v > 0 && *v <= u32::MAX as u64).map(|v| v as u32);
        if let Some(s) = num("osd_pool_default_size") {
            p.size = s.min(10);
        }
        p.min_size = num("osd_pool_default_min_size").unwrap_or(p.size - p.size / 2).min(p.size);
        if let Some(n) = num("osd_pool_default_pg_num") {
            p.pg_num = n;
        }
        p.pgp_num = num("osd_pool_default_pgp_num").unwrap_or(p.pg_num).min(p.pg_num);
        if let Some(m) = conf.get("osd_pool_default_pg_autoscale_mode") {
            if ["on", "off", "warn"].contains(&m.as_str()) {
                p.autoscale_mode = m;
            }
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        p.create_time = (now.as_secs(), now.subsec_nanos());
        p
    }

    pub fn is_erasure(&self) -> bool {
        self.pool_type == "erasure"
    }

    pub fn has_flag(&self, name: &str) -> bool {
        self.flags & flag(name) != 0
    }

    pub fn set_flag(&mut self, name: &str, on: bool) {
        if on {
            self.flags |= flag(name);
        } else {
            self.flags &= !flag(name);
        }
    }

    /// "hashpspool,nodelete": the set flags by name, in bit order.
    pub fn flag_names(&self) -> String {
        FLAGS.iter().filter(|(b, _)| self.flags & b != 0).map(|(_, n)| *n).collect::<Vec<_>>().join(",")
    }

    /// The CRUSH rule's id, as `osd pool ls detail` prints it.
    pub fn crush_rule_id(&self) -> u32 {
        u32::from(self.crush_rule != REPLICATED_RULE)
    }
}

fn loc(pool: PoolId) -> Loc {
    Loc::new(pool, "")
}

/// The current OSD map epoch (1 for a new store).
pub fn epoch(b: &dyn Backend) -> Result<u64> {
    Ok(match b.cluster_record_get(EPOCH)? {
        Some(raw) => String::from_utf8_lossy(&raw).trim().parse().unwrap_or(1),
        None => 1,
    })
}

/// Moves the OSD map to its next epoch and returns it.
pub fn bump_epoch(b: &dyn Backend) -> Result<u64> {
    let _g = b.cluster_record_lock(EPOCH)?;
    let e = epoch(b)? + 1;
    b.cluster_record_put(EPOCH, e.to_string().as_bytes(), PutMode::Upsert)?;
    Ok(e)
}

/// Records a new pool's properties (called right after the pool is made).
pub fn init(b: &dyn Backend, pool: PoolId, mut props: PoolProps) -> Result<()> {
    props.last_change = bump_epoch(b)?;
    b.record_put(&loc(pool), RECORD, &serde_json::to_vec(&props)?, PutMode::Upsert)?;
    Ok(())
}

/// A pool's properties; Ceph's defaults for a pool that has none recorded.
pub fn get(b: &dyn Backend, pool: PoolId) -> Result<PoolProps> {
    match b.record_get(&loc(pool), RECORD)? {
        Some(raw) => serde_json::from_slice(&raw).map_err(|e| Error::Corrupt(format!("pool {pool} properties: {e}"))),
        None => {
            if !b.pool_list()?.iter().any(|(id, _)| *id == pool) {
                return Err(Error::NotFound);
            }
            Ok(PoolProps::default())
        }
    }
}

/// Changes a pool's properties under its lock; `f` returns whether it changed anything (an
/// unchanged pool keeps its epoch).
pub fn update<R>(b: &dyn Backend, pool: PoolId, f: impl FnOnce(&mut PoolProps) -> Result<(bool, R)>) -> Result<R> {
    let _g = b.record_lock(&loc(pool), RECORD)?;
    let mut props = get(b, pool)?;
    let (changed, r) = f(&mut props)?;
    if changed {
        props.last_change = bump_epoch(b)?;
        b.record_put(&loc(pool), RECORD, &serde_json::to_vec(&props)?, PutMode::Upsert)?;
    }
    Ok(r)
}

/// Application names: at most 128 characters, letters, digits, '_', '-' and '.'.
pub fn check_app_name(app: &str) -> Result<()> {
    if app.len() > 128 {
        return Err(Error::msg(libc::EINVAL, format!("application name '{app}' too long; max length 128")));
    }
    if app.is_empty() || !app.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(Error::msg(libc::EINVAL, format!("application name '{app}' contains invalid characters")));
    }
    Ok(())
}

/// Enables `app` on a pool (rados_application_enable, `ceph osd pool application enable`).
/// A pool that already has another application needs `force`. Returns whether it was enabled
/// before.
pub fn application_enable(cluster: &Cluster, pool: &str, app: &str, force: bool) -> Result<bool> {
    check_app_name(app)?;
    let b = cluster.backend()?;
    let id = cluster.pool_lookup(pool)?;
    update(&*b, id, |p| {
        if p.application_metadata.contains_key(app) {
            return Ok((false, true));
        }
        if !p.application_metadata.is_empty() && !force {
            return Err(Error::msg(
                libc::EPERM,
                format!(
                    "Are you SURE? Pool '{pool}' already has an enabled application; pass --yes-i-really-mean-it to \
                     proceed anyway"
                ),
            ));
        }
        p.application_metadata.insert(app.to_string(), BTreeMap::new());
        Ok((true, false))
    })
}

/// Ceph's timestamp text: "2026-11-23T13:56:37.123456+0000" (UTC).
pub fn utime(sec: u64, nsec: u32) -> String {
    let days = (sec / 86400) as i64;
    let rem = sec % 86400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}+0000", rem / 3600, rem % 3600 / 60, rem % 60, nsec / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_ceph_prints_them() {
        assert_eq!(utime(0, 0), "1970-01-01T00:00:00.000000+0000");
        assert_eq!(utime(1_795_442_676, 123_456_789), "2026-11-23T14:04:36.123456+0000");
        assert_eq!(utime(951_782_400, 0), "2000-02-29T00:00:00.000000+0000");
    }

    #[test]
    fn defaults_follow_the_client_configuration() {
        let mut c = Config::new(None, None, false).unwrap();
        let p = PoolProps::defaults(&c);
        assert_eq!((p.size, p.min_size, p.pg_num, p.pgp_num), (3, 2, 32, 32));
        c.set("osd_pool_default_size", "1").unwrap();
        c.set("osd pool default pg num", "8").unwrap();
        let p = PoolProps::defaults(&c);
        assert_eq!((p.size, p.min_size, p.pg_num, p.pgp_num), (1, 1, 8, 8));
        assert_eq!(p.flag_names(), "hashpspool");
    }

    #[test]
    fn flags_by_name() {
        let mut p = PoolProps::default();
        p.set_flag("nodelete", true);
        p.set_flag("bulk", true);
        assert_eq!(p.flag_names(), "hashpspool,nodelete,bulk");
        p.set_flag("hashpspool", false);
        assert!(!p.has_flag("hashpspool") && p.has_flag("nodelete"));
    }
}
