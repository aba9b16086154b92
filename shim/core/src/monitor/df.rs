//! `df [detail]`: raw capacity by device class and usage by pool, and the per-pool figures
//! `status` summarises.

use super::text::{bytes, count, percent, Table};
use super::{Answer, Cmd};
use crate::osdpool::{self, PoolProps};
use crate::Result;
use rbdshim_backend::{PoolId, Usage};
use serde_json::{json, Value};

/// The store reports as one device class.
const CLASS: &str = "hdd";

pub(super) struct PoolStat {
    pub id: PoolId,
    pub name: String,
    pub props: PoolProps,
    /// Bytes the pool takes in the store.
    pub stored: u64,
    /// Named (rados) objects in the pool, all namespaces.
    pub objects: u64,
}

pub(super) fn pool_stats(c: &Cmd) -> Result<Vec<PoolStat>> {
    let b = c.cluster.backend()?;
    let mut out = Vec::new();
    for (id, name) in b.pool_list()? {
        // A pool removed while we look is simply not listed.
        let (Ok(props), Ok(stored), Ok(objects)) = (osdpool::get(&*b, id), b.pool_used(id), b.objects().list(id, None))
        else {
            continue;
        };
        out.push(PoolStat { id, name, props, stored, objects: objects.len() as u64 });
    }
    Ok(out)
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn quota_text(v: u64, f: fn(u64) -> String) -> String {
    if v == 0 {
        "N/A".to_string()
    } else {
        f(v)
    }
}

fn raw_json(u: &Usage) -> Value {
    json!({
        "total_bytes": u.total_bytes,
        "total_avail_bytes": u.avail_bytes,
        "total_used_bytes": u.used_bytes,
        "total_used_raw_bytes": u.used_bytes,
        "total_used_raw_ratio": ratio(u.used_bytes, u.total_bytes),
    })
}

pub(super) fn df(c: &Cmd) -> Result<Answer> {
    let detail = c.str("detail") == Some("detail");
    let u = c.cluster.usage()?;
    let pools = pool_stats(c)?;
    let mut stats = raw_json(&u);
    stats["num_osds"] = json!(1);
    stats["num_per_pool_osds"] = json!(1);
    stats["num_per_pool_omap_osds"] = json!(1);
    let pool_json: Vec<Value> = pools
        .iter()
        .map(|p| {
            let mut s = json!({
                "stored": p.stored,
                "objects": p.objects,
                "kb_used": p.stored.div_ceil(1024),
                "bytes_used": p.stored,
                "percent_used": ratio(p.stored, p.stored + u.avail_bytes),
                "max_avail": u.avail_bytes,
            });
            if detail {
                let extra = json!({
                    "quota_objects": p.props.quota_max_objects,
                    "quota_bytes": p.props.quota_max_bytes,
                    "dirty": 0,
                    "rd": 0,
                    "rd_bytes": 0,
                    "wr": 0,
                    "wr_bytes": 0,
                    "compress_bytes_used": 0,
                    "compress_under_bytes": 0,
                    "stored_raw": p.stored,
                    "avail_raw": u.avail_bytes,
                });
                if let (Some(s), Value::Object(e)) = (s.as_object_mut(), extra) {
                    s.extend(e);
                }
            }
            json!({"name": p.name, "id": p.id, "stats": s})
        })
        .collect();
    let v = json!({
        "stats": stats,
        "stats_by_class": {CLASS: raw_json(&u)},
        "pools": pool_json,
    });
    let out = c.out(&v, "stats", "pool", || {
        let mut raw = Table::new(&[
            ("CLASS", false),
            ("SIZE", true),
            ("AVAIL", true),
            ("USED", true),
            ("RAW USED", true),
            ("%RAW USED", true),
        ]);
        let pct = percent(ratio(u.used_bytes, u.total_bytes) * 100.0);
        for class in [CLASS, "TOTAL"] {
            raw.row(vec![
                class.to_string(),
                bytes(u.total_bytes),
                bytes(u.avail_bytes),
                bytes(u.used_bytes),
                bytes(u.used_bytes),
                pct.clone(),
            ]);
        }
        let mut cols = vec![("POOL", false), ("ID", true), ("PGS", true), ("STORED", true)];
        if detail {
            cols.extend([("(DATA)", true), ("(OMAP)", true)]);
        }
        cols.extend([("OBJECTS", true), ("USED", true)]);
        if detail {
            cols.extend([("(DATA)", true), ("(OMAP)", true)]);
        }
        cols.extend([("%USED", true), ("MAX AVAIL", true)]);
        if detail {
            cols.extend([
                ("QUOTA OBJECTS", true),
                ("QUOTA BYTES", true),
                ("DIRTY", true),
                ("USED COMPR", true),
                ("UNDER COMPR", true),
            ]);
        }
        let mut t = Table::new(&cols);
        for p in &pools {
            let mut row = vec![p.name.clone(), p.id.to_string(), p.props.pg_num.to_string(), bytes(p.stored)];
            if detail {
                row.extend([bytes(p.stored), bytes(0)]);
            }
            row.extend([count(p.objects), bytes(p.stored)]);
            if detail {
                row.extend([bytes(p.stored), bytes(0)]);
            }
            row.extend([percent(ratio(p.stored, p.stored + u.avail_bytes) * 100.0), bytes(u.avail_bytes)]);
            if detail {
                row.extend([
                    quota_text(p.props.quota_max_objects, count),
                    quota_text(p.props.quota_max_bytes, bytes),
                    "N/A".into(),
                    bytes(0),
                    bytes(0),
                ]);
            }
            t.row(row);
        }
        format!("--- RAW STORAGE ---\n{}\n--- POOLS ---\n{}", raw.render(), t.render())
    });
    Ok((out, String::new()))
}
