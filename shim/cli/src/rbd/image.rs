//! Image commands: ls, info, create, rm, mv, cp, deep cp, resize, clone, flatten, children,
//! du, diff, status, image-meta, lock, watch, feature.

use super::{output, Ctx0, Dest, Fmt, Loc, NewImage};
use crate::error::Ctx;
use crate::output::Table;
use crate::progress::Progress;
use crate::spec::{ImageSpec, Snap};
use crate::units::{bytes, ctime, parse_size};
use crate::{CliError, CliResult};
use clap::Subcommand;
use rbdshim_core::header::Timestamp;
use rbdshim_core::lock::LockMode;
use rbdshim_core::{clone as core_clone, features, manage, CreateOptions, Image, IoCtx};
use serde_json::{json, Map, Value};

fn feature_names(f: u64) -> Vec<String> {
    features::to_string(f).split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn op_feature_names(f: u64) -> Vec<String> {
    let mut v = Vec::new();
    if f & features::OP_FEATURE_CLONE_PARENT != 0 {
        v.push("clone-parent".to_string());
    }
    if f & features::OP_FEATURE_CLONE_CHILD != 0 {
        v.push("clone-child".to_string());
    }
    v
}

fn flag_names(f: u64) -> Vec<String> {
    let mut v = Vec::new();
    if f & features::FLAG_OBJECT_MAP_INVALID != 0 {
        v.push("object map invalid".to_string());
    }
    if f & features::FLAG_FAST_DIFF_INVALID != 0 {
        v.push("fast diff invalid".to_string());
    }
    v
}

fn stamp(t: Timestamp) -> String {
    ctime(t.sec)
}

/// Options of a new image, checked as `rbd` checks them.
pub fn create_options(new: &NewImage) -> CliResult<CreateOptions> {
    if let Some(f) = new.image_format {
        if f == 1 {
            return Err(CliError::usage("rbd: image format 1 is deprecated"));
        }
        if f != 2 {
            return Err(CliError::usage("rbd: image format can only be 1 or 2"));
        }
    }
    let mut o = CreateOptions::default();
    if let Some(order) = new.order {
        if !(12..=25).contains(&order) {
            return Err(CliError::usage("rbd: order must be between 12 (4 KiB) and 25 (32 MiB)"));
        }
        o.order = Some(order);
    }
    if let Some(s) = &new.object_size {
        let n = parse_size(s, 0).map_err(|_| CliError::usage("rbd: invalid object size"))?;
        if !n.is_power_of_two() || !(4096..=32 << 20).contains(&n) {
            return Err(CliError::usage("rbd: object size must be between 4 KiB and 32 MiB"));
        }
        o.order = Some(n.trailing_zeros() as u8);
    }
    if !new.image_feature.is_empty() {
        let mut f = 0;
        for part in &new.image_feature {
            f |= features::from_string(part)
                .ok_or_else(|| CliError::usage(format!("rbd: invalid image feature '{part}'")))?;
        }
        o.features = Some(f);
    }
    if new.image_shared {
        let f = o.features.unwrap_or(features::DEFAULT);
        o.features = Some(f & !(features::EXCLUSIVE_LOCK | features::OBJECT_MAP | features::FAST_DIFF));
    }
    if let Some(s) = &new.stripe_unit {
        o.stripe_unit = Some(parse_size(s, 0).map_err(|_| CliError::usage("rbd: invalid stripe unit"))?);
    }
    o.stripe_count = new.stripe_count;
    if o.stripe_unit.is_some() != o.stripe_count.is_some() {
        return Err(CliError::usage("rbd: must specify both (or neither) of stripe-unit and stripe-count"));
    }
    o.data_pool = new.data_pool.clone();
    Ok(o)
}

pub fn ls(
    cx: &mut Ctx0,
    long: bool,
    pool: Option<&str>,
    ns: Option<&str>,
    fmt: &Fmt,
    spec: Option<&str>,
) -> CliResult<()> {
    let out = output(fmt)?;
    let dp = cx.default_pool()?;
    let (pool, ns) = crate::spec::pool_spec(spec, pool, ns, &dp)?;
    let io = cx.ioctx(&pool, &ns)?;
    let names = manage::list(&io).ctx(|| "rbd: listing images failed".into())?;
    if !long {
        if out.is_plain() {
            for n in &names {
                println!("{n}");
            }
            return Ok(());
        }
        return out.emit(&json!(names), "images", "name");
    }
    let mut rows = Vec::new();
    let mut table = Table::new(&[
        ("NAME", false),
        ("SIZE", true),
        ("PARENT", false),
        ("FMT", true),
        ("PROT", false),
        ("LOCK", false),
    ]);
    for n in &names {
        // An image removed or broken while listing is skipped, as rbd does.
        let Ok(img) = Image::open(&io, n, None, true) else { continue };
        let Ok(h) = img.header() else { continue };
        let parent = img.parent_info().ok().filter(|p| !p.image_name.is_empty());
        let lock = match img.list_lockers() {
            Ok((_, _, l)) if l.is_empty() => "",
            Ok((true, _, _)) => "excl",
            Ok(_) => "shr",
            Err(_) => "",
        };
        let parent_str = parent.as_ref().map(|p| parent_spec(p)).unwrap_or_default();
        table.row(vec![n.clone(), bytes(h.size), parent_str.clone(), "2".into(), String::new(), lock.into()]);
        let mut o = json!({"image": n, "id": h.id, "size": h.size, "format": 2});
        if let Some(p) = &parent {
            o["parent"] = json!({"pool": p.pool_name, "pool_namespace": p.namespace, "image": p.image_name, "snapshot": p.snap_name});
        }
        if !lock.is_empty() {
            o["lock_type"] = json!(if lock == "excl" { "exclusive" } else { "shared" });
        }
        rows.push(o);
        for s in &h.snaps {
            let prot = if s.protected { "yes" } else { "" };
            table.row(vec![
                format!("{n}@{}", s.name),
                bytes(s.size),
                parent_str.clone(),
                "2".into(),
                prot.into(),
                String::new(),
            ]);
            let mut o = json!({
                "image": n, "id": h.id, "snapshot": s.name, "snapshot_id": s.id, "size": s.size,
                "protected": if s.protected { "true" } else { "false" }, "format": 2,
            });
            if let Some(p) = &parent {
                o["parent"] = json!({"pool": p.pool_name, "pool_namespace": p.namespace, "image": p.image_name, "snapshot": p.snap_name});
            }
            rows.push(o);
        }
        let _ = img.close();
    }
    if out.is_plain() {
        if !rows.is_empty() {
            print!("{}", table.render());
        }
        return Ok(());
    }
    out.emit(&Value::Array(rows), "images", "image")
}

fn parent_spec(p: &rbdshim_core::clone::ParentInfo) -> String {
    let ns = if p.namespace.is_empty() { String::new() } else { format!("{}/", p.namespace) };
    format!("{}/{}{}@{}", p.pool_name, ns, p.image_name, p.snap_name)
}

pub fn info(cx: &mut Ctx0, loc: &Loc, fmt: &Fmt, spec: Option<&str>) -> CliResult<()> {
    let out = output(fmt)?;
    let img = match &loc.image_id {
        Some(id) => {
            let dp = cx.default_pool()?;
            let pool = loc.pool.clone().unwrap_or(dp);
            let io = cx.ioctx(&pool, loc.namespace.as_deref().unwrap_or(""))?;
            Image::open_by_id(&io, id, loc.snap.as_deref(), true).ctx(|| format!("rbd: error opening image {id}"))?
        }
        None => {
            let s = cx.spec(loc, spec, Snap::Permitted)?;
            cx.open(&s, true)?
        }
    };
    let h = img.header().ctx(|| "rbd: info: error reading image header".into())?;
    let name = img.name().unwrap_or_default();
    let snap = img.current_snap().and_then(|id| h.snaps.iter().find(|s| s.id == id));
    let size = snap.map(|s| s.size).unwrap_or(h.size);
    let obj = 1u64 << h.order;
    let objects = size.div_ceil(obj);
    let parent = img.parent_info().ok().filter(|p| !p.image_name.is_empty());
    let mut v = Map::new();
    v.insert("name".into(), json!(name));
    v.insert("id".into(), json!(h.id));
    v.insert("size".into(), json!(size));
    v.insert("objects".into(), json!(objects));
    v.insert("order".into(), json!(h.order));
    v.insert("object_size".into(), json!(obj));
    v.insert("snapshot_count".into(), json!(h.snaps.len()));
    v.insert("block_name_prefix".into(), json!(format!("rbd_data.{}", h.id)));
    v.insert("format".into(), json!(2));
    v.insert("features".into(), json!(feature_names(h.features)));
    v.insert("op_features".into(), json!(op_feature_names(h.op_features)));
    v.insert("flags".into(), json!(flag_names(h.flags)));
    if h.stripe_count > 1 {
        v.insert("stripe_unit".into(), json!(h.stripe_unit));
        v.insert("stripe_count".into(), json!(h.stripe_count));
    }
    v.insert("create_timestamp".into(), json!(stamp(h.create_timestamp)));
    v.insert("access_timestamp".into(), json!(stamp(h.access_timestamp)));
    v.insert("modify_timestamp".into(), json!(stamp(h.modify_timestamp)));
    if let Some(s) = snap {
        v.insert("protected".into(), json!(if s.protected { "true" } else { "false" }));
    }
    if let Some(p) = &parent {
        v.insert(
            "parent".into(),
            json!({"pool": p.pool_name, "pool_namespace": p.namespace, "image": p.image_name, "id": p.image_id,
                   "snapshot": p.snap_name, "trash": p.trash, "overlap": p.overlap}),
        );
    }
    let _ = img.close();
    if !out.is_plain() {
        return out.emit(&Value::Object(v), "image", "item");
    }
    let list = |k: &str| -> String {
        v[k].as_array().map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default()
    };
    let mut s = format!("rbd image '{name}':\n");
    s += &format!("\tsize {} in {} objects\n", bytes(size), objects);
    s += &format!("\torder {} ({} objects)\n", h.order, bytes(obj));
    s += &format!("\tsnapshot_count: {}\n", h.snaps.len());
    s += &format!("\tid: {}\n", h.id);
    s += &format!("\tblock_name_prefix: rbd_data.{}\n", h.id);
    s += "\tformat: 2\n";
    s += &format!("\tfeatures: {}\n", list("features"));
    s += &format!("\top_features: {}\n", list("op_features"));
    s += &format!("\tflags: {}\n", list("flags"));
    s += &format!("\tcreate_timestamp: {}\n", stamp(h.create_timestamp));
    s += &format!("\taccess_timestamp: {}\n", stamp(h.access_timestamp));
    s += &format!("\tmodify_timestamp: {}\n", stamp(h.modify_timestamp));
    if let Some(sn) = snap {
        s += &format!("\tprotected: {}\n", if sn.protected { "True" } else { "False" });
    }
    if h.stripe_count > 1 {
        s += &format!("\tstripe unit: {}\n\tstripe count: {}\n", bytes(h.stripe_unit), h.stripe_count);
    }
    if let Some(p) = &parent {
        s += &format!("\tparent: {}{}\n", parent_spec(p), if p.trash { " (trash)" } else { "" });
        s += &format!("\toverlap: {}\n", bytes(p.overlap));
    }
    print!("{s}");
    Ok(())
}

pub fn create(
    cx: &mut Ctx0,
    loc: &Loc,
    new: &NewImage,
    thick: bool,
    size: Option<&str>,
    spec: Option<&str>,
) -> CliResult<()> {
    let s = cx.spec(loc, spec, Snap::None)?;
    let size = size.ok_or_else(|| CliError::usage("rbd: must specify --size <M/G/T>"))?;
    let size = parse_size(size, 20)?;
    let opts = create_options(new)?;
    let io = cx.ioctx(&s.pool, &s.ns)?;
    manage::create(&io, &s.image, size, &opts).ctx(|| "rbd: create error".into())?;
    if thick {
        let img = Image::open(&io, &s.image, None, false).ctx(|| "rbd: create error".into())?;
        img.write_zeroes(0, size, true).ctx(|| "rbd: create error".into())?;
        img.close().ctx(|| "rbd: create error".into())?;
    }
    Ok(())
}

pub fn rm(cx: &mut Ctx0, loc: &Loc, no_progress: bool, spec: Option<&str>) -> CliResult<()> {
    let s = cx.spec(loc, spec, Snap::None)?;
    let io = cx.ioctx(&s.pool, &s.ns)?;
    let mut p = Progress::new("Removing image", no_progress);
    match manage::remove(&io, &s.image) {
        Ok(()) => {
            p.finish();
            Ok(())
        }
        Err(e) => {
            match e.errno() {
                libc::EBUSY => eprintln!(
                    "rbd: error: image still has watchers\nThis means the image is still open or the client using it \
                     crashed. Try again after closing/unmapping it or waiting 30s for the crashed client to timeout."
                ),
                libc::ENOTEMPTY => eprintln!(
                    "rbd: image has snapshots - these must be deleted with 'rbd snap purge' before the image can be \
                     removed."
                ),
                _ => {}
            }
            p.fail();
            Err(CliError::new("rbd: delete error", e.errno()))
        }
    }
}

pub fn mv(cx: &mut Ctx0, loc: &Loc, dest: &Dest, src: Option<&str>, dst: Option<&str>) -> CliResult<()> {
    let s = cx.spec(loc, src, Snap::None)?;
    let d = cx.dest_spec(dest, dst, &s.pool, &s.ns)?;
    if d.pool != s.pool {
        eprintln!("rbd: mv/rename across pools not supported\nsource pool: {} dest pool: {}", s.pool, d.pool);
        return Err(CliError::silent(libc::EINVAL));
    }
    if d.ns != s.ns {
        return Err(CliError::usage("rbd: mv/rename across namespaces not supported"));
    }
    let io = cx.ioctx(&s.pool, &s.ns)?;
    manage::rename(&io, &s.image, &d.image).ctx(|| "rbd: rename error".into())
}

#[allow(clippy::too_many_arguments)]
pub fn cp(
    cx: &mut Ctx0,
    loc: &Loc,
    dest: &Dest,
    new: &NewImage,
    deep: bool,
    flatten: bool,
    no_progress: bool,
    src: Option<&str>,
    dst: Option<&str>,
) -> CliResult<()> {
    let s = cx.spec(loc, src, Snap::Permitted)?;
    let d = cx.dest_spec(dest, dst, &s.pool, &s.ns)?;
    let opts = create_options(new)?;
    let img = cx.open(&s, true)?;
    let dio = cx.ioctx(&d.pool, &d.ns)?;
    let (what, fail) =
        if deep { ("Image deep copy", "rbd: deep copy failed") } else { ("Image copy", "rbd: copy failed") };
    let p = Progress::new(what, no_progress);
    let r = if deep { img.deep_copy_to(&dio, &d.image, &opts) } else { img.copy_to(&dio, &d.image, &opts) };
    let r = r.and_then(|_| {
        if deep && flatten {
            let c = Image::open(&dio, &d.image, None, false)?;
            if c.parent_info().map(|p| !p.image_name.is_empty()).unwrap_or(false) {
                c.flatten()?;
            }
            c.close()?;
        }
        Ok(())
    });
    let _ = img.close();
    p.end(r, fail)
}

pub fn resize(
    cx: &mut Ctx0,
    loc: &Loc,
    size: Option<&str>,
    allow_shrink: bool,
    no_progress: bool,
    spec: Option<&str>,
) -> CliResult<()> {
    let s = cx.spec(loc, spec, Snap::None)?;
    let size = parse_size(size.ok_or_else(|| CliError::usage("rbd: must specify --size <M/G/T>"))?, 20)?;
    let img = cx.open(&s, false)?;
    let cur = img.size().ctx(|| "rbd: resize error".into())?;
    if size < cur && !allow_shrink {
        let _ = img.close();
        return Err(CliError::usage("rbd: shrinking an image is only allowed with the --allow-shrink flag"));
    }
    let p = Progress::new("Resizing image", no_progress);
    p.end(img.resize(size).and_then(|_| img.close()), "rbd: resize error")
}

pub fn clone(
    cx: &mut Ctx0,
    loc: &Loc,
    dest: &Dest,
    new: &NewImage,
    src: Option<&str>,
    dst: Option<&str>,
) -> CliResult<()> {
    let s = cx.spec(loc, src, Snap::Required)?;
    let d = cx.dest_spec(dest, dst, &s.pool, &s.ns)?;
    let opts = create_options(new)?;
    let pio = cx.ioctx(&s.pool, &s.ns)?;
    let cio = cx.ioctx(&d.pool, &d.ns)?;
    let snap = s.snap.as_deref().unwrap_or("");
    core_clone::clone(&pio, &s.image, snap, &cio, &d.image, &opts).ctx(|| "rbd: clone error".into())?;
    Ok(())
}

pub fn flatten(cx: &mut Ctx0, loc: &Loc, no_progress: bool, spec: Option<&str>) -> CliResult<()> {
    let s = cx.spec(loc, spec, Snap::None)?;
    let img = cx.open(&s, false)?;
    let p = Progress::new("Image flatten", no_progress);
    p.end(img.flatten().and_then(|_| img.close()), "rbd: flatten error")
}

fn child_json(c: &rbdshim_core::clone::ChildInfo) -> Value {
    let mut o = json!({"pool": c.pool_name, "pool_namespace": c.namespace, "image": c.image_name});
    if c.trash {
        o["trash"] = json!(true);
        o["trash_id"] = json!(c.image_id);
    }
    o
}

fn child_line(c: &rbdshim_core::clone::ChildInfo) -> String {
    let ns = if c.namespace.is_empty() { String::new() } else { format!("{}/", c.namespace) };
    let t = if c.trash { format!(" (trash {})", c.image_id) } else { String::new() };
    format!("{}/{}{}{}", c.pool_name, ns, c.image_name, t)
}

fn descendants(io: &IoCtx, img: &Image, out: &mut Vec<rbdshim_core::clone::ChildInfo>, deep: bool) -> CliResult<()> {
    let kids = img.list_children().ctx(|| "rbd: listing children failed".into())?;
    for k in kids {
        let recurse = deep && !k.trash;
        let info = k.clone();
        out.push(k);
        if recurse {
            let cio = io.cluster().ioctx_by_id(info.pool_id).ctx(|| "rbd: listing children failed".into())?;
            cio.set_namespace(Some(&info.namespace));
            if let Ok(c) = Image::open_by_id(&cio, &info.image_id, None, true) {
                descendants(&cio, &c, out, true)?;
                let _ = c.close();
            }
        }
    }
    Ok(())
}

pub fn children(
    cx: &mut Ctx0,
    loc: &Loc,
    snap_id: Option<u64>,
    all: bool,
    desc: bool,
    fmt: &Fmt,
    spec: Option<&str>,
) -> CliResult<()> {
    let out = output(fmt)?;
    let s = cx.spec(loc, spec, Snap::Permitted)?;
    let img = cx.open(&s, true)?;
    if let Some(id) = snap_id {
        img.snap_set_by_id(Some(id)).ctx(|| "rbd: error setting snapshot context".into())?;
    }
    let mut kids = Vec::new();
    descendants(img.ioctx(), &img, &mut kids, desc)?;
    let _ = img.close();
    kids.retain(|k| all || !k.trash);
    if out.is_plain() {
        for k in &kids {
            println!("{}", child_line(k));
        }
        return Ok(());
    }
    out.emit(&Value::Array(kids.iter().map(child_json).collect()), "children", "child")
}

pub fn du(
    cx: &mut Ctx0,
    loc: &Loc,
    fmt: &Fmt,
    from_snap: Option<&str>,
    merge: bool,
    spec: Option<&str>,
) -> CliResult<()> {
    let out = output(fmt)?;
    // Without an image: every image of the pool.
    let (pool, ns, only): (String, String, Option<ImageSpec>) = if spec.is_none() && loc.image.is_none() {
        let dp = cx.default_pool()?;
        let (p, n) = crate::spec::pool_spec(None, loc.pool.as_deref(), loc.namespace.as_deref(), &dp)?;
        (p, n, None)
    } else {
        let s = cx.spec(loc, spec, Snap::Permitted)?;
        (s.pool.clone(), s.ns.clone(), Some(s))
    };
    let io = cx.ioctx(&pool, &ns)?;
    let names = match &only {
        Some(s) => vec![s.image.clone()],
        None => manage::list(&io).ctx(|| "rbd: du failed".into())?,
    };
    let mut rows: Vec<(String, Option<(String, u64)>, String, u64, u64)> = Vec::new();
    for name in names {
        let img = match Image::open(&io, &name, None, true) {
            Ok(i) => i,
            Err(e) if only.is_none() => {
                eprintln!("rbd: du: error opening image {name}: {e}");
                continue;
            }
            Err(e) => return Err(CliError::new(format!("rbd: error opening image {name}"), e.errno())),
        };
        let h = img.header().ctx(|| "rbd: du failed".into())?;
        let want_snap = only.as_ref().and_then(|s| s.snap.clone());
        let mut prev: Option<String> = from_snap.map(str::to_string);
        let mut started = from_snap.is_none();
        let mut merged_used = 0;
        for sn in &h.snaps {
            if !started {
                if Some(sn.name.as_str()) == from_snap {
                    started = true;
                }
                continue;
            }
            let simg = Image::open(&io, &name, Some(&sn.name), true).ctx(|| "rbd: du failed".into())?;
            let used = simg.du(prev.as_deref()).ctx(|| "rbd: du failed".into())?;
            let _ = simg.close();
            if merge {
                merged_used += used;
            } else {
                rows.push((name.clone(), Some((sn.name.clone(), sn.id)), h.id.clone(), sn.size, used));
            }
            prev = Some(sn.name.clone());
            if want_snap.as_deref() == Some(sn.name.as_str()) {
                break;
            }
        }
        if want_snap.is_none() {
            let used = img.du(prev.as_deref()).ctx(|| "rbd: du failed".into())?;
            rows.push((name.clone(), None, h.id.clone(), h.size, used + merged_used));
        } else if let Some(w) = &want_snap {
            rows.retain(|r| r.0 != name || r.1.as_ref().map(|x| &x.0 == w).unwrap_or(false));
            if !rows.iter().any(|r| r.0 == name) {
                let _ = img.close();
                return Err(CliError::new(format!("rbd: failed to get snapshot {w}"), libc::ENOENT));
            }
        }
        let _ = img.close();
    }
    let total_prov: u64 =
        rows.iter().filter(|r| r.1.is_none() || only.as_ref().is_some_and(|s| s.snap.is_some())).map(|r| r.3).sum();
    let total_used: u64 = rows.iter().map(|r| r.4).sum();
    if out.is_plain() {
        let mut t = Table::new(&[("NAME", false), ("PROVISIONED", true), ("USED", true)]);
        for (n, s, _, p, u) in &rows {
            let label = match s {
                Some((sn, _)) => format!("{n}@{sn}"),
                None => n.clone(),
            };
            t.row(vec![label, bytes(*p), bytes(*u)]);
        }
        if rows.len() > 1 {
            t.row(vec!["<TOTAL>".into(), bytes(total_prov), bytes(total_used)]);
        }
        print!("{}", t.render());
        return Ok(());
    }
    let images: Vec<Value> = rows
        .iter()
        .map(|(n, s, id, p, u)| {
            let mut o = json!({"name": n});
            if let Some((sn, sid)) = s {
                o["snapshot"] = json!(sn);
                o["snapshot_id"] = json!(sid);
            }
            o["id"] = json!(id);
            o["provisioned_size"] = json!(p);
            o["used_size"] = json!(u);
            o
        })
        .collect();
    let v = json!({"images": images, "total_provisioned_size": total_prov, "total_used_size": total_used});
    out.emit(&v, "stats", "image")
}

pub fn diff(
    cx: &mut Ctx0,
    loc: &Loc,
    from_snap: Option<&str>,
    whole_object: bool,
    fmt: &Fmt,
    spec: Option<&str>,
) -> CliResult<()> {
    let out = output(fmt)?;
    let s = cx.spec(loc, spec, Snap::Permitted)?;
    let img = cx.open(&s, true)?;
    let size = img.size().ctx(|| "rbd: diff error".into())?;
    let mut ext = Vec::new();
    img.diff_iterate(from_snap, 0, size, true, whole_object, |off, len, exists| {
        ext.push((off, len, exists));
        0
    })
    .ctx(|| "rbd: diff error".into())?;
    let _ = img.close();
    if out.is_plain() {
        let mut t = Table::new(&[("Offset", false), ("Length", false), ("Type", false)]);
        for (o, l, e) in &ext {
            t.row(vec![o.to_string(), l.to_string(), if *e { "data" } else { "zero" }.into()]);
        }
        print!("{}", t.render());
        return Ok(());
    }
    let v: Vec<Value> = ext
        .iter()
        .map(|(o, l, e)| json!({"offset": o, "length": l, "exists": if *e { "true" } else { "false" }}))
        .collect();
    out.emit(&Value::Array(v), "diff", "extent")
}

pub fn status(cx: &mut Ctx0, loc: &Loc, fmt: &Fmt, spec: Option<&str>) -> CliResult<()> {
    let out = output(fmt)?;
    let s = cx.spec(loc, spec, Snap::None)?;
    let img = cx.open(&s, true)?;
    let w = img.watchers().ctx(|| "rbd: show status failed".into())?;
    let _ = img.close();
    if out.is_plain() {
        if w.is_empty() {
            println!("Watchers: none");
        } else {
            println!("Watchers:");
            for x in &w {
                println!("\twatcher={} client.{} cookie={}", x.addr, x.id, x.cookie);
            }
        }
        return Ok(());
    }
    let ws: Vec<Value> = w.iter().map(|x| json!({"address": x.addr, "client": x.id, "cookie": x.cookie})).collect();
    out.emit(&json!({"watchers": ws}), "status", "watcher")
}

#[derive(Subcommand, Debug)]
pub enum MetaCmd {
    /// Image metadata get the value associated with the key.
    Get {
        #[command(flatten)]
        loc: Loc,
        spec: Option<String>,
        key: Option<String>,
    },
    /// Image metadata set key with value.
    Set {
        #[command(flatten)]
        loc: Loc,
        spec: Option<String>,
        key: Option<String>,
        value: Option<String>,
    },
    /// Image metadata list keys with values.
    #[command(visible_alias = "ls")]
    List {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        fmt: Fmt,
        spec: Option<String>,
    },
    /// Image metadata remove the key and value associated.
    #[command(visible_alias = "rm")]
    Remove {
        #[command(flatten)]
        loc: Loc,
        spec: Option<String>,
        key: Option<String>,
    },
}

fn need<'a>(v: &'a Option<String>, what: &str) -> CliResult<&'a str> {
    v.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| CliError::usage(format!("rbd: {what} was not specified")))
}

pub fn meta(cx: &mut Ctx0, cmd: MetaCmd) -> CliResult<()> {
    match cmd {
        MetaCmd::Get { loc, spec, key } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
            let key = need(&key, "metadata key")?;
            let img = cx.open(&s, true)?;
            let v = img.metadata_get(key).ctx(|| format!("rbd: failed to get metadata {key} of image "))?;
            println!("{v}");
            Ok(())
        }
        MetaCmd::Set { loc, spec, key, value } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
            let key = need(&key, "metadata key")?;
            let value = value.as_deref().ok_or_else(|| CliError::usage("rbd: metadata value was not specified"))?;
            let img = cx.open(&s, false)?;
            img.metadata_set(key, value).ctx(|| format!("rbd: failed to set metadata {key} of image "))?;
            img.close().ctx(|| "rbd: failed to close image".into())
        }
        MetaCmd::Remove { loc, spec, key } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
            let key = need(&key, "metadata key")?;
            let img = cx.open(&s, false)?;
            img.metadata_remove(key).ctx(|| format!("rbd: removing metadata failed"))?;
            img.close().ctx(|| "rbd: failed to close image".into())
        }
        MetaCmd::List { loc, fmt, spec } => {
            let out = output(&fmt)?;
            let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
            let img = cx.open(&s, true)?;
            let pairs = img.metadata_list("", 0).ctx(|| "rbd: failed to list metadata of image".into())?;
            if out.is_plain() {
                if pairs.is_empty() {
                    return Ok(());
                }
                let n = pairs.len();
                println!("There {} {} metadata on this image:\n", if n == 1 { "is" } else { "are" }, n);
                let mut t = Table::new(&[("Key", false), ("Value", false)]);
                for (k, v) in &pairs {
                    t.row(vec![k.clone(), v.clone()]);
                }
                print!("{}", t.render());
                return Ok(());
            }
            let m: Map<String, Value> = pairs.into_iter().map(|(k, v)| (k, json!(v))).collect();
            out.emit(&Value::Object(m), "metadatas", "item")
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum LockCmd {
    /// Show locks held on an image.
    #[command(visible_alias = "list")]
    Ls {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        fmt: Fmt,
        spec: Option<String>,
    },
    /// Take a lock on an image.
    Add {
        #[command(flatten)]
        loc: Loc,
        /// shared lock tag
        #[arg(long)]
        shared: Option<String>,
        spec: Option<String>,
        lock_id: Option<String>,
    },
    /// Release a lock on an image.
    #[command(visible_alias = "remove")]
    Rm {
        #[command(flatten)]
        loc: Loc,
        spec: Option<String>,
        lock_id: Option<String>,
        locker: Option<String>,
    },
}

pub fn lock(cx: &mut Ctx0, cmd: LockCmd) -> CliResult<()> {
    match cmd {
        LockCmd::Ls { loc, fmt, spec } => {
            let out = output(&fmt)?;
            let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
            let img = cx.open(&s, true)?;
            let (excl, tag, lockers) = img.list_lockers().ctx(|| "rbd: listing locks failed".into())?;
            let _ = img.close();
            if out.is_plain() {
                if lockers.is_empty() {
                    return Ok(());
                }
                let n = lockers.len();
                println!(
                    "There {} {} {} lock{} on this image.",
                    if n == 1 { "is" } else { "are" },
                    n,
                    if excl { "exclusive" } else { "shared" },
                    if n == 1 { "" } else { "s" }
                );
                if !excl {
                    println!("Lock tag: {tag}");
                }
                let mut t = Table::new(&[("Locker", false), ("ID", false), ("Address", false)]);
                for l in &lockers {
                    t.row(vec![l.client.clone(), l.cookie.clone(), l.addr.clone()]);
                }
                print!("{}", t.render());
                return Ok(());
            }
            let v: Vec<Value> =
                lockers.iter().map(|l| json!({"id": l.cookie, "locker": l.client, "address": l.addr})).collect();
            out.emit(&Value::Array(v), "locks", "lock")
        }
        LockCmd::Add { loc, shared, spec, lock_id } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
            let id = need(&lock_id, "lock id")?;
            let img = cx.open(&s, true)?;
            let r = match &shared {
                Some(tag) => img.advisory_lock(LockMode::Shared, id, tag),
                None => img.advisory_lock(LockMode::Exclusive, id, ""),
            };
            let _ = img.close();
            r.map_err(|e| {
                match e.errno() {
                    libc::EBUSY => eprintln!("rbd: lock is already held by someone else with a different tag"),
                    libc::EEXIST => eprintln!("rbd: lock is already held by someone else"),
                    _ => {}
                }
                CliError::new("rbd: locking failed", e.errno())
            })
        }
        LockCmd::Rm { loc, spec, lock_id, locker } => {
            let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
            let id = need(&lock_id, "lock id")?;
            let who = need(&locker, "locker")?;
            let img = cx.open(&s, true)?;
            let r = img.break_lock(who, id);
            let _ = img.close();
            r.ctx(|| "rbd: releasing lock failed".into())
        }
    }
}

pub fn watch(cx: &mut Ctx0, loc: &Loc, spec: Option<&str>) -> CliResult<()> {
    let s = cx.spec(loc, spec, Snap::None)?;
    let img = cx.open(&s, false)?;
    println!("press enter to exit...");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    img.close().ctx(|| "rbd: error closing image".into())
}

#[derive(Subcommand, Debug)]
pub enum FeatureCmd {
    /// Enable the specified image feature.
    Enable {
        #[command(flatten)]
        loc: Loc,
        spec: Option<String>,
        features: Vec<String>,
    },
    /// Disable the specified image feature.
    Disable {
        #[command(flatten)]
        loc: Loc,
        spec: Option<String>,
        features: Vec<String>,
    },
}

pub fn feature(cx: &mut Ctx0, cmd: FeatureCmd) -> CliResult<()> {
    let (loc, spec, names, enable) = match cmd {
        FeatureCmd::Enable { loc, spec, features } => (loc, spec, features, true),
        FeatureCmd::Disable { loc, spec, features } => (loc, spec, features, false),
    };
    let s = cx.spec(&loc, spec.as_deref(), Snap::None)?;
    if names.is_empty() {
        return Err(CliError::usage("rbd: at least one feature name must be specified"));
    }
    let mut mask = 0;
    for n in &names {
        mask |= features::from_string(n).ok_or_else(|| CliError::usage(format!("rbd: invalid feature name '{n}'")))?;
    }
    let img = cx.open(&s, false)?;
    let r = img.update_features(mask, enable);
    let _ = img.close();
    r.ctx(|| "rbd: failed to update image features".into())
}
