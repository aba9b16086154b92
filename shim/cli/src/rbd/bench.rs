//! `rbd bench`: IO through the image with N requests in flight, reporting per-second and
//! total operations and bandwidth in Ceph's layout.

use super::{Ctx0, Loc};
use crate::error::Ctx;
use crate::spec::Snap;
use crate::units::{bytes, parse_size};
use crate::{CliError, CliResult};
use clap::Args;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    loc: Loc,
    /// IO size (in B/K/M/G) (< 4G) [default: 4K]
    #[arg(long = "io-size")]
    io_size: Option<String>,
    /// ios in flight [default: 16]
    #[arg(long = "io-threads")]
    io_threads: Option<u64>,
    /// total size for IO (in B/K/M/G/T) [default: 1G]
    #[arg(long = "io-total")]
    io_total: Option<String>,
    /// IO pattern (rand, seq, or full-seq) [default: seq]
    #[arg(long = "io-pattern")]
    io_pattern: Option<String>,
    /// read proportion in readwrite (<= 100) [default: 50]
    #[arg(long = "rw-mix-read")]
    rw_mix_read: Option<u64>,
    /// IO type (read, write, or readwrite(rw))
    #[arg(long = "io-type")]
    io_type: Option<String>,
    spec: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Write,
    Mixed,
}

/// A small xorshift generator: deterministic per worker, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

struct Counters {
    ops: AtomicU64,
    read_ops: AtomicU64,
    write_ops: AtomicU64,
    issued: AtomicU64,
    failed: AtomicU64,
}

pub fn run(cx: &mut Ctx0, a: &BenchArgs) -> CliResult<()> {
    let kind = match a.io_type.as_deref() {
        Some("read") => Kind::Read,
        Some("write") => Kind::Write,
        Some("readwrite") | Some("rw") => Kind::Mixed,
        Some(other) => return Err(CliError::usage(format!("rbd: invalid io-type '{other}'"))),
        None => return Err(CliError::usage("rbd: --io-type must be specified")),
    };
    let io_size = parse_size(a.io_size.as_deref().unwrap_or("4K"), 0)?;
    if io_size == 0 || io_size >= 4 << 30 {
        return Err(CliError::usage("rbd: io-size should be > 0 and < 4G"));
    }
    let threads = a.io_threads.unwrap_or(16);
    if threads == 0 || threads > 1024 {
        return Err(CliError::usage("rbd: io-threads should be between 1 and 1024"));
    }
    let total = parse_size(a.io_total.as_deref().unwrap_or("1G"), 0)?;
    let random = match a.io_pattern.as_deref().unwrap_or("seq") {
        "seq" | "full-seq" => false,
        "rand" => true,
        other => return Err(CliError::usage(format!("rbd: invalid io-pattern '{other}'"))),
    };
    let mix = a.rw_mix_read.unwrap_or(50);
    if mix > 100 {
        return Err(CliError::usage("rbd: rw-mix-read should be <= 100"));
    }
    let s = cx.spec(&a.loc, a.spec.as_deref(), Snap::None)?;
    let img = cx.open(&s, kind == Kind::Read)?;
    let size = img.size().ctx(|| "rbd: bench failed".into())?;
    if size < io_size {
        return Err(CliError::usage("rbd: image size must be at least the io size"));
    }
    let slots = size / io_size;
    let n_ops = total / io_size;
    let type_name = match kind {
        Kind::Read => "read",
        Kind::Write => "write",
        Kind::Mixed => "readwrite",
    };
    println!(
        "bench  type {type_name} io_size {io_size} io_threads {threads} bytes {total} pattern {}",
        if random { "random" } else { "sequential" }
    );
    if kind == Kind::Mixed {
        println!("  SEC       OPS   OPS/SEC   BYTES/SEC");
    } else {
        println!("  SEC       OPS   OPS/SEC   BYTES/SEC");
    }
    let c = Counters {
        ops: AtomicU64::new(0),
        read_ops: AtomicU64::new(0),
        write_ops: AtomicU64::new(0),
        issued: AtomicU64::new(0),
        failed: AtomicU64::new(0),
    };
    let start = Instant::now();
    std::thread::scope(|sc| {
        for t in 0..threads {
            let (c, img) = (&c, &img);
            sc.spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
                let mut buf = vec![0u8; io_size as usize];
                for (i, b) in buf.iter_mut().enumerate() {
                    *b = (i as u8) ^ (t as u8);
                }
                loop {
                    let n = c.issued.fetch_add(1, Ordering::Relaxed);
                    if n >= n_ops {
                        break;
                    }
                    let slot = if random { rng.next() % slots } else { n % slots };
                    let off = slot * io_size;
                    let read = match kind {
                        Kind::Read => true,
                        Kind::Write => false,
                        Kind::Mixed => rng.next() % 100 < mix,
                    };
                    let r = if read { img.read(off, &mut buf).map(|_| ()) } else { img.write(off, &buf).map(|_| ()) };
                    if r.is_err() {
                        c.failed.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    if read {
                        c.read_ops.fetch_add(1, Ordering::Relaxed);
                    } else {
                        c.write_ops.fetch_add(1, Ordering::Relaxed);
                    }
                    c.ops.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // Per-second report while the workers run.
        let mut last = 0;
        let mut sec = 0;
        while c.ops.load(Ordering::Relaxed) < n_ops && c.failed.load(Ordering::Relaxed) == 0 {
            std::thread::sleep(Duration::from_millis(50));
            let el = start.elapsed().as_secs();
            if el > sec {
                sec = el;
                let ops = c.ops.load(Ordering::Relaxed);
                let rate = (ops - last) as f64;
                println!("{sec:>5} {ops:>9} {rate:>9.2} {:>11}/s", bytes((ops - last) * io_size));
                last = ops;
            }
        }
    });
    if kind != Kind::Read {
        img.flush().ctx(|| "rbd: bench failed".into())?;
    }
    let _ = img.close();
    if c.failed.load(Ordering::Relaxed) > 0 {
        return Err(CliError::new("rbd: bench failed", libc::EIO));
    }
    let el = start.elapsed().as_secs_f64().max(1e-9);
    let ops = c.ops.load(Ordering::Relaxed);
    let per = |n: u64| n as f64 / el;
    if kind == Kind::Mixed {
        let (r, w) = (c.read_ops.load(Ordering::Relaxed), c.write_ops.load(Ordering::Relaxed));
        println!(
            "elapsed: {:>5}   ops: {ops:>9}   ops/sec: {:>9.2}   bytes/sec: {}/s\nread_ops: {r:>9}   read_ops/sec: \
             {:>9.2}   read_bytes/sec: {}/s\nwrite_ops: {w:>9}   write_ops/sec: {:>9.2}   write_bytes/sec: {}/s",
            el.round() as u64,
            per(ops),
            bytes(per(ops * io_size) as u64),
            per(r),
            bytes(per(r * io_size) as u64),
            per(w),
            bytes(per(w * io_size) as u64)
        );
    } else {
        println!(
            "elapsed: {:>5}   ops: {ops:>9}   ops/sec: {:>9.2}   bytes/sec: {}/s",
            el.round() as u64,
            per(ops),
            bytes(per(ops * io_size) as u64)
        );
    }
    Ok(())
}
