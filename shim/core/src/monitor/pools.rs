//! `osd lspools` and `osd pool ...`: listing, creating and removing pools, their variables,
//! quotas and applications, with Ceph's checks and messages.

use super::text::{bytes, count};
use super::{Answer, Cmd};
use crate::osdpool::{self, PoolProps, ERASURE_RULE, REPLICATED_RULE};
use crate::{Error, Result};
use rbdshim_backend::PoolId;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const MAX_PG_NUM: i64 = 65536;
const MAX_SIZE: i64 = 10;

fn einval(msg: impl Into<String>) -> Error {
    Error::msg(libc::EINVAL, msg)
}

fn eperm(msg: impl Into<String>) -> Error {
    Error::msg(libc::EPERM, msg)
}

/// The pool's id, or Ceph's "unrecognized pool" failure.
fn lookup(c: &Cmd, pool: &str) -> Result<PoolId> {
    match c.cluster.pool_lookup(pool) {
        Ok(id) => Ok(id),
        Err(Error::NotFound) => Err(Error::msg(libc::ENOENT, format!("unrecognized pool '{pool}'"))),
        Err(e) => Err(e),
    }
}

/// A monitor option of this client's configuration, as a boolean.
fn conf_bool(c: &Cmd, key: &str, default: bool) -> bool {
    match c.cluster.conf_get(key).map(|v| v.trim().to_ascii_lowercase()) {
        Ok(v) if ["true", "yes", "on", "1"].contains(&v.as_str()) => true,
        Ok(v) if ["false", "no", "off", "0"].contains(&v.as_str()) => false,
        _ => default,
    }
}

pub(super) fn lspools(c: &Cmd) -> Result<Answer> {
    let pools = c.cluster.pool_list()?;
    let v = Value::Array(pools.iter().map(|(id, name)| json!({"poolnum": id, "poolname": name})).collect());
    let out = c.out(&v, "pools", "pool", || pools.iter().map(|(id, n)| format!("{id} {n}\n")).collect());
    Ok((out, String::new()))
}

/// `pool 1 'rbd' replicated size 3 min_size 2 ...`: a pool as `osd pool ls detail` prints it.
fn detail_line(id: PoolId, name: &str, p: &PoolProps) -> String {
    let mut s = format!(
        "pool {id} '{name}' {} size {} min_size {} crush_rule {} object_hash rjenkins pg_num {} pgp_num {} \
         autoscale_mode {} last_change {}",
        p.pool_type,
        p.size,
        p.min_size,
        p.crush_rule_id(),
        p.pg_num,
        p.pgp_num,
        p.autoscale_mode,
        p.last_change
    );
    if p.flags != 0 {
        s += &format!(" flags {}", p.flag_names());
    }
    if p.quota_max_bytes != 0 {
        s += &format!(" max_bytes {}", p.quota_max_bytes);
    }
    if p.quota_max_objects != 0 {
        s += &format!(" max_objects {}", p.quota_max_objects);
    }
    s += " stripe_width 0";
    if p.fast_read {
        s += " fast_read 1";
    }
    for (k, v) in &p.options {
        match v {
            Value::String(t) => s += &format!(" {k} {t}"),
            other => s += &format!(" {k} {other}"),
        }
    }
    if !p.application_metadata.is_empty() {
        s += " application ";
        s += &p.application_metadata.keys().cloned().collect::<Vec<_>>().join(",");
    }
    s
}

/// A pool as `osd pool ls detail -f json` shows it.
fn detail_json(id: PoolId, name: &str, p: &PoolProps) -> Value {
    json!({
        "pool_id": id,
        "pool_name": name,
        "create_time": osdpool::utime(p.create_time.0, p.create_time.1),
        "flags": p.flags,
        "flags_names": p.flag_names(),
        "type": if p.is_erasure() { 3 } else { 1 },
        "size": p.size,
        "min_size": p.min_size,
        "crush_rule": p.crush_rule_id(),
        "object_hash": 2,
        "pg_autoscale_mode": p.autoscale_mode,
        "pg_num": p.pg_num,
        "pg_placement_num": p.pgp_num,
        "pg_placement_num_target": p.pgp_num,
        "pg_num_target": p.pg_num,
        "pg_num_pending": p.pg_num,
        "last_change": p.last_change.to_string(),
        "quota_max_bytes": p.quota_max_bytes,
        "quota_max_objects": p.quota_max_objects,
        "erasure_code_profile": p.erasure_code_profile,
        "fast_read": p.fast_read,
        "options": p.options,
        "application_metadata": p.application_metadata,
    })
}

pub(super) fn ls(c: &Cmd) -> Result<Answer> {
    let detail = c.str("detail") == Some("detail");
    let b = c.cluster.backend()?;
    let mut pools = Vec::new();
    for (id, name) in c.cluster.pool_list()? {
        match osdpool::get(&*b, id) {
            Ok(p) => pools.push((id, name, p)),
            Err(Error::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    let out = if detail {
        let v = Value::Array(pools.iter().map(|(id, n, p)| detail_json(*id, n, p)).collect());
        c.out(&v, "pools", "pool", || {
            pools.iter().map(|(id, n, p)| format!("{}\n\n", detail_line(*id, n, p))).collect()
        })
    } else {
        let v = Value::Array(pools.iter().map(|(_, n, _)| json!(n)).collect());
        c.out(&v, "pools", "pool_name", || pools.iter().map(|(_, n, _)| format!("{n}\n")).collect())
    };
    Ok((out, String::new()))
}

fn check_pg_num(n: i64) -> Result<u32> {
    if n <= 0 || n > MAX_PG_NUM {
        return Err(Error::msg(
            libc::ERANGE,
            format!(
                "'pg_num' must be greater than 0 and less than or equal to {MAX_PG_NUM} (you may adjust 'mon max pool \
                 pg num' for higher values)"
            ),
        ));
    }
    Ok(n as u32)
}

pub(super) fn create(c: &Cmd) -> Result<Answer> {
    let name = c.req("pool")?;
    if c.cluster.pool_lookup(name).is_ok() {
        return Ok((Vec::new(), format!("pool '{name}' already exists")));
    }
    let mut p = PoolProps::defaults(&c.cluster.config());
    match c.str("pool_type").unwrap_or("replicated") {
        "replicated" => {
            if let Some(rule) = c.str("rule") {
                if rule != REPLICATED_RULE {
                    return Err(Error::msg(libc::ENOENT, format!("specified rule {rule} doesn't exist")));
                }
            }
        }
        "erasure" => {
            let profile = c.str("erasure_code_profile").unwrap_or("default");
            if profile != "default" {
                return Err(Error::msg(libc::ENOENT, format!("erasure-code-profile {profile} does not exist")));
            }
            // The default profile: k=2, m=2.
            p.pool_type = "erasure".into();
            p.erasure_code_profile = profile.into();
            p.crush_rule = ERASURE_RULE.into();
            p.size = 4;
            p.min_size = 3;
        }
        other => return Err(einval(format!("unknown pool type '{other}'"))),
    }
    if let Some(n) = c.int("pg_num")? {
        p.pg_num = check_pg_num(n)?;
        p.pgp_num = p.pg_num;
    }
    if let Some(n) = c.int("pgp_num")? {
        if n <= 0 || n > i64::from(p.pg_num) {
            return Err(Error::msg(
                libc::ERANGE,
                format!(
                    "'pgp_num' must be greater than 0 and lower or equal than 'pg_num', which in this case is {}",
                    p.pg_num
                ),
            ));
        }
        p.pgp_num = n as u32;
    }
    if let Some(n) = c.int("size")? {
        if p.is_erasure() {
            return Err(Error::msg(libc::EOPNOTSUPP, "can not change the size of an erasure-coded pool"));
        }
        if !(1..=MAX_SIZE).contains(&n) {
            return Err(einval(format!("pool size must be between 1 and {MAX_SIZE}")));
        }
        p.size = n as u32;
        p.min_size = p.min_size.min(p.size).max(p.size - p.size / 2);
    }
    if let Some(m) = c.str("autoscale_mode") {
        if !["on", "off", "warn"].contains(&m) {
            return Err(einval(format!("specified invalid mode {m}")));
        }
        p.autoscale_mode = m.into();
    }
    p.set_flag("bulk", c.flag("bulk"));
    for opt in ["pg_num_min", "pg_num_max", "target_size_bytes", "expected_num_objects"] {
        if let Some(v) = c.int(opt)? {
            if v > 0 && opt != "expected_num_objects" {
                p.options.insert(opt.into(), json!(v));
            }
        }
    }
    if let Some(r) = c.float("target_size_ratio")? {
        p.options.insert("target_size_ratio".into(), json!(r));
    }
    match c.cluster.pool_create_with(name, p) {
        Ok(_) => Ok((Vec::new(), format!("pool '{name}' created"))),
        Err(Error::Exists) => Ok((Vec::new(), format!("pool '{name}' already exists"))),
        Err(Error::InvalidArgument(_)) => Err(einval(format!("invalid pool name '{name}'"))),
        Err(Error::NameTooLong) => Err(Error::msg(libc::ENAMETOOLONG, format!("pool name '{name}' is too long"))),
        Err(e) => Err(e),
    }
}

pub(super) fn delete(c: &Cmd) -> Result<Answer> {
    let name = c.req("pool")?;
    let Ok(id) = c.cluster.pool_lookup(name) else {
        return Ok((Vec::new(), format!("pool '{name}' does not exist")));
    };
    let sure = c.flag("yes_i_really_really_mean_it") || c.flag("yes_i_really_really_mean_it_not_faking");
    if c.str("pool2") != Some(name) || !sure {
        return Err(eperm(format!(
            "WARNING: this will *PERMANENTLY DESTROY* all data stored in pool {name}.  If you are *ABSOLUTELY \
             CERTAIN* that is what you want, pass the pool name *twice*, followed by --yes-i-really-really-mean-it."
        )));
    }
    if !conf_bool(c, "mon_allow_pool_delete", true) {
        return Err(eperm(
            "pool deletion is disabled; you must first set the mon_allow_pool_delete config option to true before you \
             can destroy a pool",
        ));
    }
    let b = c.cluster.backend()?;
    if osdpool::get(&*b, id)?.has_flag("nodelete") {
        return Err(eperm("pool deletion is disabled; you must unset nodelete flag for the pool first"));
    }
    match c.cluster.pool_delete(name) {
        Ok(()) => Ok((Vec::new(), format!("pool '{name}' removed"))),
        Err(Error::NotFound) => Ok((Vec::new(), format!("pool '{name}' does not exist"))),
        Err(e) => Err(e),
    }
}

/// How a pool variable is kept and shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Size,
    MinSize,
    PgNum,
    PgpNum,
    CrushRule,
    /// A pool flag: shown "true"/"false".
    Flag,
    /// A boolean field shown 1/0 in plain text.
    Bool,
    /// Only cache tiers have it.
    Tier,
    ErasureProfile,
    AutoscaleMode,
    IntOpt,
    SizeOpt,
    FloatOpt,
    StrOpt,
}

/// The variables `osd pool get/set` know, in the order `osd pool get all` lists them.
const VARS: &[(&str, Kind)] = &[
    ("size", Kind::Size),
    ("min_size", Kind::MinSize),
    ("pg_num", Kind::PgNum),
    ("pgp_num", Kind::PgpNum),
    ("crush_rule", Kind::CrushRule),
    ("hashpspool", Kind::Flag),
    ("nodelete", Kind::Flag),
    ("nopgchange", Kind::Flag),
    ("nosizechange", Kind::Flag),
    ("write_fadvise_dontneed", Kind::Flag),
    ("noscrub", Kind::Flag),
    ("nodeep-scrub", Kind::Flag),
    ("hit_set_type", Kind::Tier),
    ("hit_set_period", Kind::Tier),
    ("hit_set_count", Kind::Tier),
    ("hit_set_fpp", Kind::Tier),
    ("use_gmt_hitset", Kind::Bool),
    ("target_max_objects", Kind::Tier),
    ("target_max_bytes", Kind::Tier),
    ("cache_target_dirty_ratio", Kind::Tier),
    ("cache_target_dirty_high_ratio", Kind::Tier),
    ("cache_target_full_ratio", Kind::Tier),
    ("cache_min_flush_age", Kind::Tier),
    ("cache_min_evict_age", Kind::Tier),
    ("erasure_code_profile", Kind::ErasureProfile),
    ("min_read_recency_for_promote", Kind::Tier),
    ("min_write_recency_for_promote", Kind::Tier),
    ("fast_read", Kind::Bool),
    ("hit_set_grade_decay_rate", Kind::Tier),
    ("hit_set_search_last_n", Kind::Tier),
    ("scrub_min_interval", Kind::FloatOpt),
    ("scrub_max_interval", Kind::FloatOpt),
    ("deep_scrub_interval", Kind::FloatOpt),
    ("recovery_priority", Kind::IntOpt),
    ("recovery_op_priority", Kind::IntOpt),
    ("scrub_priority", Kind::IntOpt),
    ("compression_mode", Kind::StrOpt),
    ("compression_algorithm", Kind::StrOpt),
    ("compression_required_ratio", Kind::FloatOpt),
    ("compression_max_blob_size", Kind::SizeOpt),
    ("compression_min_blob_size", Kind::SizeOpt),
    ("csum_type", Kind::IntOpt),
    ("csum_max_block", Kind::IntOpt),
    ("csum_min_block", Kind::IntOpt),
    ("fingerprint_algorithm", Kind::StrOpt),
    ("pg_autoscale_mode", Kind::AutoscaleMode),
    ("pg_num_min", Kind::IntOpt),
    ("target_size_bytes", Kind::SizeOpt),
    ("target_size_ratio", Kind::FloatOpt),
    ("pg_autoscale_bias", Kind::FloatOpt),
    ("pg_num_max", Kind::IntOpt),
    ("bulk", Kind::Flag),
];

/// The names `osd pool get` accepts, as Ceph's help lists them.
pub fn get_vars() -> Vec<&'static str> {
    VARS.iter().map(|(n, _)| *n).collect()
}

/// The names `osd pool set` accepts.
pub fn set_vars() -> Vec<&'static str> {
    let mut v = get_vars();
    v.insert(v.iter().position(|n| *n == "fast_read").unwrap_or(v.len()), "allow_ec_overwrites");
    v
}

/// One variable's value: JSON, and the text after "var: " in plain output. None: not
/// applicable to this pool or not set (with the reason).
fn var_value(name: &str, kind: Kind, pool: &str, p: &PoolProps) -> std::result::Result<(Value, String), Error> {
    let int = |v: u32| Ok((json!(v), v.to_string()));
    match kind {
        Kind::Size => int(p.size),
        Kind::MinSize => int(p.min_size),
        Kind::PgNum => int(p.pg_num),
        Kind::PgpNum => int(p.pgp_num),
        Kind::CrushRule => Ok((json!(p.crush_rule), p.crush_rule.clone())),
        Kind::Flag => {
            let v = if p.has_flag(name) { "true" } else { "false" };
            Ok((json!(v), v.to_string()))
        }
        Kind::Bool => {
            let v = if name == "fast_read" { p.fast_read } else { p.use_gmt_hitset };
            Ok((json!(v), u8::from(v).to_string()))
        }
        Kind::Tier => {
            Err(Error::msg(libc::EACCES, format!("pool '{pool}' is not a tier pool: variable not applicable")))
        }
        Kind::ErasureProfile => {
            if !p.is_erasure() {
                return Err(Error::msg(
                    libc::EACCES,
                    format!("pool '{pool}' is not a erasure pool: variable not applicable"),
                ));
            }
            Ok((json!(p.erasure_code_profile), p.erasure_code_profile.clone()))
        }
        Kind::AutoscaleMode => Ok((json!(p.autoscale_mode), p.autoscale_mode.clone())),
        Kind::IntOpt | Kind::SizeOpt | Kind::FloatOpt | Kind::StrOpt => match p.options.get(name) {
            Some(Value::String(s)) => Ok((json!(s), s.clone())),
            Some(v) => Ok((v.clone(), v.to_string())),
            None => Err(Error::msg(libc::ENOENT, format!("option '{name}' is not set on pool '{pool}'"))),
        },
    }
}

pub(super) fn get(c: &Cmd) -> Result<Answer> {
    let pool = c.req("pool")?;
    let var = c.req("var")?;
    let id = lookup(c, pool)?;
    let p = osdpool::get(&*c.cluster.backend()?, id)?;
    let mut obj = Map::new();
    obj.insert("pool".into(), json!(pool));
    obj.insert("pool_id".into(), json!(id));
    let mut plain = String::new();
    if var == "all" {
        for (name, kind) in VARS {
            // "all" lists what applies to the pool and is set.
            if let Ok((v, text)) = var_value(name, *kind, pool, &p) {
                obj.insert(name.to_string(), v);
                plain += &format!("{name}: {text}\n");
            }
        }
    } else {
        let (_, kind) =
            VARS.iter().find(|(n, _)| *n == var).ok_or_else(|| einval(format!("unrecognized variable '{var}'")))?;
        let (v, text) = var_value(var, *kind, pool, &p)?;
        obj.insert(var.to_string(), v);
        plain = format!("{var}: {text}\n");
    }
    Ok((c.out(&Value::Object(obj), "pool", "item", || plain), String::new()))
}

fn parse_bool(val: &str) -> Result<bool> {
    match val {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(einval("expecting value 'true', 'false', '0', or '1'")),
    }
}

fn parse_int(val: &str) -> Result<i64> {
    val.trim().parse().map_err(|_| einval(format!("error parsing integer value '{val}'")))
}

/// "10G", "512K", "1T" (binary units) or a plain number of bytes.
fn parse_iec(val: &str) -> Result<u64> {
    let bad = || einval(format!("error parsing value '{val}': not an integer with an optional unit"));
    let t = val.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..digits].parse().map_err(|_| bad())?;
    let shift = match t[digits..].trim_end_matches(['B', 'i']) {
        "" => 0,
        "K" | "k" => 10,
        "M" | "m" => 20,
        "G" | "g" => 30,
        "T" | "t" => 40,
        "P" | "p" => 50,
        "E" | "e" => 60,
        _ => return Err(bad()),
    };
    n.checked_mul(1 << shift).ok_or_else(bad)
}

/// "10", "10k", "2M" (decimal units).
fn parse_si(val: &str) -> Result<u64> {
    let bad = || einval(format!("error parsing value '{val}': not an integer with an optional unit"));
    let t = val.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..digits].parse().map_err(|_| bad())?;
    let exp = match &t[digits..] {
        "" => 0,
        "K" | "k" => 1,
        "M" => 2,
        "G" => 3,
        "T" => 4,
        "P" => 5,
        "E" => 6,
        _ => return Err(bad()),
    };
    n.checked_mul(1000u64.pow(exp)).ok_or_else(bad)
}

/// Applies `osd pool set <var> <val>` to `p`; returns whether something changed.
fn set_var(c: &Cmd, pool: &str, var: &str, val: &str, p: &mut PoolProps) -> Result<bool> {
    if var == "allow_ec_overwrites" {
        if !p.is_erasure() {
            return Err(einval("ec overwrites can only be enabled for an erasure coded pool"));
        }
        let on = parse_bool(val)?;
        if !on && p.has_flag("ec_overwrites") {
            return Err(einval("ec overwrites cannot be disabled once enabled"));
        }
        p.set_flag("ec_overwrites", on);
        return Ok(true);
    }
    let (_, kind) =
        VARS.iter().find(|(n, _)| *n == var).ok_or_else(|| einval(format!("unrecognized variable '{var}'")))?;
    match kind {
        Kind::Size => {
            if p.has_flag("nosizechange") {
                return Err(eperm("pool size change is disabled; you must unset nosizechange flag for the pool first"));
            }
            if p.is_erasure() {
                return Err(Error::msg(libc::EOPNOTSUPP, "can not change the size of an erasure-coded pool"));
            }
            let n = parse_int(val)?;
            if !(1..=MAX_SIZE).contains(&n) {
                return Err(einval(format!("pool size must be between 1 and {MAX_SIZE}")));
            }
            if n == 1 {
                if !conf_bool(c, "mon_allow_pool_size_one", true) {
                    return Err(eperm("configuring pool size as 1 is disabled by default."));
                }
                if !c.flag("yes_i_really_mean_it") {
                    return Err(eperm(
                        "WARNING: setting pool size 1 could lead to data loss without recovery. If you are *ABSOLUTELY \
                         CERTAIN* that is what you want, pass the flag --yes-i-really-mean-it.",
                    ));
                }
            }
            p.size = n as u32;
            let default_min = c.cluster.config().get_u64("osd_pool_default_min_size").filter(|m| *m > 0);
            p.min_size = match default_min {
                Some(m) => (m as u32).min(p.size),
                None => p.size - p.size / 2,
            };
        }
        Kind::MinSize => {
            let n = parse_int(val)?;
            let (lo, hi) = if p.is_erasure() { (2, i64::from(p.size)) } else { (1, i64::from(p.size)) };
            if n < lo || n > hi {
                return Err(einval(if p.is_erasure() {
                    format!("pool min_size must be between {lo} and {hi}")
                } else {
                    format!("pool min_size must be between 1 and size, which is set to {}", p.size)
                }));
            }
            p.min_size = n as u32;
        }
        Kind::PgNum => {
            if p.has_flag("nopgchange") {
                return Err(eperm("pool pg_num change is disabled; you must unset nopgchange flag for the pool first"));
            }
            p.pg_num = check_pg_num(parse_int(val)?)?;
            p.pgp_num = p.pg_num;
        }
        Kind::PgpNum => {
            if p.has_flag("nopgchange") {
                return Err(eperm(
                    "pool pgp_num change is disabled; you must unset nopgchange flag for the pool first",
                ));
            }
            let n = parse_int(val)?;
            if n <= 0 {
                return Err(einval("specified pgp_num must > 0, but you set to 0"));
            }
            if n > i64::from(p.pg_num) {
                return Err(einval(format!("specified pgp_num {n} > pg_num {}", p.pg_num)));
            }
            p.pgp_num = n as u32;
        }
        Kind::CrushRule => {
            let rule = if p.is_erasure() { ERASURE_RULE } else { REPLICATED_RULE };
            if val != rule && val != p.crush_rule_id().to_string() {
                return Err(Error::msg(libc::ENOENT, format!("crush rule {val} does not exist")));
            }
            p.crush_rule = rule.into();
        }
        Kind::Flag => {
            let on = parse_bool(val)?;
            if var == "hashpspool" && on != p.has_flag(var) && !c.flag("yes_i_really_mean_it") {
                return Err(eperm(
                    "are you SURE?  this will remap all placement groups in this pool, this triggers large data \
                     movement, pass --yes-i-really-mean-it if you really do.",
                ));
            }
            p.set_flag(var, on);
        }
        Kind::Bool => {
            let on = parse_bool(val)?;
            if var == "fast_read" {
                if on && !p.is_erasure() {
                    return Err(einval("fast read is not supported in replication pool"));
                }
                p.fast_read = on;
            } else {
                p.use_gmt_hitset = on;
            }
        }
        Kind::Tier => {
            return Err(Error::msg(libc::EACCES, format!("pool '{pool}' is not a tier pool: variable not applicable")))
        }
        Kind::ErasureProfile => return Err(einval("can not change the erasure code profile of a pool")),
        Kind::AutoscaleMode => {
            if !["on", "off", "warn"].contains(&val) {
                return Err(einval(format!("specified invalid mode {val}")));
            }
            p.autoscale_mode = val.into();
        }
        Kind::IntOpt => {
            let n = parse_int(val)?;
            if n == 0 {
                p.options.remove(var);
            } else {
                p.options.insert(var.into(), json!(n));
            }
        }
        Kind::SizeOpt => {
            let n = parse_iec(val)?;
            if n == 0 {
                p.options.remove(var);
            } else {
                p.options.insert(var.into(), json!(n));
            }
        }
        Kind::FloatOpt => {
            let f: f64 =
                val.trim().parse().map_err(|_| einval(format!("error parsing floating point value '{val}'")))?;
            if f < 0.0 {
                return Err(einval(format!("{var} must be >= 0")));
            }
            if f == 0.0 {
                p.options.remove(var);
            } else {
                p.options.insert(var.into(), json!(f));
            }
        }
        Kind::StrOpt => {
            let allowed: &[&str] = match var {
                "compression_mode" => &["none", "passive", "aggressive", "force"],
                "compression_algorithm" => &["none", "snappy", "zlib", "zstd", "lz4"],
                "fingerprint_algorithm" => &["none", "sha1", "sha256", "sha512"],
                _ => &[],
            };
            if !allowed.is_empty() && !allowed.contains(&val) && !val.is_empty() {
                return Err(einval(format!("unrecognized {var} '{val}'")));
            }
            if val.is_empty() {
                p.options.remove(var);
            } else {
                p.options.insert(var.into(), json!(val));
            }
        }
    }
    Ok(true)
}

pub(super) fn set(c: &Cmd) -> Result<Answer> {
    let pool = c.req("pool")?;
    let var = c.req("var")?;
    let val = match c.args.get("val") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => c.req("val")?.to_string(),
    };
    let id = lookup(c, pool)?;
    osdpool::update(&*c.cluster.backend()?, id, |p| Ok((set_var(c, pool, var, &val, p)?, ())))?;
    Ok((Vec::new(), format!("set pool {id} {var} to {val}")))
}

pub(super) fn get_quota(c: &Cmd) -> Result<Answer> {
    let pool = c.req("pool")?;
    let id = lookup(c, pool)?;
    let p = osdpool::get(&*c.cluster.backend()?, id)?;
    let v = json!({
        "pool_name": pool,
        "pool_id": id,
        "quota_max_objects": p.quota_max_objects,
        "quota_max_bytes": p.quota_max_bytes,
    });
    let out = c.out(&v, "pool_quotas", "item", || {
        let objects =
            if p.quota_max_objects == 0 { "N/A".into() } else { format!("{} objects", count(p.quota_max_objects)) };
        let max_bytes = if p.quota_max_bytes == 0 { "N/A".into() } else { bytes(p.quota_max_bytes) };
        format!("quotas for pool '{pool}':\n  max objects: {objects}\n  max bytes  : {max_bytes}\n")
    });
    Ok((out, String::new()))
}

pub(super) fn set_quota(c: &Cmd) -> Result<Answer> {
    let pool = c.req("pool")?;
    let field = c.req("field")?;
    let val = match c.args.get("val") {
        Some(Value::Number(n)) => n.to_string(),
        _ => c.req("val")?.to_string(),
    };
    let id = lookup(c, pool)?;
    let n = match field {
        "max_objects" => parse_si(&val)?,
        "max_bytes" => parse_iec(&val)?,
        other => return Err(einval(format!("unrecognized field '{other}'; should be 'max_bytes' or 'max_objects'"))),
    };
    osdpool::update(&*c.cluster.backend()?, id, |p| {
        if field == "max_objects" {
            p.quota_max_objects = n;
        } else {
            p.quota_max_bytes = n;
        }
        Ok((true, ()))
    })?;
    Ok((Vec::new(), format!("set-quota {field} = {n} for pool {pool}")))
}

pub(super) fn application_enable(c: &Cmd) -> Result<Answer> {
    let pool = c.req("pool")?;
    let app = c.req("app")?;
    lookup(c, pool)?;
    let before = osdpool::application_enable(c.cluster, pool, app, c.flag("yes_i_really_mean_it"))?;
    Ok((
        Vec::new(),
        if before {
            format!("application '{app}' already enabled on pool '{pool}'")
        } else {
            format!("enabled application '{app}' on pool '{pool}'")
        },
    ))
}

pub(super) fn application_disable(c: &Cmd) -> Result<Answer> {
    let pool = c.req("pool")?;
    let app = c.req("app")?;
    let id = lookup(c, pool)?;
    let sure = c.flag("yes_i_really_mean_it");
    let msg = osdpool::update(&*c.cluster.backend()?, id, |p| {
        if !p.application_metadata.contains_key(app) {
            return Ok((false, format!("application '{app}' is not enabled on pool '{pool}'")));
        }
        if !sure {
            return Err(eperm(
                "Are you SURE? Disabling an application within a pool might result in loss of application \
                 functionality; pass --yes-i-really-mean-it to proceed anyway",
            ));
        }
        p.application_metadata.remove(app);
        Ok((true, format!("disable application '{app}' on pool '{pool}'")))
    })?;
    Ok((Vec::new(), msg))
}

fn check_key(what: &str, k: &str) -> Result<()> {
    if k.len() > 128 {
        return Err(einval(format!("{what} '{k}' too long; max length 128")));
    }
    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(einval(format!("{what} '{k}' contains invalid characters")));
    }
    Ok(())
}

pub(super) fn application_set(c: &Cmd) -> Result<Answer> {
    let pool = c.req("pool")?;
    let app = c.req("app")?;
    let key = c.req("key")?;
    let value = c.req("value")?;
    check_key("key", key)?;
    if value.len() > 128 {
        return Err(einval(format!("value '{value}' too long; max length 128")));
    }
    let id = lookup(c, pool)?;
    osdpool::update(&*c.cluster.backend()?, id, |p| {
        let meta = p
            .application_metadata
            .get_mut(app)
            .ok_or_else(|| Error::msg(libc::ENOENT, format!("application '{app}' is not enabled on pool '{pool}'")))?;
        meta.insert(key.into(), value.into());
        Ok((true, ()))
    })?;
    Ok((Vec::new(), format!("set application '{app}' key '{key}' to '{value}' on pool '{pool}'")))
}

pub(super) fn application_rm(c: &Cmd) -> Result<Answer> {
    let pool = c.req("pool")?;
    let app = c.req("app")?;
    let key = c.req("key")?;
    let id = lookup(c, pool)?;
    let msg = osdpool::update(&*c.cluster.backend()?, id, |p| {
        let meta = p
            .application_metadata
            .get_mut(app)
            .ok_or_else(|| Error::msg(libc::ENOENT, format!("application '{app}' is not enabled on pool '{pool}'")))?;
        if meta.remove(key).is_none() {
            return Ok((false, format!("application '{app}' on pool '{pool}' does not have key '{key}'")));
        }
        Ok((true, format!("removed application '{app}' key '{key}' on pool '{pool}'")))
    })?;
    Ok((Vec::new(), msg))
}

pub(super) fn application_get(c: &Cmd) -> Result<Answer> {
    let b = c.cluster.backend()?;
    let Some(pool) = c.str("pool") else {
        let mut all = Map::new();
        for (id, name) in c.cluster.pool_list()? {
            let p = osdpool::get(&*b, id)?;
            all.insert(name, json!(p.application_metadata));
        }
        return Ok((c.out_json_default(&Value::Object(all), "pools", "item"), String::new()));
    };
    let id = lookup(c, pool)?;
    let p = osdpool::get(&*b, id)?;
    let Some(app) = c.str("app") else {
        return Ok((c.out_json_default(&json!(p.application_metadata), "pool", "item"), String::new()));
    };
    let meta: &BTreeMap<String, String> = p
        .application_metadata
        .get(app)
        .ok_or_else(|| Error::msg(libc::ENOENT, format!("pool '{pool}' has no application '{app}'")))?;
    let Some(key) = c.str("key") else {
        return Ok((c.out_json_default(&json!(meta), "application", "item"), String::new()));
    };
    let value = meta.get(key).ok_or_else(|| {
        Error::msg(libc::ENOENT, format!("application '{app}' on pool '{pool}' does not have key '{key}'"))
    })?;
    Ok((format!("{value}\n").into_bytes(), String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_parse() {
        assert_eq!(parse_iec("10G").unwrap(), 10 << 30);
        assert_eq!(parse_iec("512KiB").unwrap(), 512 << 10);
        assert_eq!(parse_iec("1024").unwrap(), 1024);
        assert!(parse_iec("x").is_err() && parse_iec("1Q").is_err() && parse_iec("").is_err());
        assert_eq!(parse_si("10k").unwrap(), 10_000);
        assert_eq!(parse_si("2M").unwrap(), 2_000_000);
        assert!(parse_si("-1").is_err());
    }

    #[test]
    fn detail_lines() {
        let mut p = PoolProps::default();
        p.last_change = 7;
        p.application_metadata.insert("rbd".into(), BTreeMap::new());
        assert_eq!(
            detail_line(1, "rbd", &p),
            "pool 1 'rbd' replicated size 3 min_size 2 crush_rule 0 object_hash rjenkins pg_num 32 pgp_num 32 \
             autoscale_mode on last_change 7 flags hashpspool stripe_width 0 application rbd"
        );
    }
}
