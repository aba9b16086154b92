//! Answers to the monitor commands clients send (`rados_mon_command`, `ceph ...`), shaped as
//! Ceph 16.2 shapes them, from what the store knows. One implementation for the Python module,
//! the C library and the CLI.

use crate::cluster::Cluster;
use crate::{Error, Result};
use serde_json::{json, Value};

/// The one monitor this store presents (mon.rbdshim).
pub const MON_NAME: &str = "rbdshim";

/// rados_ping_monitor: the monitor's reply to a ping, as JSON text; -ENOENT for another mon.
pub fn ping(cluster: &std::sync::Arc<Cluster>, mon_id: &str) -> Result<String> {
    if mon_id != MON_NAME {
        return Err(Error::NotFound);
    }
    let reply = json!({
        "health": {"status": "HEALTH_OK", "checks": {}},
        "mon_status": {
            "name": MON_NAME,
            "rank": 0,
            "state": "leader",
            "quorum": [0],
            "monmap": {"fsid": cluster.fsid()?, "epoch": 1},
        },
    });
    Ok(reply.to_string())
}

/// Runs a JSON command; returns (output, status string). Unknown commands are -EINVAL.
pub fn command(cluster: &std::sync::Arc<Cluster>, cmd: &str) -> Result<(Vec<u8>, String)> {
    let v: Value = serde_json::from_str(cmd).map_err(|_| Error::InvalidArgument("command is not JSON"))?;
    let prefix = v.get("prefix").and_then(Value::as_str).ok_or(Error::InvalidArgument("command without prefix"))?;
    let fsid = cluster.fsid()?;
    let out = match prefix {
        "df" => {
            let u = cluster.usage()?;
            let mut pools = Vec::new();
            for (id, name) in cluster.pool_list()? {
                let used = cluster.ioctx(&name)?.pool_used()?;
                pools.push(json!({
                    "name": name,
                    "id": id,
                    "stats": {
                        "stored": used,
                        "objects": 0,
                        "kb_used": used.div_ceil(1024),
                        "bytes_used": used,
                        "percent_used": if u.total_bytes > 0 { used as f64 / u.total_bytes as f64 } else { 0.0 },
                        "max_avail": u.avail_bytes,
                    }
                }));
            }
            json!({
                "stats": {
                    "total_bytes": u.total_bytes,
                    "total_avail_bytes": u.avail_bytes,
                    "total_used_bytes": u.used_bytes,
                    "total_used_raw_bytes": u.used_bytes,
                    "total_used_raw_ratio": if u.total_bytes > 0 { u.used_bytes as f64 / u.total_bytes as f64 } else { 0.0 },
                    "num_osds": 1,
                    "num_per_pool_osds": 1,
                    "num_per_pool_omap_osds": 1,
                },
                "stats_by_class": {},
                "pools": pools,
            })
        }
        "osd pool get-quota" => {
            let name = v.get("pool").and_then(Value::as_str).ok_or(Error::InvalidArgument("pool missing"))?;
            let id = cluster.pool_lookup(name)?;
            json!({"pool_name": name, "pool_id": id, "quota_max_objects": 0, "quota_max_bytes": 0})
        }
        "osd lspools" => Value::Array(
            cluster.pool_list()?.into_iter().map(|(id, name)| json!({"poolnum": id, "poolname": name})).collect(),
        ),
        "osd pool ls" => Value::Array(cluster.pool_list()?.into_iter().map(|(_, n)| json!(n)).collect()),
        "mon dump" => json!({
            "epoch": 1,
            "fsid": fsid,
            "min_mon_release_name": "pacific",
            "mons": [{
                "rank": 0,
                "name": MON_NAME,
                "public_addrs": {"addrvec": [{"type": "v1", "addr": "127.0.0.1:6789", "nonce": 0}]},
                "addr": "127.0.0.1:6789/0",
                "public_addr": "127.0.0.1:6789/0",
            }],
            "quorum": [0],
        }),
        "fsid" => json!({"fsid": fsid}),
        "status" | "health" => json!({
            "fsid": fsid,
            "health": {"status": "HEALTH_OK", "checks": {}},
            "quorum_names": [MON_NAME],
        }),
        _ => return Err(Error::InvalidArgument("command not known")),
    };
    Ok((serde_json::to_vec(&out)?, String::new()))
}
