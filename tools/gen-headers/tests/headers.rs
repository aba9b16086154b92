//! The generated headers in include/ are current, and a C program (and a C++ one) built with
//! only `-I include` compiles against them: the headers are self-contained, carry Ceph 16.2's
//! struct layouts, and declare functions compatibly with Ceph's own prototypes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn headers_are_up_to_date() {
    let out = Command::new(env!("CARGO_BIN_EXE_rbdshim-gen-headers"))
        .arg("--check")
        .arg("--root")
        .arg(root())
        .output()
        .expect("run rbdshim-gen-headers");
    assert!(
        out.status.success(),
        "include/ does not reflect shim/capi (see below); fix what is reported, run `cargo run -p rbdshim-gen-headers` \
         and commit include/\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Uses a few declarations the way QEMU and libvirt do. The redeclarations are Ceph 16.2's
/// prototypes: C refuses a redeclaration whose types differ from ours.
const PROGRAM: &str = r#"
#include <stddef.h>
#include <rbd/librbd.h>

#ifndef RBDSHIM_RBD_LIBRBD_H
#error "<rbd/librbd.h> is not rbdshim's"
#endif
#ifndef RBDSHIM_RADOS_LIBRADOS_H
#error "<rados/librados.h> is not rbdshim's"
#endif
#if defined(CEPH_LIBRBD_H) || defined(CEPH_LIBRADOS_H)
#error "Ceph's own headers were included"
#endif

#ifdef __cplusplus
extern "C" {
#endif
int rados_create(rados_t *cluster, const char * const id);
int rados_ioctx_create(rados_t cluster, const char *pool_name, rados_ioctx_t *ioctx);
int rados_ioctx_pool_stat(rados_ioctx_t io, struct rados_pool_stat_t *stats);
int rados_cluster_stat(rados_t cluster, struct rados_cluster_stat_t *result);
int rados_stat(rados_ioctx_t io, const char *o, uint64_t *psize, time_t *pmtime);
int rbd_open(rados_ioctx_t io, const char *name, rbd_image_t *image, const char *snap_name);
int rbd_stat(rbd_image_t image, rbd_image_info_t *info, size_t infosize);
int rbd_close(rbd_image_t image);
ssize_t rbd_read(rbd_image_t image, uint64_t ofs, size_t len, char *buf);
ssize_t rbd_write(rbd_image_t image, uint64_t ofs, size_t len, const char *buf);
int rbd_aio_readv(rbd_image_t image, const struct iovec *iov, int iovcnt, uint64_t off, rbd_completion_t c);
int rbd_snap_get_timestamp(rbd_image_t image, uint64_t snap_id, struct timespec *timestamp);
int rbd_list2(rados_ioctx_t io, rbd_image_spec_t *images, size_t *max_images);
#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
#define CHECK(e) static_assert(e, #e)
#else
#define CHECK(e) _Static_assert(e, #e)
#endif
#if defined(__LP64__)
CHECK(sizeof(rbd_image_info_t) == 160);
CHECK(offsetof(rbd_image_info_t, order) == 24);
CHECK(offsetof(rbd_image_info_t, block_name_prefix) == 28);
CHECK(offsetof(rbd_image_info_t, parent_pool) == 56);
CHECK(offsetof(rbd_image_info_t, parent_name) == 64);
CHECK(sizeof(rbd_snap_info_t) == 24);
CHECK(sizeof(rbd_image_spec_t) == 16);
CHECK(sizeof(rbd_linked_image_spec_t) == 48);
CHECK(sizeof(rbd_trash_image_info_t) == 40);
CHECK(sizeof(struct rados_pool_stat_t) == 128);
CHECK(offsetof(struct rados_pool_stat_t, compressed_bytes_alloc) == 120);
CHECK(sizeof(struct rados_cluster_stat_t) == 32);
#endif
CHECK(RBD_MAX_BLOCK_NAME_SIZE == 24);
CHECK(RBD_MAX_IMAGE_NAME_SIZE == 96);

int image_size(rados_ioctx_t io, const char *name, uint64_t *size) {
    rbd_image_t image;
    rbd_image_info_t info;
    int r = rbd_open(io, name, &image, NULL);
    if (r < 0)
        return r;
    r = rbd_stat(image, &info, sizeof(info));
    rbd_close(image);
    if (r == 0)
        *size = info.size;
    return r;
}

int pool_bytes(rados_ioctx_t io, uint64_t *bytes) {
    struct rados_pool_stat_t st;
    int r = rados_ioctx_pool_stat(io, &st);
    if (r == 0)
        *bytes = st.num_bytes;
    return r;
}
"#;

fn compile(compiler_env: &str, default: &str, lang: &str, std: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("rbdshim-headers-{lang}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("use_headers.c");
    std::fs::write(&src, PROGRAM).unwrap();
    let compiler = std::env::var(compiler_env).ok().filter(|s| !s.is_empty()).unwrap_or_else(|| default.to_string());
    let out = Command::new(&compiler)
        .args(["-x", lang, std, "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(root().join("include"))
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(dir.join("use_headers.o"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{compiler}` ({e}); scripts/setup.sh installs build-essential"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "a {lang} program using include/rbd/librbd.h and include/rados/librados.h does not compile:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn c_program_compiles_against_our_headers_only() {
    compile("CC", "cc", "c", "-std=gnu11");
}

#[test]
fn cxx_program_compiles_against_our_headers_only() {
    compile("CXX", "c++", "c++", "-std=gnu++17");
}
