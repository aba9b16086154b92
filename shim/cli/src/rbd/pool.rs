//! Pool-level commands: pool init/stats, trash, namespaces and configuration overrides.

use super::{output, Ctx0, Fmt, Loc};
use crate::error::Ctx;
use crate::output::Table;
use crate::progress::Progress;
use crate::spec::{pool_spec, Snap};
use crate::units::{bytes, ctime};
use crate::{CliError, CliResult};
use clap::Subcommand;
use rbdshim_core::header::Timestamp;
use rbdshim_core::{manage, pool as core_pool};
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum PoolCmd {
    /// Initialize pool for use by RBD.
    Init {
        #[arg(short = 'p', long)]
        pool: Option<String>,
        /// force initialize pool for RBD use if registered by another application
        #[arg(long)]
        force: bool,
        pool_name: Option<String>,
    },
    /// Display pool statistics.
    Stats {
        #[arg(short = 'p', long)]
        pool: Option<String>,
        #[arg(long)]
        namespace: Option<String>,
        #[command(flatten)]
        fmt: Fmt,
        pool_spec: Option<String>,
    },
}

pub fn pool(cx: &mut Ctx0, cmd: PoolCmd) -> CliResult<()> {
    match cmd {
        PoolCmd::Init { pool, force: _, pool_name } => {
            let dp = cx.default_pool()?;
            let (p, _) = pool_spec(pool_name.as_deref(), pool.as_deref(), None, &dp)?;
            cx.ioctx(&p, "")?;
            Ok(())
        }
        PoolCmd::Stats { pool, namespace, fmt, pool_spec: spec } => {
            let out = output(&fmt)?;
            let dp = cx.default_pool()?;
            let (p, ns) = pool_spec(spec.as_deref(), pool.as_deref(), namespace.as_deref(), &dp)?;
            let io = cx.ioctx(&p, &ns)?;
            let st = core_pool::stats(&io).ctx(|| "rbd: failed to query pool stats".into())?;
            if out.is_plain() {
                let trash = |n: u64, f: String| if n > 0 { format!(" ({f} in trash)") } else { String::new() };
                println!("Total Images: {}{}", st.image_count, trash(st.trash_count, st.trash_count.to_string()));
                println!(
                    "Total Snapshots: {}{}",
                    st.image_snap_count,
                    trash(st.trash_snap_count, st.trash_snap_count.to_string())
                );
                println!(
                    "Provisioned Size: {}{}",
                    bytes(st.image_max_provisioned_bytes),
                    trash(st.trash_count, bytes(st.trash_max_provisioned_bytes))
                );
                return Ok(());
            }
            let v = json!({
                "images": {"count": st.image_count, "provisioned_bytes": st.image_max_provisioned_bytes,
                           "snap_count": st.image_snap_count},
                "trash": {"count": st.trash_count, "provisioned_bytes": st.trash_max_provisioned_bytes,
                          "snap_count": st.trash_snap_count},
            });
            out.emit(&v, "stats", "item")
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum TrashCmd {
    /// Move an image to the trash.
    #[command(visible_alias = "move")]
    Mv {
        #[command(flatten)]
        loc: Loc,
        /// set the expiration time of an image so it can be purged when it is stale
        #[arg(long = "expires-at")]
        expires_at: Option<String>,
        spec: Option<String>,
    },
    /// List trash images.
    #[command(visible_alias = "list")]
    Ls {
        #[arg(short = 'p', long)]
        pool: Option<String>,
        #[arg(long)]
        namespace: Option<String>,
        /// list images from all sources
        #[arg(short = 'a', long)]
        all: bool,
        /// long listing format
        #[arg(short = 'l', long)]
        long: bool,
        #[command(flatten)]
        fmt: Fmt,
        pool_spec: Option<String>,
    },
    /// Restore an image from trash.
    Restore {
        #[arg(short = 'p', long)]
        pool: Option<String>,
        #[arg(long)]
        namespace: Option<String>,
        #[arg(long = "image-id")]
        image_id_opt: Option<String>,
        /// image name
        #[arg(long)]
        image: Option<String>,
        image_id: Option<String>,
    },
    /// Remove an image from trash.
    #[command(visible_alias = "remove")]
    Rm {
        #[arg(short = 'p', long)]
        pool: Option<String>,
        #[arg(long)]
        namespace: Option<String>,
        #[arg(long = "image-id")]
        image_id_opt: Option<String>,
        #[arg(long = "no-progress")]
        no_progress: bool,
        /// force remove of non-expired delayed images
        #[arg(long)]
        force: bool,
        image_id: Option<String>,
    },
    /// Remove all expired images from trash.
    Purge {
        #[arg(short = 'p', long)]
        pool: Option<String>,
        #[arg(long)]
        namespace: Option<String>,
        #[arg(long = "no-progress")]
        no_progress: bool,
        /// purges images that expired before the given date
        #[arg(long = "expired-before")]
        expired_before: Option<String>,
        /// purges images until the current pool data usage is reduced to X%, value range: 0.0-1.0
        #[arg(long)]
        threshold: Option<f64>,
        pool_spec: Option<String>,
    },
}

/// "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" (UTC) or seconds since the epoch.
fn parse_date(s: &str) -> CliResult<u64> {
    let bad = || CliError::usage(format!("rbd: error parsing date '{s}'"));
    if let Ok(n) = s.trim().parse::<u64>() {
        return Ok(n);
    }
    let (date, time) = s.trim().split_once([' ', 'T']).unwrap_or((s.trim(), "00:00:00"));
    let d: Vec<i64> = date.split('-').map(|x| x.parse().map_err(|_| bad())).collect::<CliResult<_>>()?;
    let t: Vec<i64> = time.split(':').map(|x| x.parse().map_err(|_| bad())).collect::<CliResult<_>>()?;
    let (&[y, m, day], [h, mi, sec]) = (
        d.as_slice(),
        [t.first().copied().unwrap_or(0), t.get(1).copied().unwrap_or(0), t.get(2).copied().unwrap_or(0)],
    ) else {
        return Err(bad());
    };
    if !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&mi)
        || !(0..61).contains(&sec)
    {
        return Err(bad());
    }
    // Days from the civil date (proleptic Gregorian), then seconds.
    let (yy, mm) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let t = days * 86400 + h * 3600 + mi * 60 + sec;
    u64::try_from(t).map_err(|_| bad())
}

pub fn trash(cx: &mut Ctx0, cmd: TrashCmd) -> CliResult<()> {
    match cmd {
        TrashCmd::Mv { loc, expires_at, spec } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
            let io = cx.ioctx(&s.pool, &s.ns)?;
            let now = Timestamp::now().sec;
            let delay = match expires_at {
                Some(d) => {
                    let at = parse_date(&d)?;
                    if at < now {
                        return Err(CliError::usage("rbd: cannot use a date in the past as an expiration date"));
                    }
                    at - now
                }
                None => 0,
            };
            manage::trash_move(&io, &s.image, delay).map(|_| ()).map_err(|e| {
                if e.errno() == libc::EBUSY {
                    eprintln!("rbd: image has watchers - not moving");
                }
                CliError::new("rbd: deferred delete error", e.errno())
            })
        }
        TrashCmd::Ls { pool, namespace, all: _, long, fmt, pool_spec: spec } => {
            let out = output(&fmt)?;
            let dp = cx.default_pool()?;
            let (p, ns) = pool_spec(spec.as_deref(), pool.as_deref(), namespace.as_deref(), &dp)?;
            let io = cx.ioctx(&p, &ns)?;
            let entries = manage::trash_list(&io).ctx(|| "rbd: trash list failed".into())?;
            let now = Timestamp::now().sec;
            let status = |e: &manage::TrashEntry| {
                if e.deferment_end_time <= now {
                    format!("expired at {}", ctime(e.deferment_end_time))
                } else {
                    format!("protected until {}", ctime(e.deferment_end_time))
                }
            };
            if out.is_plain() {
                if !long {
                    for e in &entries {
                        println!("{} {}", e.id, e.name);
                    }
                    return Ok(());
                }
                if entries.is_empty() {
                    return Ok(());
                }
                let mut t = Table::new(&[
                    ("ID", false),
                    ("NAME", false),
                    ("SOURCE", false),
                    ("DELETED_AT", false),
                    ("STATUS", false),
                    ("PARENT", false),
                ]);
                for e in &entries {
                    t.row(vec![
                        e.id.clone(),
                        e.name.clone(),
                        "USER".into(),
                        ctime(e.deletion_time),
                        status(e),
                        String::new(),
                    ]);
                }
                print!("{}", t.render());
                return Ok(());
            }
            let v: Vec<Value> = entries
                .iter()
                .map(|e| {
                    if long {
                        json!({"id": e.id, "name": e.name, "source": "USER", "deleted_at": ctime(e.deletion_time),
                               "status": status(e)})
                    } else {
                        json!({"id": e.id, "name": e.name})
                    }
                })
                .collect();
            out.emit(&Value::Array(v), "trash", "image")
        }
        TrashCmd::Restore { pool, namespace, image_id_opt, image, image_id } => {
            let dp = cx.default_pool()?;
            let (p, ns, id) =
                trash_id(image_id.as_deref().or(image_id_opt.as_deref()), pool.as_deref(), namespace.as_deref(), &dp)?;
            let io = cx.ioctx(&p, &ns)?;
            manage::trash_restore(&io, &id, image.as_deref().unwrap_or("")).ctx(|| "rbd: restore error".into())
        }
        TrashCmd::Rm { pool, namespace, image_id_opt, no_progress, force, image_id } => {
            let dp = cx.default_pool()?;
            let (p, ns, id) =
                trash_id(image_id.as_deref().or(image_id_opt.as_deref()), pool.as_deref(), namespace.as_deref(), &dp)?;
            let io = cx.ioctx(&p, &ns)?;
            let mut pr = Progress::new("Removing image", no_progress);
            match manage::trash_remove(&io, &id, force) {
                Ok(()) => {
                    pr.finish();
                    Ok(())
                }
                Err(e) => {
                    pr.fail();
                    match e.errno() {
                        libc::EPERM => eprintln!(
                            "rbd: error: deferment time has not expired, please use --force if you are sure to delete \
                             the image"
                        ),
                        libc::ENOTEMPTY => eprintln!(
                            "rbd: image has snapshots - these must be deleted with 'rbd snap purge' before the image \
                             can be removed."
                        ),
                        libc::EBUSY => eprintln!("rbd: error: image still has watchers"),
                        _ => {}
                    }
                    Err(CliError::new("rbd: remove error", e.errno()))
                }
            }
        }
        TrashCmd::Purge { pool, namespace, no_progress, expired_before, threshold, pool_spec: spec } => {
            if let Some(t) = threshold {
                if !(0.0..=1.0).contains(&t) {
                    return Err(CliError::usage("rbd: argument 'threshold' is out of valid range"));
                }
            }
            let dp = cx.default_pool()?;
            let (p, ns) = pool_spec(spec.as_deref(), pool.as_deref(), namespace.as_deref(), &dp)?;
            let io = cx.ioctx(&p, &ns)?;
            let ts = match expired_before {
                Some(d) => parse_date(&d)?,
                None => 0,
            };
            let mut pr = Progress::new("Removing images", no_progress);
            match manage::trash_purge(&io, ts) {
                Ok(()) => {
                    pr.finish();
                    Ok(())
                }
                Err(e) => {
                    pr.fail();
                    Err(CliError::new("rbd: error purging trash", e.errno()))
                }
            }
        }
    }
}

/// `[pool/[ns/]]image-id`.
fn trash_id(spec: Option<&str>, pool: Option<&str>, ns: Option<&str>, dp: &str) -> CliResult<(String, String, String)> {
    let spec = spec.filter(|s| !s.is_empty()).ok_or_else(|| CliError::usage("rbd: image id was not specified"))?;
    let parts: Vec<&str> = spec.split('/').collect();
    let (p, n, id) = match parts.as_slice() {
        [id] => (pool.unwrap_or(dp), ns.unwrap_or(""), *id),
        [p, id] => (*p, ns.unwrap_or(""), *id),
        [p, n, id] => (*p, *n, *id),
        _ => return Err(CliError::usage(format!("rbd: invalid spec '{spec}'"))),
    };
    Ok((p.to_string(), n.to_string(), id.to_string()))
}

#[derive(Subcommand, Debug)]
pub enum NamespaceCmd {
    /// Create an RBD image namespace.
    Create {
        #[arg(short = 'p', long)]
        pool: Option<String>,
        #[arg(long)]
        namespace: Option<String>,
        pool_spec: Option<String>,
    },
    /// List RBD image namespaces.
    #[command(visible_alias = "list")]
    Ls {
        #[arg(short = 'p', long)]
        pool: Option<String>,
        #[command(flatten)]
        fmt: Fmt,
        pool_name: Option<String>,
    },
    /// Remove an RBD image namespace.
    #[command(visible_alias = "remove")]
    Rm {
        #[arg(short = 'p', long)]
        pool: Option<String>,
        #[arg(long)]
        namespace: Option<String>,
        pool_spec: Option<String>,
    },
}

pub fn namespace(cx: &mut Ctx0, cmd: NamespaceCmd) -> CliResult<()> {
    let dp = cx.default_pool()?;
    match cmd {
        NamespaceCmd::Create { pool, namespace, pool_spec: spec } => {
            let (p, ns) = pool_spec(spec.as_deref(), pool.as_deref(), namespace.as_deref(), &dp)?;
            if ns.is_empty() {
                return Err(CliError::usage("rbd: namespace name was not specified"));
            }
            let io = cx.ioctx(&p, "")?;
            manage::namespace_create(&io, &ns).ctx(|| "rbd: failed to created namespace".into())
        }
        NamespaceCmd::Rm { pool, namespace, pool_spec: spec } => {
            let (p, ns) = pool_spec(spec.as_deref(), pool.as_deref(), namespace.as_deref(), &dp)?;
            if ns.is_empty() {
                return Err(CliError::usage("rbd: namespace name was not specified"));
            }
            let io = cx.ioctx(&p, "")?;
            manage::namespace_remove(&io, &ns).ctx(|| "rbd: failed to remove namespace".into())
        }
        NamespaceCmd::Ls { pool, fmt, pool_name } => {
            let out = output(&fmt)?;
            let (p, _) = pool_spec(pool_name.as_deref(), pool.as_deref(), None, &dp)?;
            let io = cx.ioctx(&p, "")?;
            let names = manage::namespace_list(&io).ctx(|| "rbd: failed to list namespaces".into())?;
            if out.is_plain() {
                if !names.is_empty() {
                    println!("NAME");
                    for n in &names {
                        println!("{n}");
                    }
                }
                return Ok(());
            }
            let v: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
            out.emit(&Value::Array(v), "namespaces", "namespace")
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Pool-level configuration overrides.
    Pool {
        #[command(subcommand)]
        cmd: ConfigOp,
    },
    /// Image-level configuration overrides.
    Image {
        #[command(subcommand)]
        cmd: ConfigOp,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConfigOp {
    /// Get a configuration override.
    Get {
        #[command(flatten)]
        loc: Loc,
        target: Option<String>,
        key: Option<String>,
    },
    /// Set a configuration override.
    Set {
        #[command(flatten)]
        loc: Loc,
        target: Option<String>,
        key: Option<String>,
        value: Option<String>,
    },
    /// List configuration overrides.
    #[command(visible_alias = "ls")]
    List {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        fmt: Fmt,
        target: Option<String>,
    },
    /// Remove a configuration override.
    #[command(visible_alias = "rm")]
    Remove {
        #[command(flatten)]
        loc: Loc,
        target: Option<String>,
        key: Option<String>,
    },
}

fn check_key(key: &Option<String>) -> CliResult<String> {
    let k =
        key.as_deref().filter(|k| !k.is_empty()).ok_or_else(|| CliError::usage("rbd: config key was not specified"))?;
    if !k.starts_with("rbd_") || k.len() == 4 {
        return Err(CliError::usage(format!("rbd: invalid config key: {k}")));
    }
    Ok(k.to_string())
}

/// Where overrides live: pool metadata or image metadata, both under "conf_<option>".
enum Target {
    Pool(rbdshim_core::IoCtx),
    Image(rbdshim_core::Image),
}

impl Target {
    fn get(&self, k: &str) -> rbdshim_core::Result<String> {
        match self {
            Target::Pool(io) => core_pool::metadata_get(io, k),
            Target::Image(i) => i.metadata_get(k),
        }
    }
    fn set(&self, k: &str, v: &str) -> rbdshim_core::Result<()> {
        match self {
            Target::Pool(io) => core_pool::metadata_set(io, k, v),
            Target::Image(i) => i.metadata_set(k, v),
        }
    }
    fn remove(&self, k: &str) -> rbdshim_core::Result<()> {
        match self {
            Target::Pool(io) => core_pool::metadata_remove(io, k),
            Target::Image(i) => i.metadata_remove(k),
        }
    }
    fn list(&self) -> rbdshim_core::Result<Vec<(String, String, &'static str)>> {
        let mut v: Vec<(String, String, &'static str)> = Vec::new();
        let pool_io = match self {
            Target::Pool(io) => io.clone(),
            Target::Image(i) => i.ioctx().clone(),
        };
        for (k, val) in core_pool::metadata_list(&pool_io, "", 0)? {
            if let Some(o) = k.strip_prefix(core_pool::CONF_PREFIX) {
                v.push((o.to_string(), val, "pool"));
            }
        }
        if let Target::Image(i) = self {
            for (k, val) in i.metadata_list("", 0)? {
                if let Some(o) = k.strip_prefix(core_pool::CONF_PREFIX) {
                    v.retain(|(n, _, _)| n != o);
                    v.push((o.to_string(), val, "image"));
                }
            }
        }
        v.sort();
        Ok(v)
    }
}

pub fn config(cx: &mut Ctx0, cmd: ConfigCmd) -> CliResult<()> {
    let (image_level, op) = match cmd {
        ConfigCmd::Pool { cmd } => (false, cmd),
        ConfigCmd::Image { cmd } => (true, cmd),
    };
    let (loc, target) = match &op {
        ConfigOp::Get { loc, target, .. }
        | ConfigOp::Set { loc, target, .. }
        | ConfigOp::List { loc, target, .. }
        | ConfigOp::Remove { loc, target, .. } => (loc.clone(), target.clone()),
    };
    let t = if image_level {
        let s = cx.spec(&loc, target.as_deref(), Snap::None)?;
        Target::Image(cx.open(&s, false)?)
    } else {
        let dp = cx.default_pool()?;
        let p = target.or(loc.pool.clone()).unwrap_or(dp);
        Target::Pool(cx.ioctx(&p, "")?)
    };
    let r = match op {
        ConfigOp::Get { key, .. } => {
            let k = check_key(&key)?;
            match t.get(&format!("conf_{k}")) {
                Ok(v) => {
                    println!("{v}");
                    Ok(())
                }
                Err(e) if e.errno() == libc::ENOENT => Err(CliError::new(format!("rbd: {k} is not set"), libc::ENOENT)),
                Err(e) => Err(CliError::new("rbd: failed to get config", e.errno())),
            }
        }
        ConfigOp::Set { key, value, .. } => {
            let k = check_key(&key)?;
            let v = value.ok_or_else(|| CliError::usage("rbd: config value was not specified"))?;
            t.set(&format!("conf_{k}"), &v).ctx(|| "rbd: failed to set config".into())
        }
        ConfigOp::Remove { key, .. } => {
            let k = check_key(&key)?;
            match t.remove(&format!("conf_{k}")) {
                Err(e) if e.errno() == libc::ENOENT => Err(CliError::new(format!("rbd: {k} is not set"), libc::ENOENT)),
                r => r.ctx(|| "rbd: failed to remove config".into()),
            }
        }
        ConfigOp::List { fmt, .. } => {
            let out = output(&fmt)?;
            let items = t.list().ctx(|| "rbd: failed to list config".into())?;
            if out.is_plain() {
                let mut tb = Table::new(&[("Name", false), ("Value", false), ("Source", false)]);
                for (k, v, s) in &items {
                    tb.row(vec![k.clone(), v.clone(), s.to_string()]);
                }
                print!("{}", tb.render());
                Ok(())
            } else {
                let v: Vec<Value> = items.iter().map(|(k, v, s)| json!({"name": k, "value": v, "source": s})).collect();
                out.emit(&Value::Array(v), "config", "option")
            }
        }
    };
    if let Target::Image(i) = t {
        let _ = i.close();
    }
    r
}
