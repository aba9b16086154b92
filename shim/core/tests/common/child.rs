//! Child processes for cross-process and crash tests: the test binary re-runs itself with
//! `RBDSHIM_TEST_ROLE` set, and the `child_role` test then plays that role until killed.

use super::connect;
use rbdshim_core::Image;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};

pub const ROLE: &str = "RBDSHIM_TEST_ROLE";
pub const SPEC: &str = "RBDSHIM_TEST_SPEC";

pub struct Proc {
    pub child: Child,
    pub out: BufReader<ChildStdout>,
}

impl Proc {
    pub fn spawn(role: &str, spec: &str) -> Proc {
        Proc::spawn_with(role, spec, &[])
    }

    pub fn spawn_with(role: &str, spec: &str, env: &[(&str, String)]) -> Proc {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["child_role", "--exact", "--nocapture", "--test-threads=1", "-q"])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env(ROLE, role)
            .env(SPEC, spec)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        Proc { child, out }
    }

    /// Next line the child printed with our marker (the harness prints its own lines too).
    pub fn line(&mut self) -> Option<String> {
        let mut l = String::new();
        loop {
            l.clear();
            if self.out.read_line(&mut l).ok()? == 0 {
                return None;
            }
            if let Some(rest) = l.trim_end().strip_prefix("@@ ") {
                return Some(rest.to_string());
            }
        }
    }

    pub fn expect(&mut self, want: &str) {
        let got = self.line();
        assert_eq!(got.as_deref(), Some(want));
    }

    pub fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    pub fn kill9(&mut self) {
        // SAFETY: sending a signal to our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn say(s: &str) {
    println!("@@ {s}");
    std::io::stdout().flush().unwrap();
}

fn stdin_line() -> String {
    let mut l = String::new();
    std::io::stdin().read_line(&mut l).unwrap();
    l.trim().to_string()
}

/// Record `i` as written by the crash writer: its index, then bytes derived from it.
pub fn record(i: u64) -> Vec<u8> {
    let mut r = i.to_le_bytes().to_vec();
    r.extend((0..504u64).map(|k| (i.wrapping_mul(7).wrapping_add(k) % 251) as u8));
    r
}

pub const SLOTS: u64 = 64;

/// Runs the role named in the environment, if any; never returns then.
pub fn run_role_if_asked() {
    let Ok(role) = std::env::var(ROLE) else { return };
    let spec = std::env::var(SPEC).unwrap();
    let cluster = connect(&spec);
    let io = cluster.ioctx("rbd").unwrap();
    let img = Image::open(&io, "img", None, false).unwrap();
    match role.as_str() {
        "hold-open" => {
            say("ready");
            stdin_line();
        }
        "hold-lock" => {
            img.write(0, b"locked").unwrap();
            say("ready");
            stdin_line();
        }
        "read-on-request" => {
            img.write(0, b"child").unwrap();
            say("ready");
            loop {
                let off: u64 = stdin_line().parse().unwrap();
                let d = img.read_vec(off, 8).unwrap();
                say(&format!("{:?}", d));
            }
        }
        "write-on-request" => {
            // Each line "OFFSET BYTE" writes 4 KiB of BYTE at OFFSET (no flush: other processes
            // see it through the page cache, as they would see it on Ceph at once).
            say("ready");
            loop {
                let l = stdin_line();
                let (off, byte) = l.split_once(' ').unwrap();
                img.write(off.parse().unwrap(), &[byte.parse::<u8>().unwrap(); 4096]).unwrap();
                say("written");
            }
        }
        "overwrite-all" => {
            // Rewrites every 4 KiB block of the image's first 256 KiB with a new round number,
            // forever: each first write after a snapshot preserves the block's old version.
            let mut n = 1u64;
            loop {
                for blk in 0..64u64 {
                    img.write(blk * 4096, &vec![(n % 251) as u8; 4096]).unwrap();
                }
                if n == 3 {
                    say("ready");
                }
                n += 1;
            }
        }
        "counter" => {
            // Writes n at offset 0 and then at 1 MiB (another object), forever.
            let mut n = 1u64;
            loop {
                img.write(0, &n.to_le_bytes()).unwrap();
                img.write(1 << 20, &n.to_le_bytes()).unwrap();
                if n == 100 {
                    say("ready");
                }
                n += 1;
            }
        }
        "crash-writer" => {
            let start: u64 = std::env::var("RBDSHIM_TEST_START").unwrap().parse().unwrap();
            let mut i = start;
            loop {
                img.write((i % SLOTS) * 4096 + 7, &record(i)).unwrap();
                if i % 10 == 9 {
                    img.flush().unwrap();
                    say(&format!("flushed {i}"));
                }
                if i.is_multiple_of(37) {
                    let name = format!("s{i}");
                    img.snap_create(&name).unwrap();
                    say(&format!("snap {name}"));
                    let snaps = img.snap_list().unwrap();
                    if snaps.len() > 3 {
                        img.snap_remove(&snaps[0].name).unwrap();
                    }
                }
                if i.is_multiple_of(53) {
                    img.discard((SLOTS + 1) * 4096, 4096).unwrap();
                }
                i += 1;
            }
        }
        other => panic!("unknown role {other}"),
    }
    std::process::exit(0);
}
