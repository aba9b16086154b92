//! `rbd snap ...`: list, create, remove, purge, roll back, protect, unprotect, rename.

use super::{output, Ctx0, Fmt, Loc};
use crate::error::Ctx;
use crate::output::Table;
use crate::progress::Progress;
use crate::spec::Snap;
use crate::units::{bytes, ctime};
use crate::{CliError, CliResult};
use clap::Subcommand;
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum SnapCmd {
    /// Dump list of image snapshots.
    #[command(visible_alias = "list")]
    Ls {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        fmt: Fmt,
        /// list snapshots from all namespaces
        #[arg(short = 'a', long)]
        all: bool,
        spec: Option<String>,
    },
    /// Create a snapshot.
    #[command(visible_alias = "add")]
    Create {
        #[command(flatten)]
        loc: Loc,
        /// do not run quiesce hooks
        #[arg(long = "skip-quiesce")]
        skip_quiesce: bool,
        /// ignore quiesce hook error
        #[arg(long = "ignore-quiesce-error")]
        ignore_quiesce_error: bool,
        #[arg(long = "no-progress")]
        no_progress: bool,
        spec: Option<String>,
    },
    /// Delete a snapshot.
    #[command(visible_alias = "remove")]
    Rm {
        #[command(flatten)]
        loc: Loc,
        /// snapshot id
        #[arg(long = "snap-id")]
        snap_id: Option<u64>,
        #[arg(long = "no-progress")]
        no_progress: bool,
        /// unprotect the snapshot if needed
        #[arg(long)]
        force: bool,
        spec: Option<String>,
    },
    /// Delete all unprotected snapshots.
    Purge {
        #[command(flatten)]
        loc: Loc,
        #[arg(long = "no-progress")]
        no_progress: bool,
        spec: Option<String>,
    },
    /// Rollback image to snapshot.
    #[command(visible_alias = "revert")]
    Rollback {
        #[command(flatten)]
        loc: Loc,
        #[arg(long = "no-progress")]
        no_progress: bool,
        spec: Option<String>,
    },
    /// Prevent a snapshot from being deleted.
    Protect {
        #[command(flatten)]
        loc: Loc,
        spec: Option<String>,
    },
    /// Allow a snapshot to be deleted.
    Unprotect {
        #[command(flatten)]
        loc: Loc,
        spec: Option<String>,
    },
    /// Rename a snapshot.
    Rename {
        #[command(flatten)]
        loc: Loc,
        /// destination snapshot name
        #[arg(long = "dest-snap")]
        dest_snap: Option<String>,
        src_spec: Option<String>,
        dest_spec: Option<String>,
    },
}

pub fn run(cx: &mut Ctx0, cmd: SnapCmd) -> CliResult<()> {
    match cmd {
        SnapCmd::Ls { loc, fmt, all, spec } => {
            let out = output(&fmt)?;
            let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
            let img = cx.open(&s, true)?;
            let mut snaps = img.snap_list().ctx(|| "rbd: failed to list snapshots".into())?;
            // Snapshots in the trash namespace only with --all, as rbd shows them.
            snaps.retain(|sn| all || sn.trash_name.is_none());
            let _ = img.close();
            if out.is_plain() {
                if snaps.is_empty() {
                    return Ok(());
                }
                let mut t = Table::new(&[
                    ("SNAPID", true),
                    ("NAME", false),
                    ("SIZE", true),
                    ("PROTECTED", false),
                    ("TIMESTAMP", false),
                ]);
                for sn in &snaps {
                    t.row(vec![
                        sn.id.to_string(),
                        sn.name.clone(),
                        bytes(sn.size),
                        if sn.protected { "yes".into() } else { String::new() },
                        ctime(sn.timestamp.sec),
                    ]);
                }
                print!("{}", t.render());
                return Ok(());
            }
            let v: Vec<Value> = snaps
                .iter()
                .map(|sn| {
                    json!({"id": sn.id, "name": sn.name, "size": sn.size,
                           "protected": if sn.protected { "true" } else { "false" },
                           "timestamp": ctime(sn.timestamp.sec)})
                })
                .collect();
            out.emit(&Value::Array(v), "snapshots", "snapshot")
        }
        SnapCmd::Create { loc, skip_quiesce: _, ignore_quiesce_error: _, no_progress, spec } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::Required)?;
            let img = cx.open(&super::ImageSpec { snap: None, ..s.clone() }, false)?;
            let name = s.snap.unwrap_or_default();
            let p = Progress::new("Creating snap", no_progress);
            let r = img.snap_create(&name).and_then(|_| img.close());
            p.end(r.map(|_| ()), "rbd: failed to create snapshot")
        }
        SnapCmd::Rm { loc, snap_id, no_progress, force, spec } => {
            let snap_rule = if snap_id.is_some() { Snap::None } else { Snap::Required };
            let s = cx.spec(&loc, spec.as_deref(), snap_rule)?;
            let img = cx.open(&super::ImageSpec { snap: None, ..s.clone() }, false)?;
            let name = match (snap_id, &s.snap) {
                (Some(id), _) => img.snap_name(id).ctx(|| "rbd: failed to remove snapshot".into())?,
                (None, Some(n)) => n.clone(),
                (None, None) => return Err(CliError::usage("rbd: snapshot name was not specified")),
            };
            if img.snap_is_protected(&name).unwrap_or(false) {
                if force {
                    img.snap_unprotect(&name).ctx(|| "rbd: failed to unprotect snapshot".into())?;
                } else {
                    eprintln!("rbd: snapshot '{name}' is protected from removal.");
                    let _ = img.close();
                    return Err(CliError::new("rbd: failed to remove snapshot", libc::EBUSY));
                }
            }
            let p = Progress::new("Removing snap", no_progress);
            let r = img.snap_remove(&name).and_then(|_| img.close());
            p.end(r, "rbd: failed to remove snapshot")
        }
        SnapCmd::Purge { loc, no_progress, spec } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
            let img = cx.open(&s, false)?;
            let mut snaps = img.snap_list().ctx(|| "rbd: failed to list snapshots".into())?;
            snaps.retain(|sn| sn.trash_name.is_none());
            let protected: Vec<&str> = snaps.iter().filter(|x| x.protected).map(|x| x.name.as_str()).collect();
            let mut p = Progress::new("Removing all snapshots", no_progress);
            let total = snaps.len() as u64;
            for (i, sn) in snaps.iter().filter(|x| !x.protected).enumerate() {
                if let Err(e) = img.snap_remove(&sn.name) {
                    p.fail();
                    let _ = img.close();
                    return Err(CliError::new("rbd: removing snaps failed", e.errno()));
                }
                p.update(i as u64 + 1, total);
            }
            let _ = img.close();
            if !protected.is_empty() {
                p.fail();
                eprintln!(
                    "rbd: error removing snapshot(s) '{}', which {} protected - these must be unprotected with `rbd \
                     snap unprotect`.",
                    protected.join(", "),
                    if protected.len() == 1 { "is" } else { "are" }
                );
                return Err(CliError::silent(libc::EBUSY));
            }
            p.finish();
            Ok(())
        }
        SnapCmd::Rollback { loc, no_progress, spec } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::Required)?;
            let img = cx.open(&super::ImageSpec { snap: None, ..s.clone() }, false)?;
            let p = Progress::new("Rolling back to snapshot", no_progress);
            let r = img.snap_rollback(s.snap.as_deref().unwrap_or("")).and_then(|_| img.close());
            p.end(r, "rbd: rollback failed")
        }
        SnapCmd::Protect { loc, spec } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::Required)?;
            let img = cx.open(&super::ImageSpec { snap: None, ..s.clone() }, false)?;
            let name = s.snap.unwrap_or_default();
            if img.snap_is_protected(&name).unwrap_or(false) {
                let _ = img.close();
                eprintln!("rbd: snap is already protected");
                return Err(CliError::new("rbd: protecting snap failed", libc::EBUSY));
            }
            let r = img.snap_protect(&name).and_then(|_| img.close());
            r.ctx(|| "rbd: protecting snap failed".into())
        }
        SnapCmd::Unprotect { loc, spec } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::Required)?;
            let img = cx.open(&super::ImageSpec { snap: None, ..s.clone() }, false)?;
            let name = s.snap.unwrap_or_default();
            let r = img.snap_unprotect(&name).and_then(|_| img.close());
            r.ctx(|| "rbd: unprotecting snap failed".into())
        }
        SnapCmd::Rename { loc, dest_snap, src_spec, dest_spec } => {
            let s = cx.spec(&loc, src_spec.as_deref(), Snap::Required)?;
            let dest = match (dest_snap, dest_spec) {
                (Some(d), _) => d,
                (None, Some(d)) => {
                    let dl = Loc { pool: Some(s.pool.clone()), namespace: Some(s.ns.clone()), ..Default::default() };
                    let spec = if d.contains('@') { d } else { format!("{}@{}", s.image, d) };
                    let ds = cx.spec(&dl, Some(&spec), Snap::Required)?;
                    if ds.image != s.image || ds.pool != s.pool || ds.ns != s.ns {
                        return Err(CliError::usage("rbd: source and destination image names must match"));
                    }
                    ds.snap.unwrap_or_default()
                }
                (None, None) => return Err(CliError::usage("rbd: destination snapshot name was not specified")),
            };
            let img = cx.open(&super::ImageSpec { snap: None, ..s.clone() }, false)?;
            let r = img.snap_rename(s.snap.as_deref().unwrap_or(""), &dest).and_then(|_| img.close());
            r.ctx(|| "rbd: renaming snap failed".into())
        }
    }
}
