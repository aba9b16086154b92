//! Moving images in and out: export, import, export-diff, import-diff and merge-diff, in
//! Ceph's stream formats (rbdshim_core::stream), to and from files or stdin/stdout ("-").

use super::{Ctx0, Dest, Loc, NewImage};
use crate::error::Ctx;
use crate::progress::Progress;
use crate::spec::{image_spec, Parts, Snap};
use crate::units::parse_size;
use crate::{CliError, CliResult};
use rbdshim_core::stream::{self, Format, ImportOptions};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};

/// Opens an output file as Ceph's rbd does: never over an existing file.
fn create_out(path: &str, what: &str) -> CliResult<Box<dyn Write>> {
    if path == "-" {
        return Ok(Box::new(std::io::stdout().lock()));
    }
    let f = OpenOptions::new().write(true).create_new(true).open(path).ctx(|| format!("rbd: {what} error"))?;
    Ok(Box::new(f))
}

/// An input file or stdin, and its length when it is a regular file.
fn open_in(path: &str, what: &str) -> CliResult<(Box<dyn Read>, Option<u64>)> {
    if path == "-" {
        return Ok((Box::new(std::io::stdin().lock()), None));
    }
    let f = File::open(path).ctx(|| format!("rbd: {what}: error opening {path}"))?;
    let meta = f.metadata().ctx(|| format!("rbd: {what}: stat error"))?;
    let len = meta.is_file().then(|| meta.len());
    Ok((Box::new(f), len))
}

fn format_arg(n: Option<u32>) -> CliResult<Format> {
    match n.unwrap_or(1) {
        1 => Ok(Format::V1),
        2 => Ok(Format::V2),
        _ => Err(CliError::usage("rbd: --export-format can only be 1 or 2")),
    }
}

pub fn export(
    cx: &mut Ctx0,
    loc: &Loc,
    path: Option<&str>,
    no_progress: bool,
    fmt: Option<u32>,
    spec: Option<&str>,
) -> CliResult<()> {
    let s = cx.spec(loc, spec, Snap::Permitted)?;
    let path = path.ok_or_else(|| CliError::usage("rbd: path was not specified"))?;
    let format = format_arg(fmt)?;
    let img = cx.open(&s, true)?;
    let out = create_out(path, "export")?;
    let mut p = Progress::new("Exporting image", no_progress);
    let r = stream::export_image(&img, format, out, &mut |d, t| p.update(d, t));
    let _ = img.close();
    p.end(r, "rbd: export error")
}

pub struct ImportArgs {
    pub path: Option<String>,
    pub dest_spec: Option<String>,
    pub dest: Dest,
    pub new: NewImage,
    pub sparse_size: Option<String>,
    pub no_progress: bool,
    pub export_format: Option<u32>,
    pub pool: Option<String>,
    pub image: Option<String>,
}

pub fn import(cx: &mut Ctx0, a: ImportArgs) -> CliResult<()> {
    let path = a.path.as_deref().ok_or_else(|| CliError::usage("rbd: path was not specified"))?;
    // The image is named after the file when no destination is given.
    let base = std::path::Path::new(path).file_name().and_then(|n| n.to_str()).filter(|_| path != "-");
    let dp = cx.default_pool()?;
    let parts = Parts {
        spec: a.dest_spec.as_deref(),
        pool: a.dest.dest_pool.as_deref().or(a.pool.as_deref()),
        ns: a.dest.dest_namespace.as_deref(),
        image: a.dest.dest.as_deref().or(a.image.as_deref()).or(base),
        snap: None,
    };
    let d = image_spec(&parts, &dp, Snap::None).map_err(|e| match e.msg.as_str() {
        "rbd: image name was not specified" => CliError::usage("rbd: destination image name was not specified"),
        _ => e,
    })?;
    let format = format_arg(a.export_format)?;
    let create = super::image::create_options(&a.new)?;
    let sparse_size = match &a.sparse_size {
        Some(s) => {
            let n = parse_size(s, 0)?;
            if n < 4096 || !n.is_power_of_two() {
                return Err(CliError::usage("rbd: sparse size should be a power of two and at least 4 KiB"));
            }
            n as usize
        }
        None => stream::DEFAULT_SPARSE_SIZE,
    };
    let io = cx.ioctx(&d.pool, &d.ns)?;
    let (input, len) = open_in(path, "import")?;
    let opts = ImportOptions { format, create, size_hint: len, sparse_size };
    let mut p = Progress::new("Importing image", a.no_progress);
    let r = stream::import_image(&io, &d.image, input, &opts, &mut |d, t| p.update(d, t));
    p.end(r, "rbd: import failed")
}

pub fn export_diff(
    cx: &mut Ctx0,
    loc: &Loc,
    path: Option<&str>,
    from_snap: Option<&str>,
    whole_object: bool,
    no_progress: bool,
    spec: Option<&str>,
) -> CliResult<()> {
    let s = cx.spec(loc, spec, Snap::Permitted)?;
    let path = path.ok_or_else(|| CliError::usage("rbd: path was not specified"))?;
    let img = cx.open(&s, true)?;
    let out = create_out(path, "export-diff")?;
    let mut p = Progress::new("Exporting image", no_progress);
    let r = stream::export_diff(&img, from_snap, whole_object, Format::V1, out, &mut |d, t| p.update(d, t));
    let _ = img.close();
    p.end(r, "rbd: export-diff error")
}

pub fn import_diff(
    cx: &mut Ctx0,
    loc: &Loc,
    path: Option<&str>,
    no_progress: bool,
    spec: Option<&str>,
) -> CliResult<()> {
    let path = path.ok_or_else(|| CliError::usage("rbd: path was not specified"))?;
    let s = cx.spec(loc, spec, Snap::None)?;
    let img = cx.open(&s, false)?;
    let (input, _) = open_in(path, "import-diff")?;
    let mut p = Progress::new("Importing image diff", no_progress);
    let r = stream::import_diff(&img, input, stream::DEFAULT_SPARSE_SIZE, &mut |d, t| p.update(d, t));
    let r = r.and_then(|_| img.close());
    if let Err(e) = &r {
        if e.errno() == libc::EINVAL {
            eprintln!("rbd: import-diff: {e}");
        }
    }
    p.end(r, "rbd: import-diff failed")
}

pub fn merge_diff(first: Option<&str>, second: Option<&str>, out: Option<&str>, no_progress: bool) -> CliResult<()> {
    let first = first.ok_or_else(|| CliError::usage("rbd: first diff was not specified"))?;
    let second = second.ok_or_else(|| CliError::usage("rbd: second diff was not specified"))?;
    let out = out.ok_or_else(|| CliError::usage("rbd: path was not specified"))?;
    if second == "-" {
        return Err(CliError::usage("rbd: second diff can't be stdin"));
    }
    let (a, _) = open_in(first, "merge-diff")?;
    let (b, _) = open_in(second, "merge-diff")?;
    let o = create_out(out, "merge-diff")?;
    let mut p = Progress::new("Merging image diff", no_progress);
    let r = stream::merge_diff(a, b, o);
    if let Err(e) = &r {
        eprintln!("rbd: merge-diff: {e}");
    }
    p.update(1, 1);
    p.end(r, "rbd: merge-diff error")
}
