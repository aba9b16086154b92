//! `status` (`ceph -s`), `health`, `fsid`, `version(s)` and `mon dump`: the cluster as one
//! monitor, one manager and one OSD (the store), always healthy.

use super::df::pool_stats;
use super::text::{age, bytes, count};
use super::{version_line, Answer, Cmd, MON_NAME};
use crate::osdpool::{self, utime};
use crate::{Error, Result};
use rbdshim_backend::{Backend, PutMode};
use serde_json::{json, Value};

const CREATED: &str = "mon-created";
const V1_ADDR: &str = "127.0.0.1:6789";
const V2_ADDR: &str = "127.0.0.1:3300";

fn now() -> (u64, u32) {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (d.as_secs(), d.subsec_nanos())
}

/// When the monitor first answered for this store (its "creation"; the daemons' start).
fn created(b: &dyn Backend) -> Result<(u64, u32)> {
    let parse = |raw: &[u8]| -> Option<(u64, u32)> {
        let s = std::str::from_utf8(raw).ok()?;
        let (a, b) = s.trim().split_once('.')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    };
    if let Some(raw) = b.cluster_record_get(CREATED)? {
        return parse(&raw).ok_or_else(|| Error::Corrupt("mon-created record".into()));
    }
    let (s, n) = now();
    match b.cluster_record_put(CREATED, format!("{s}.{n}").as_bytes(), PutMode::Create) {
        Ok(()) => Ok((s, n)),
        Err(rbdshim_backend::Error::Exists) => created(b),
        Err(e) => Err(e.into()),
    }
}

fn health_json() -> Value {
    json!({"status": "HEALTH_OK", "checks": {}, "mutes": []})
}

pub(super) fn status(c: &Cmd) -> Result<Answer> {
    let b = c.cluster.backend()?;
    let fsid = b.fsid();
    let since = created(&*b)?;
    let up_for = now().0.saturating_sub(since.0);
    let epoch = osdpool::epoch(&*b)?;
    let u = c.cluster.usage()?;
    let pools = pool_stats(c)?;
    let num_pgs: u64 = pools.iter().map(|p| u64::from(p.props.pg_num)).sum();
    let objects: u64 = pools.iter().map(|p| p.objects).sum();
    let data: u64 = pools.iter().map(|p| p.stored).sum();
    let pgs_by_state = if num_pgs > 0 { json!([{"state_name": "active+clean", "count": num_pgs}]) } else { json!([]) };
    let v = json!({
        "fsid": fsid,
        "health": health_json(),
        "election_epoch": 3,
        "quorum": [0],
        "quorum_names": [MON_NAME],
        "quorum_age": up_for,
        "monmap": {"epoch": 1, "min_mon_release_name": "pacific", "num_mons": 1},
        "osdmap": {
            "epoch": epoch,
            "num_osds": 1,
            "num_up_osds": 1,
            "osd_up_since": since.0,
            "num_in_osds": 1,
            "osd_in_since": since.0,
            "num_remapped_pgs": 0,
        },
        "pgmap": {
            "pgs_by_state": pgs_by_state,
            "num_pgs": num_pgs,
            "num_pools": pools.len(),
            "num_objects": objects,
            "data_bytes": data,
            "bytes_used": u.used_bytes,
            "bytes_avail": u.avail_bytes,
            "bytes_total": u.total_bytes,
        },
        "fsmap": {"epoch": 1, "by_rank": [], "up:standby": 0},
        "mgrmap": {"available": true, "num_standbys": 0, "modules": ["iostat", "restful"], "services": {}},
        "servicemap": {"epoch": 1, "modified": utime(since.0, since.1), "services": {}},
        "progress_events": {},
    });
    let out = c.out(&v, "status", "item", || {
        let a = age(up_for);
        let mut s = format!("  cluster:\n    id:     {fsid}\n    health: HEALTH_OK\n \n  services:\n");
        s += &format!("    mon: 1 daemons, quorum {MON_NAME} (age {a})\n");
        s += &format!("    mgr: {MON_NAME}(active, since {a})\n");
        s += &format!("    osd: 1 osds: 1 up (since {a}), 1 in (since {a})\n \n  data:\n");
        s += &format!("    pools:   {} pools, {num_pgs} pgs\n", pools.len());
        s += &format!("    objects: {} objects, {}\n", count(objects), bytes(data));
        s += &format!(
            "    usage:   {} used, {} / {} avail\n",
            bytes(u.used_bytes),
            bytes(u.avail_bytes),
            bytes(u.total_bytes)
        );
        if num_pgs > 0 {
            s += &format!("    pgs:     {num_pgs} active+clean\n");
        }
        s + " \n"
    });
    Ok((out, String::new()))
}

pub(super) fn health(c: &Cmd) -> Result<Answer> {
    Ok((c.out(&health_json(), "health", "item", || "HEALTH_OK\n".into()), String::new()))
}

pub(super) fn fsid(c: &Cmd) -> Result<Answer> {
    let fsid = c.cluster.fsid()?;
    Ok((c.out(&json!({"fsid": fsid}), "fsid", "item", || format!("{fsid}\n")), String::new()))
}

pub(super) fn version(c: &Cmd) -> Result<Answer> {
    let line = version_line();
    Ok((c.out(&json!({"version": line}), "version", "item", || format!("{line}\n")), String::new()))
}

pub(super) fn versions(c: &Cmd) -> Result<Answer> {
    let line = version_line();
    let v = json!({
        "mon": {&line: 1},
        "mgr": {&line: 1},
        "osd": {&line: 1},
        "mds": {},
        "overall": {&line: 3},
    });
    Ok((c.out_json_default(&v, "versions", "item"), String::new()))
}

pub(super) fn mon_dump(c: &Cmd) -> Result<Answer> {
    if let Some(e) = c.int("epoch")? {
        if e != 1 {
            return Err(Error::msg(libc::ENOENT, format!("there is no map for epoch {e}")));
        }
    }
    let b = c.cluster.backend()?;
    let fsid = b.fsid();
    let (s, n) = created(&*b)?;
    let stamp = utime(s, n);
    let v = json!({
        "epoch": 1,
        "fsid": fsid,
        "modified": stamp,
        "created": stamp,
        "min_mon_release": 16,
        "min_mon_release_name": "pacific",
        "election_strategy": 1,
        "disallowed_leaders: ": "",
        "stretch_mode": false,
        "tiebreaker_mon": "",
        "features": {
            "persistent": ["kraken", "luminous", "mimic", "osdmap-prune", "nautilus", "octopus", "pacific", "elector-pinging"],
            "optional": [],
        },
        "mons": [{
            "rank": 0,
            "name": MON_NAME,
            "public_addrs": {"addrvec": [
                {"type": "v2", "addr": V2_ADDR, "nonce": 0},
                {"type": "v1", "addr": V1_ADDR, "nonce": 0},
            ]},
            "addr": format!("{V1_ADDR}/0"),
            "public_addr": format!("{V1_ADDR}/0"),
            "priority": 0,
            "weight": 0,
            "crush_location": "{}",
        }],
        "quorum": [0],
    });
    let out = c.out(&v, "monmap", "mon", || {
        format!(
            "epoch 1\nfsid {fsid}\nlast_changed {stamp}\ncreated {stamp}\nmin_mon_release 16 (pacific)\n\
             election_strategy: 1\n0: [v2:{V2_ADDR}/0,v1:{V1_ADDR}/0] mon.{MON_NAME}\n"
        )
    });
    Ok((out, "dumped monmap epoch 1".into()))
}
