//! fork(): a child can use the handles it inherited (cluster, image, AIO) and make new ones,
//! while the parent, whose threads were running, keeps working. Nova and Cinder fork workers.

mod common;
use common::*;
use rbdshim_core::{Completion, Image};
use std::sync::Arc;

fn child_work(e: &Env, img: &Arc<Image>) -> Result<(), String> {
    img.write(4096, b"child-inherited").map_err(|e| e.to_string())?;
    let c = Completion::new(None);
    img.aio_write(8192, b"child-aio".to_vec(), c.clone()).map_err(|e| e.to_string())?;
    if c.wait() != 0 {
        return Err("aio write".into());
    }
    let fresh = connect(&spec(e.dir.path()));
    let io = fresh.ioctx("rbd").map_err(|e| e.to_string())?;
    let own = Image::open(&io, "f", None, false).map_err(|e| e.to_string())?;
    own.write(12288, b"child-new-handle").map_err(|e| e.to_string())?;
    if own.read_vec(0, 6).map_err(|e| e.to_string())? != b"parent" {
        return Err("child does not see the parent's data".into());
    }
    own.close().map_err(|e| e.to_string())?;
    img.flush().map_err(|e| e.to_string())
}

#[test]
fn child_uses_inherited_and_new_handles() {
    let e = env();
    let img = Arc::new(e.create_order("f", 1 << 20, 12));
    img.write(0, b"parent").unwrap();
    let c = Completion::new(None);
    img.aio_write(100, b"warm".to_vec(), c.clone()).unwrap();
    assert_eq!(c.wait(), 0);
    // Threads now run in the parent: AIO workers and the lock keeper.
    // SAFETY: fork in a test; the child only runs child_work and then _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let code = match child_work(&e, &img) {
            Ok(()) => 0,
            Err(msg) => {
                eprintln!("child failed: {msg}");
                1
            }
        };
        // SAFETY: leaving the child without running the test harness's exit path.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child status {status}");
    assert_eq!(img.read_vec(4096, 15).unwrap(), b"child-inherited");
    assert_eq!(img.read_vec(8192, 9).unwrap(), b"child-aio");
    assert_eq!(img.read_vec(12288, 16).unwrap(), b"child-new-handle");
    img.write(0, b"parent-again").unwrap();
    let c = Completion::new(None);
    img.aio_flush(c.clone()).unwrap();
    assert_eq!(c.wait(), 0);
}
