//! Links the cdylib as librados.so.2 with the LIBRADOS_14.2.0 version node that libvirt and
//! Ceph's Python bindings import `rados_ioctx_pool_stat` from.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir");
    println!("cargo:rerun-if-changed=librados.map");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,librados.so.2");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/librados.map");
}
