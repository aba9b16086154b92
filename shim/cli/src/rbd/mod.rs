//! `rbd`: the commands, their options (Ceph 16.2's names, aliases and defaults) and the
//! dispatch to the modules that carry them out.

mod bench;
mod image;
mod pool;
mod snap;
mod transfer;

use crate::error::Ctx;
use crate::global::{self, Globals};
use crate::output::Output;
use crate::spec::{self, ImageSpec, Parts, Snap};
use crate::{CliError, CliResult};
use clap::{Args, Parser, Subcommand};
use rbdshim_core::{Cluster, Image, IoCtx};
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(name = "rbd", about = "Command-line interface for managing Ceph RBD images.", disable_version_flag = true)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// --pool / --namespace / --image / --snap / --image-id, completing a positional spec.
#[derive(Args, Debug, Default, Clone)]
pub struct Loc {
    /// pool name
    #[arg(short = 'p', long)]
    pub pool: Option<String>,
    /// namespace name
    #[arg(long)]
    pub namespace: Option<String>,
    /// image name
    #[arg(long)]
    pub image: Option<String>,
    /// snapshot name
    #[arg(long)]
    pub snap: Option<String>,
    /// image id
    #[arg(long = "image-id")]
    pub image_id: Option<String>,
}

/// --dest-pool / --dest-namespace / --dest.
#[derive(Args, Debug, Default, Clone)]
pub struct Dest {
    /// destination pool name
    #[arg(long = "dest-pool")]
    pub dest_pool: Option<String>,
    /// destination namespace name
    #[arg(long = "dest-namespace")]
    pub dest_namespace: Option<String>,
    /// destination image name
    #[arg(long = "dest")]
    pub dest: Option<String>,
}

#[derive(Args, Debug, Default, Clone)]
pub struct Fmt {
    /// output format (plain, json, or xml) [default: plain]
    #[arg(long)]
    pub format: Option<String>,
    /// pretty formatting (json and xml)
    #[arg(long = "pretty-format")]
    pub pretty_format: bool,
}

/// Options of a new image (create, import, clone, copy).
#[derive(Args, Debug, Default, Clone)]
pub struct NewImage {
    /// image format [default: 2]
    #[arg(long = "image-format")]
    pub image_format: Option<u32>,
    /// use image format 2 (deprecated)
    #[arg(long = "new-format")]
    pub new_format: bool,
    /// object order [12 <= order <= 25] (deprecated)
    #[arg(long)]
    pub order: Option<u8>,
    /// object size in B/K/M [4K <= object size <= 32M]
    #[arg(long = "object-size")]
    pub object_size: Option<String>,
    /// image features
    #[arg(long = "image-feature")]
    pub image_feature: Vec<String>,
    /// shared image
    #[arg(long = "image-shared")]
    pub image_shared: bool,
    /// stripe unit in B/K/M
    #[arg(long = "stripe-unit")]
    pub stripe_unit: Option<String>,
    /// stripe count
    #[arg(long = "stripe-count")]
    pub stripe_count: Option<u64>,
    /// data pool
    #[arg(long = "data-pool")]
    pub data_pool: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List rbd images.
    #[command(visible_alias = "list")]
    Ls {
        /// long listing format
        #[arg(short = 'l', long)]
        long: bool,
        #[arg(short = 'p', long)]
        pool: Option<String>,
        #[arg(long)]
        namespace: Option<String>,
        #[command(flatten)]
        fmt: Fmt,
        /// pool specification (example: <pool-name>[/<namespace>])
        pool_spec: Option<String>,
    },
    /// Show information about image size, striping, etc.
    Info {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        fmt: Fmt,
        spec: Option<String>,
    },
    /// Create an empty image.
    Create {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        new: NewImage,
        /// fully allocate storage and zero image
        #[arg(long = "thick-provision")]
        thick_provision: bool,
        /// image size (in M/G/T) [default: M]
        #[arg(short = 's', long)]
        size: Option<String>,
        #[arg(long = "no-progress")]
        no_progress: bool,
        spec: Option<String>,
    },
    /// Delete an image.
    #[command(visible_alias = "remove")]
    Rm {
        #[command(flatten)]
        loc: Loc,
        #[arg(long = "no-progress")]
        no_progress: bool,
        spec: Option<String>,
    },
    /// Rename image within pool.
    #[command(visible_alias = "rename")]
    Mv {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        dest: Dest,
        src_spec: Option<String>,
        dest_spec: Option<String>,
    },
    /// Copy src image to dest.
    #[command(visible_alias = "copy")]
    Cp {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        dest: Dest,
        #[command(flatten)]
        new: NewImage,
        /// sparse size in B/K/M [default: 4K]
        #[arg(long = "sparse-size")]
        sparse_size: Option<String>,
        #[arg(long = "no-progress")]
        no_progress: bool,
        src_spec: Option<String>,
        dest_spec: Option<String>,
    },
    /// Deep copy src image to dest.
    Deep {
        #[command(subcommand)]
        cmd: DeepCmd,
    },
    /// Resize (expand or shrink) image.
    Resize {
        #[command(flatten)]
        loc: Loc,
        #[arg(short = 's', long)]
        size: Option<String>,
        /// permit shrinking
        #[arg(long = "allow-shrink")]
        allow_shrink: bool,
        #[arg(long = "no-progress")]
        no_progress: bool,
        spec: Option<String>,
    },
    /// Snapshot commands.
    Snap {
        #[command(subcommand)]
        cmd: snap::SnapCmd,
    },
    /// Clone a snapshot into a CoW child image.
    Clone {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        dest: Dest,
        #[command(flatten)]
        new: NewImage,
        src_spec: Option<String>,
        dest_spec: Option<String>,
    },
    /// Fill clone with parent data (make it independent).
    Flatten {
        #[command(flatten)]
        loc: Loc,
        #[arg(long = "no-progress")]
        no_progress: bool,
        spec: Option<String>,
    },
    /// Display children of an image or its snapshot.
    Children {
        #[command(flatten)]
        loc: Loc,
        /// snapshot id
        #[arg(long = "snap-id")]
        snap_id: Option<u64>,
        /// list all children (include trash)
        #[arg(short = 'a', long)]
        all: bool,
        /// include all descendants
        #[arg(long)]
        descendants: bool,
        #[command(flatten)]
        fmt: Fmt,
        spec: Option<String>,
    },
    /// Show disk usage stats for pool, image or snapshot.
    #[command(name = "du", visible_alias = "disk-usage")]
    Du {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        fmt: Fmt,
        /// snapshot starting point
        #[arg(long = "from-snap")]
        from_snap: Option<String>,
        /// compute exact disk usage (slow)
        #[arg(long)]
        exact: bool,
        /// merge snapshot sizes with its image
        #[arg(long = "merge-snapshots")]
        merge_snapshots: bool,
        spec: Option<String>,
    },
    /// Print extents that differ since a previous snap, or image creation.
    Diff {
        #[command(flatten)]
        loc: Loc,
        #[arg(long = "from-snap")]
        from_snap: Option<String>,
        /// compare whole object
        #[arg(long = "whole-object")]
        whole_object: bool,
        #[command(flatten)]
        fmt: Fmt,
        spec: Option<String>,
    },
    /// Show the status of this image.
    Status {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        fmt: Fmt,
        spec: Option<String>,
    },
    /// Export image to file.
    Export {
        #[command(flatten)]
        loc: Loc,
        /// export file (or '-' for stdout)
        #[arg(long)]
        path: Option<String>,
        #[arg(long = "no-progress")]
        no_progress: bool,
        /// format of image file
        #[arg(long = "export-format")]
        export_format: Option<u32>,
        spec: Option<String>,
        path_name: Option<String>,
    },
    /// Import image from file.
    Import {
        /// import file (or '-' for stdin)
        #[arg(long)]
        path: Option<String>,
        #[command(flatten)]
        dest: Dest,
        #[command(flatten)]
        new: NewImage,
        #[arg(long = "sparse-size")]
        sparse_size: Option<String>,
        #[arg(long = "no-progress")]
        no_progress: bool,
        #[arg(long = "export-format")]
        export_format: Option<u32>,
        /// pool name (deprecated)
        #[arg(short = 'p', long)]
        pool: Option<String>,
        /// image name (deprecated)
        #[arg(long)]
        image: Option<String>,
        path_name: Option<String>,
        dest_spec: Option<String>,
    },
    /// Export incremental diff to file.
    #[command(name = "export-diff")]
    ExportDiff {
        #[command(flatten)]
        loc: Loc,
        #[arg(long)]
        path: Option<String>,
        #[arg(long = "from-snap")]
        from_snap: Option<String>,
        #[arg(long = "whole-object")]
        whole_object: bool,
        #[arg(long = "no-progress")]
        no_progress: bool,
        spec: Option<String>,
        path_name: Option<String>,
    },
    /// Import an incremental diff.
    #[command(name = "import-diff")]
    ImportDiff {
        #[arg(long)]
        path: Option<String>,
        #[command(flatten)]
        loc: Loc,
        #[arg(long = "sparse-size")]
        sparse_size: Option<String>,
        #[arg(long = "no-progress")]
        no_progress: bool,
        path_name: Option<String>,
        spec: Option<String>,
    },
    /// Merge two diff exports together.
    #[command(name = "merge-diff")]
    MergeDiff {
        #[arg(long)]
        path: Option<String>,
        #[arg(long = "no-progress")]
        no_progress: bool,
        diff1: Option<String>,
        diff2: Option<String>,
        path_name: Option<String>,
    },
    /// Simple benchmark.
    Bench(bench::BenchArgs),
    /// Pool commands.
    Pool {
        #[command(subcommand)]
        cmd: pool::PoolCmd,
    },
    /// Image metadata commands.
    #[command(name = "image-meta")]
    ImageMeta {
        #[command(subcommand)]
        cmd: image::MetaCmd,
    },
    /// Advisory lock commands.
    Lock {
        #[command(subcommand)]
        cmd: image::LockCmd,
    },
    /// Watch events on image.
    Watch {
        #[command(flatten)]
        loc: Loc,
        spec: Option<String>,
    },
    /// Trash commands.
    Trash {
        #[command(subcommand)]
        cmd: pool::TrashCmd,
    },
    /// Namespace commands.
    Namespace {
        #[command(subcommand)]
        cmd: pool::NamespaceCmd,
    },
    /// Feature commands.
    Feature {
        #[command(subcommand)]
        cmd: image::FeatureCmd,
    },
    /// Configuration override commands.
    Config {
        #[command(subcommand)]
        cmd: pool::ConfigCmd,
    },
}

#[derive(Subcommand, Debug)]
pub enum DeepCmd {
    /// Deep copy src image to dest.
    #[command(visible_alias = "copy")]
    Cp {
        #[command(flatten)]
        loc: Loc,
        #[command(flatten)]
        dest: Dest,
        #[command(flatten)]
        new: NewImage,
        /// fill clone with parent data (make it independent)
        #[arg(long)]
        flatten: bool,
        #[arg(long = "no-progress")]
        no_progress: bool,
        src_spec: Option<String>,
        dest_spec: Option<String>,
    },
}

/// What every command gets: the global options and, once needed, the connection.
pub struct Ctx0 {
    pub globals: Globals,
    cluster: Option<Arc<Cluster>>,
}

impl Ctx0 {
    pub fn new(globals: Globals) -> Self {
        Ctx0 { globals, cluster: None }
    }

    pub fn cluster(&mut self) -> CliResult<Arc<Cluster>> {
        if let Some(c) = &self.cluster {
            return Ok(c.clone());
        }
        let c = self.globals.configure().map_err(|e| {
            // Ceph's global_init, before anything else: the reason, exit status 1.
            match self.globals.conf_path() {
                Some(p) if e.errno == libc::ENOENT => {
                    eprintln!("global_init: unable to open config file from search list {p}")
                }
                _ => eprintln!("global_init: error reading config file. {}", e.msg),
            }
            CliError::silent(0)
        })?;
        c.connect().map_err(|e| {
            // Ceph's rbd says only this (the reason goes to its log).
            eprintln!("rbd: couldn't connect to the cluster!");
            CliError::silent(e.errno())
        })?;
        self.cluster = Some(c.clone());
        Ok(c)
    }

    pub fn default_pool(&mut self) -> CliResult<String> {
        let c = self.cluster()?;
        Ok(Globals::default_pool(&c))
    }

    /// Resolves an image spec from the positional argument and --pool/--namespace/--image/--snap.
    pub fn spec(&mut self, loc: &Loc, positional: Option<&str>, snap: Snap) -> CliResult<ImageSpec> {
        let dp = self.default_pool()?;
        let parts = Parts {
            spec: positional,
            pool: loc.pool.as_deref(),
            ns: loc.namespace.as_deref(),
            image: loc.image.as_deref(),
            snap: loc.snap.as_deref(),
        };
        spec::image_spec(&parts, &dp, snap)
    }

    /// The destination spec of mv/cp/clone/import: --dest-pool etc., defaulting to the source's pool.
    pub fn dest_spec(
        &mut self,
        d: &Dest,
        positional: Option<&str>,
        src_pool: &str,
        src_ns: &str,
    ) -> CliResult<ImageSpec> {
        let parts = Parts {
            spec: positional,
            pool: d.dest_pool.as_deref(),
            ns: d.dest_namespace.as_deref().or(Some(src_ns)),
            image: d.dest.as_deref(),
            snap: None,
        };
        spec::image_spec(&parts, src_pool, Snap::None).map_err(|e| match e.msg.as_str() {
            "rbd: image name was not specified" => CliError::usage("rbd: destination image name was not specified"),
            _ => e,
        })
    }

    pub fn ioctx(&mut self, pool: &str, ns: &str) -> CliResult<IoCtx> {
        let c = self.cluster()?;
        global::ioctx(&c, pool, ns, "rbd")
    }

    /// Opens the image of `s` (at its snapshot, if any), with Ceph's message on failure.
    pub fn open(&mut self, s: &ImageSpec, read_only: bool) -> CliResult<Image> {
        let io = self.ioctx(&s.pool, &s.ns)?;
        Image::open(&io, &s.image, s.snap.as_deref(), read_only).ctx(|| format!("rbd: error opening image {}", s.image))
    }
}

pub fn output(f: &Fmt) -> CliResult<Output> {
    Output::parse(f.format.as_deref(), f.pretty_format)
}

/// Runs one `rbd` command line (without the program name).
pub fn main(argv: Vec<String>) -> i32 {
    crate::run_tool("rbd", argv, |g, rest| {
        let cli = Cli::try_parse_from(std::iter::once("rbd".to_string()).chain(rest))?;
        let mut cx = Ctx0::new(g);
        Ok(dispatch(&mut cx, cli.cmd)?)
    })
}

fn dispatch(cx: &mut Ctx0, cmd: Cmd) -> CliResult<()> {
    match cmd {
        Cmd::Ls { long, pool, namespace, fmt, pool_spec } => {
            image::ls(cx, long, pool.as_deref(), namespace.as_deref(), &fmt, pool_spec.as_deref())
        }
        Cmd::Info { loc, fmt, spec } => image::info(cx, &loc, &fmt, spec.as_deref()),
        Cmd::Create { loc, new, thick_provision, size, no_progress: _, spec } => {
            image::create(cx, &loc, &new, thick_provision, size.as_deref(), spec.as_deref())
        }
        Cmd::Rm { loc, no_progress, spec } => image::rm(cx, &loc, no_progress, spec.as_deref()),
        Cmd::Mv { loc, dest, src_spec, dest_spec } => {
            image::mv(cx, &loc, &dest, src_spec.as_deref(), dest_spec.as_deref())
        }
        Cmd::Cp { loc, dest, new, sparse_size: _, no_progress, src_spec, dest_spec } => {
            image::cp(cx, &loc, &dest, &new, false, false, no_progress, src_spec.as_deref(), dest_spec.as_deref())
        }
        Cmd::Deep { cmd: DeepCmd::Cp { loc, dest, new, flatten, no_progress, src_spec, dest_spec } } => {
            image::cp(cx, &loc, &dest, &new, true, flatten, no_progress, src_spec.as_deref(), dest_spec.as_deref())
        }
        Cmd::Resize { loc, size, allow_shrink, no_progress, spec } => {
            image::resize(cx, &loc, size.as_deref(), allow_shrink, no_progress, spec.as_deref())
        }
        Cmd::Snap { cmd } => snap::run(cx, cmd),
        Cmd::Clone { loc, dest, new, src_spec, dest_spec } => {
            image::clone(cx, &loc, &dest, &new, src_spec.as_deref(), dest_spec.as_deref())
        }
        Cmd::Flatten { loc, no_progress, spec } => image::flatten(cx, &loc, no_progress, spec.as_deref()),
        Cmd::Children { loc, snap_id, all, descendants, fmt, spec } => {
            image::children(cx, &loc, snap_id, all, descendants, &fmt, spec.as_deref())
        }
        Cmd::Du { loc, fmt, from_snap, exact: _, merge_snapshots, spec } => {
            image::du(cx, &loc, &fmt, from_snap.as_deref(), merge_snapshots, spec.as_deref())
        }
        Cmd::Diff { loc, from_snap, whole_object, fmt, spec } => {
            image::diff(cx, &loc, from_snap.as_deref(), whole_object, &fmt, spec.as_deref())
        }
        Cmd::Status { loc, fmt, spec } => image::status(cx, &loc, &fmt, spec.as_deref()),
        Cmd::Export { loc, path, no_progress, export_format, spec, path_name } => transfer::export(
            cx,
            &loc,
            path.as_deref().or(path_name.as_deref()),
            no_progress,
            export_format,
            spec.as_deref(),
        ),
        Cmd::Import { path, dest, new, sparse_size, no_progress, export_format, pool, image, path_name, dest_spec } => {
            transfer::import(
                cx,
                transfer::ImportArgs {
                    path: path.or(path_name.clone()),
                    // With --path, the one positional left is the destination.
                    dest_spec: if path_name.is_some() && dest_spec.is_none() && image.is_none() && dest.dest.is_none() {
                        None
                    } else {
                        dest_spec
                    },
                    dest,
                    new,
                    sparse_size,
                    no_progress,
                    export_format,
                    pool,
                    image,
                },
            )
        }
        Cmd::ExportDiff { loc, path, from_snap, whole_object, no_progress, spec, path_name } => transfer::export_diff(
            cx,
            &loc,
            path.as_deref().or(path_name.as_deref()),
            from_snap.as_deref(),
            whole_object,
            no_progress,
            spec.as_deref(),
        ),
        Cmd::ImportDiff { path, loc, sparse_size: _, no_progress, path_name, spec } => {
            let (path, spec) = match (path, path_name, spec) {
                (Some(p), Some(s), None) => (Some(p), Some(s)),
                (p, n, s) => (p.or(n), s),
            };
            transfer::import_diff(cx, &loc, path.as_deref(), no_progress, spec.as_deref())
        }
        Cmd::MergeDiff { path, no_progress, diff1, diff2, path_name } => transfer::merge_diff(
            diff1.as_deref(),
            diff2.as_deref(),
            path.as_deref().or(path_name.as_deref()),
            no_progress,
        ),
        Cmd::Bench(a) => bench::run(cx, &a),
        Cmd::Pool { cmd } => pool::pool(cx, cmd),
        Cmd::ImageMeta { cmd } => image::meta(cx, cmd),
        Cmd::Lock { cmd } => image::lock(cx, cmd),
        Cmd::Watch { loc, spec } => image::watch(cx, &loc, spec.as_deref()),
        Cmd::Trash { cmd } => pool::trash(cx, cmd),
        Cmd::Namespace { cmd } => pool::namespace(cx, cmd),
        Cmd::Feature { cmd } => image::feature(cx, cmd),
        Cmd::Config { cmd } => pool::config(cx, cmd),
    }
}
