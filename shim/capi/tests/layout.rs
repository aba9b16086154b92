//! Proves that the C structs and constants of `rbdshim_capi::types` have exactly the layouts and
//! values of Ceph 16.2's headers.
//!
//! The test writes a small C program that includes Ceph's own <rbd/librbd.h> and
//! <rados/librados.h> (installed by scripts/setup.sh from Debian's librbd-dev and
//! librados-dev), prints sizeof/alignof/offsetof of every field of every struct below and the
//! value of every constant, compiles it with `cc` (or $CC), runs it, and compares each number
//! with the one Rust computes for our definitions. Ceph's headers are only read from the
//! system, never copied into the repository.
//!
//! A second test makes sure every `#[repr(C)]` struct and every constant of src/types.rs is in
//! the lists below, so a definition added later cannot escape the comparison.

use rados::types::*;
use rbdshim_core::features;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::mem::{align_of, size_of, MaybeUninit};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Signedness of an integer type, to catch int64_t declared as u64 and the like.
trait Int {
    const SIGNED: bool;
}
macro_rules! int {
    ($($t:ty => $s:expr),*) => { $(impl Int for $t { const SIGNED: bool = $s; })* };
}
int!(i8 => true, i16 => true, i32 => true, i64 => true, u8 => false, u16 => false, u32 => false, u64 => false);

fn size_align_of_pointee<F>(_: *const F) -> (usize, usize) {
    (size_of::<F>(), align_of::<F>())
}

fn signed_of_pointee<F: Int>(_: *const F) -> u64 {
    F::SIGNED as u64
}

/// One struct: its spelling in C, and per field the facts computed in Rust.
struct Layout {
    c_type: &'static str,
    rust_name: &'static str,
    size: usize,
    align: usize,
    fields: Vec<Field>,
}

struct Field {
    name: &'static str,
    offset: usize,
    size: usize,
    align: usize,
    /// Some(signed) for plain integer fields; None for pointers, arrays, bool and C enums
    /// (whose signedness C leaves to the compiler).
    signed: Option<u64>,
}

macro_rules! signed {
    (int, $p:expr) => {
        Some(signed_of_pointee($p))
    };
    (other, $p:expr) => {{
        let _ = $p;
        None
    }};
}

/// `layouts! { "C spelling" => RustType { field: int|other, ... }, ... }`
macro_rules! layouts {
    ($($c:literal => $t:ident { $($f:ident : $k:ident),* $(,)? }),* $(,)?) => {
        vec![$({
            let u = MaybeUninit::<$t>::uninit();
            let p = u.as_ptr();
            Layout {
                c_type: $c,
                rust_name: stringify!($t),
                size: size_of::<$t>(),
                align: align_of::<$t>(),
                fields: vec![$({
                    // SAFETY: addr_of! on a field of an uninitialized value reads nothing.
                    let fp = unsafe { std::ptr::addr_of!((*p).$f) };
                    let (size, align) = size_align_of_pointee(fp);
                    Field {
                        name: stringify!($f),
                        offset: std::mem::offset_of!($t, $f),
                        size,
                        align,
                        signed: signed!($k, fp),
                    }
                }),*],
            }
        }),*]
    };
}

fn layouts() -> Vec<Layout> {
    layouts! {
        "rbd_image_info_t" => rbd_image_info_t {
            size: int, obj_size: int, num_objs: int, order: int, block_name_prefix: other,
            parent_pool: int, parent_name: other,
        },
        "rbd_snap_info_t" => rbd_snap_info_t { id: int, size: int, name: other },
        "rbd_image_spec_t" => rbd_image_spec_t { id: other, name: other },
        "rbd_linked_image_spec_t" => rbd_linked_image_spec_t {
            pool_id: int, pool_name: other, pool_namespace: other, image_id: other, image_name: other,
            trash: other,
        },
        "rbd_snap_spec_t" => rbd_snap_spec_t { id: int, namespace_type: other, name: other },
        "rbd_child_info_t" => rbd_child_info_t { pool_name: other, image_name: other, image_id: other, trash: other },
        "rbd_trash_image_info_t" => rbd_trash_image_info_t {
            id: other, name: other, source: other, deletion_time: int, deferment_end_time: int,
        },
        "rbd_image_watcher_t" => rbd_image_watcher_t { addr: other, id: int, cookie: int },
        "struct rados_pool_stat_t" => rados_pool_stat_t {
            num_bytes: int, num_kb: int, num_objects: int, num_object_clones: int, num_object_copies: int,
            num_objects_missing_on_primary: int, num_objects_unfound: int, num_objects_degraded: int,
            num_rd: int, num_rd_kb: int, num_wr: int, num_wr_kb: int, num_user_bytes: int,
            compressed_bytes_orig: int, compressed_bytes: int, compressed_bytes_alloc: int,
        },
        "struct rados_cluster_stat_t" => rados_cluster_stat_t {
            kb: int, kb_used: int, kb_avail: int, num_objects: int,
        },
    }
}

/// Every constant compared: (C expression, value in Rust). All are non-negative.
fn constants() -> Vec<(&'static str, u64)> {
    macro_rules! consts {
        ($($c:ident = $v:expr),* $(,)?) => { vec![$((stringify!($c), $v as u64)),*] };
    }
    consts![
        RBD_MAX_BLOCK_NAME_SIZE = RBD_MAX_BLOCK_NAME_SIZE,
        RBD_MAX_IMAGE_NAME_SIZE = RBD_MAX_IMAGE_NAME_SIZE,
        RBD_IMAGE_OPTION_FORMAT = RBD_IMAGE_OPTION_FORMAT,
        RBD_IMAGE_OPTION_FEATURES = RBD_IMAGE_OPTION_FEATURES,
        RBD_IMAGE_OPTION_ORDER = RBD_IMAGE_OPTION_ORDER,
        RBD_IMAGE_OPTION_STRIPE_UNIT = RBD_IMAGE_OPTION_STRIPE_UNIT,
        RBD_IMAGE_OPTION_STRIPE_COUNT = RBD_IMAGE_OPTION_STRIPE_COUNT,
        RBD_IMAGE_OPTION_DATA_POOL = RBD_IMAGE_OPTION_DATA_POOL,
        EVENT_TYPE_PIPE = EVENT_TYPE_PIPE,
        EVENT_TYPE_EVENTFD = EVENT_TYPE_EVENTFD,
        RBD_LOCK_MODE_EXCLUSIVE = RBD_LOCK_MODE_EXCLUSIVE,
        RBD_LOCK_MODE_SHARED = RBD_LOCK_MODE_SHARED,
        RBD_WRITE_ZEROES_FLAG_THICK_PROVISION = RBD_WRITE_ZEROES_FLAG_THICK_PROVISION,
        // rbdshim_core::features against <rbd/features.h> and <rbd/librbd.h>.
        RBD_FEATURE_LAYERING = features::LAYERING,
        RBD_FEATURE_STRIPINGV2 = features::STRIPINGV2,
        RBD_FEATURE_EXCLUSIVE_LOCK = features::EXCLUSIVE_LOCK,
        RBD_FEATURE_OBJECT_MAP = features::OBJECT_MAP,
        RBD_FEATURE_FAST_DIFF = features::FAST_DIFF,
        RBD_FEATURE_DEEP_FLATTEN = features::DEEP_FLATTEN,
        RBD_FEATURE_JOURNALING = features::JOURNALING,
        RBD_FEATURE_DATA_POOL = features::DATA_POOL,
        RBD_FEATURE_OPERATIONS = features::OPERATIONS,
        RBD_FEATURE_MIGRATING = features::MIGRATING,
        RBD_FEATURE_NON_PRIMARY = features::NON_PRIMARY,
        RBD_FEATURE_DIRTY_CACHE = features::DIRTY_CACHE,
        RBD_FEATURES_ALL = features::ALL,
        RBD_FEATURES_DEFAULT = features::DEFAULT,
        RBD_FEATURES_MUTABLE = features::MUTABLE,
        RBD_FEATURES_DISABLE_ONLY = features::DISABLE_ONLY,
        RBD_FLAG_OBJECT_MAP_INVALID = features::FLAG_OBJECT_MAP_INVALID,
        RBD_FLAG_FAST_DIFF_INVALID = features::FLAG_FAST_DIFF_INVALID,
    ]
}

/// The numbers as Rust sees them, keyed like the C program's output.
fn rust_facts() -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for l in layouts() {
        m.insert(format!("{}.sizeof", l.c_type), l.size as u64);
        m.insert(format!("{}.alignof", l.c_type), l.align as u64);
        for f in &l.fields {
            m.insert(format!("{}.{}.offsetof", l.c_type, f.name), f.offset as u64);
            m.insert(format!("{}.{}.sizeof", l.c_type, f.name), f.size as u64);
            m.insert(format!("{}.{}.alignof", l.c_type, f.name), f.align as u64);
            if let Some(s) = f.signed {
                m.insert(format!("{}.{}.signed", l.c_type, f.name), s);
            }
        }
    }
    for (name, v) in constants() {
        m.insert(name.to_string(), v);
    }
    m
}

/// The C program printing the same keys from Ceph's headers.
fn c_program() -> String {
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <rados/librados.h>\n#include <rbd/librbd.h>\n\n\
         #define FIELD(T, S, f) \\\n  \
           printf(\"%s.%s.offsetof=%zu\\n\", S, #f, offsetof(T, f)); \\\n  \
           printf(\"%s.%s.sizeof=%zu\\n\", S, #f, sizeof(((T *)0)->f)); \\\n  \
           printf(\"%s.%s.alignof=%zu\\n\", S, #f, (size_t)__alignof__(((T *)0)->f))\n\
         #define SIGNED(T, S, f) \\\n  \
           printf(\"%s.%s.signed=%d\\n\", S, #f, (__typeof__(((T *)0)->f))-1 < (__typeof__(((T *)0)->f))0)\n\
         #define CONST(c) printf(\"%s=%llu\\n\", #c, (unsigned long long)(c))\n\n\
         int main(void) {\n",
    );
    for l in layouts() {
        let (t, s) = (l.c_type, l.c_type);
        writeln!(c, "  printf(\"%s.sizeof=%zu\\n\", \"{s}\", sizeof({t}));").unwrap();
        writeln!(c, "  printf(\"%s.alignof=%zu\\n\", \"{s}\", (size_t)_Alignof({t}));").unwrap();
        for f in &l.fields {
            writeln!(c, "  FIELD({t}, \"{s}\", {});", f.name).unwrap();
            if f.signed.is_some() {
                writeln!(c, "  SIGNED({t}, \"{s}\", {});", f.name).unwrap();
            }
        }
    }
    for (name, _) in constants() {
        writeln!(c, "  CONST({name});").unwrap();
    }
    c.push_str("  return 0;\n}\n");
    c
}

fn cc() -> String {
    std::env::var("CC").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "cc".to_string())
}

fn work_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("rbdshim-layout-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("create temporary directory");
    d
}

/// Fails with a clear message when Ceph's development headers are not installed.
fn require_ceph_headers(dir: &Path) {
    let probe = dir.join("probe.c");
    std::fs::write(&probe, "#include <rados/librados.h>\n#include <rbd/librbd.h>\nint main(void) { return 0; }\n")
        .unwrap();
    let out = Command::new(cc()).arg("-E").arg(&probe).output().unwrap_or_else(|e| {
        panic!("cannot run the C compiler `{}` ({e}); scripts/setup.sh installs build-essential", cc())
    });
    assert!(
        out.status.success(),
        "Ceph 16.2's C headers <rados/librados.h> and <rbd/librbd.h> are not installed; \
         scripts/setup.sh installs them (Debian packages librbd-dev and librados-dev).\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn c_facts() -> BTreeMap<String, u64> {
    let dir = work_dir();
    require_ceph_headers(&dir);
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&src, c_program()).unwrap();
    let out = Command::new(cc()).arg("-std=gnu11").arg("-o").arg(&exe).arg(&src).output().expect("run cc");
    assert!(
        out.status.success(),
        "compiling {} against Ceph's headers failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&exe).output().expect("run the layout program");
    assert!(out.status.success(), "the layout program failed: {:?}", out.status);
    let text = String::from_utf8(out.stdout).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text.lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or_else(|| panic!("bad line from the C program: {l}"));
            (k.to_string(), v.parse().unwrap_or_else(|_| panic!("bad number from the C program: {l}")))
        })
        .collect()
}

#[test]
fn layouts_and_constants_match_ceph_16_2() {
    let c = c_facts();
    let rust = rust_facts();
    assert_eq!(c.len(), rust.len(), "the C program printed a different set of facts");
    let mismatches: Vec<String> = rust
        .iter()
        .filter(|(k, v)| c.get(*k) != Some(v))
        .map(|(k, v)| format!("  {k}: Ceph {:?}, rbdshim {v}", c.get(k)))
        .collect();
    assert!(mismatches.is_empty(), "rbdshim's C ABI differs from Ceph 16.2's:\n{}", mismatches.join("\n"));
    // Shown with --nocapture.
    for (k, v) in &c {
        println!("{k}={v}");
    }

    // The sizes everyone relies on, stated plainly (64-bit Linux).
    if cfg!(target_pointer_width = "64") {
        for (t, size) in [
            ("rbd_image_info_t", 160),
            ("rbd_snap_info_t", 24),
            ("rbd_image_spec_t", 16),
            ("struct rados_pool_stat_t", 128),
            ("struct rados_cluster_stat_t", 32),
        ] {
            assert_eq!(c[&format!("{t}.sizeof")], size, "sizeof({t})");
        }
    }
}

#[test]
fn every_struct_and_constant_of_types_rs_is_compared() {
    let src = include_str!("../src/types.rs");
    let structs: Vec<&str> = layouts().iter().map(|l| l.rust_name).collect();
    let consts: Vec<&str> = constants().iter().map(|(n, _)| *n).collect();
    let mut missing = Vec::new();
    let mut repr_c = false;
    for line in src.lines().map(str::trim) {
        if line.starts_with("#[repr(C") {
            repr_c = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("pub struct ") {
            let name = rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap();
            if repr_c && !structs.contains(&name) {
                missing.push(format!("struct {name}"));
            }
        } else if let Some(rest) = line.strip_prefix("pub const ") {
            let name = rest.split(':').next().unwrap().trim();
            if !consts.contains(&name) {
                missing.push(format!("const {name}"));
            }
        }
        if !line.starts_with("#[") && !line.starts_with("///") {
            repr_c = false;
        }
    }
    assert!(
        missing.is_empty(),
        "src/types.rs defines items tests/layout.rs does not compare with Ceph's headers; add them to \
         layouts() or constants(): {missing:?}"
    );
}
