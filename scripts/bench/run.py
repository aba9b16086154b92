#!/usr/bin/env python3
"""The benchmark driver of scripts/bench.sh (which builds and installs what this needs).

  run.py --work DIR [--json FILE] [--quick] [--only SECTIONS]
  run.py --table FILE          prints the table of an earlier --json FILE again
  run.py --table FILE --compare [LABEL=]FILE2 ...   the same, with other runs' ratios beside it

Runs every case against the shim and against its baseline on the same filesystem (the work
directory holds both the file-backend store and the baselines' raw files), prints the machine,
progress on stderr, and the table on stdout; with --json also writes the rows as JSON.
Environment: PYTHONPATH must find rbdshim's rados/rbd modules; RBDSHIM_BACKEND and CEPH_CONF
are set here for the children; target/shim must hold the release libraries and
target/release/rbd the CLI.
"""

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHIM = os.path.join(ROOT, "target", "shim")
RBD_CLI = os.path.join(ROOT, "target", "release", "rbd")
PYIO = os.path.join(ROOT, "scripts", "bench", "pyio.py")
MiB = 1 << 20
GiB = 1 << 30
POOL = "bench"

T0 = time.monotonic()
ROWS = []


def log(msg):
    print("[%6.1fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Rows: `shim` and `baseline` are the two figures, ratio = shim / baseline. `rule` says how the
# ratio is judged against `target`: ">=" (higher is better), "<=" (lower is better) or
# "between" (target is [low, high]). No target: target and met are null.

def add(name, unit, shim, baseline, target=None, rule=">=", baseline_is="", detail=None):
    ratio = shim / baseline if baseline else None
    met = None
    if target is not None and ratio is not None:
        if rule == ">=":
            met = ratio >= target
        elif rule == "<=":
            met = ratio <= target
        else:
            met = target[0] <= ratio <= target[1]
    row = {"name": name, "unit": unit, "shim": shim, "baseline": baseline,
           "ratio": ratio, "target": target, "met": met, "rule": rule if target is not None else None,
           "baseline_is": baseline_is}
    if detail:
        row["detail"] = detail
    ROWS.append(row)
    log("   %s: shim %s, baseline %s, ratio %s" % (name, fmt(shim), fmt(baseline), fmt(ratio)))


def fmt(x):
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "NO"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1000:
        return "%.0f" % x
    if a >= 100:
        return "%.1f" % x
    if a >= 1:
        return "%.2f" % x
    if a >= 0.01:
        return "%.3f" % x
    return "%.2e" % x


def fmt_ratio(x):
    if x is None:
        return "-"
    return "%.3f" % x if x < 10 else "%.1f" % x


def fmt_target(r):
    if r["target"] is None:
        return "-"
    if r["rule"] == "between":
        return "%g..%g" % tuple(r["target"])
    return "%s %g" % (r["rule"], r["target"])


def table(rows, others=()):
    """The Markdown table of `rows`; each (label, rows) in `others` adds the ratio that run
    measured for the same case, to show the spread between runs."""
    head = ("case", "unit", "shim", "baseline", "ratio", "target", "met")
    head += tuple("ratio, %s" % label for label, _ in others)
    by_name = [{r["name"]: r for r in o} for _, o in others]
    lines = [(r["name"], r["unit"], fmt(r["shim"]), fmt(r["baseline"]), fmt_ratio(r["ratio"]),
              fmt_target(r), "-" if r["met"] is None else ("yes" if r["met"] else "NO"))
             + tuple(fmt_ratio(o[r["name"]]["ratio"]) if r["name"] in o else "-" for o in by_name)
             for r in rows]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    out += ["| " + " | ".join(l) + " |" for l in lines]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Helpers

def shim_env():
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = SHIM + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    return env


def run(cmd, shim=False, timeout=900, cwd=None, capture=True):
    r = subprocess.run(cmd, env=shim_env() if shim else None, cwd=cwd, timeout=timeout,
                       stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-3000:]))
    return r.stdout


def pyio(args, timeout=900):
    return json.loads(run([sys.executable, PYIO] + args, timeout=timeout).strip().splitlines()[-1])


def sync(work):
    # Write-back debt of the previous step must not land on the next one.
    subprocess.run(["sync", "-f", work], check=False)


def warm(work, size):
    """See pyio.warm: recycles `size` bytes of page cache right before a timed run that writes
    new data, so that neither side pays for memory the VM's balloon handed back to the host."""
    buf = b"\xa5" * (8 * MiB)
    path = os.path.join(work, ".warm")
    with open(path, "wb", buffering=0) as f:
        for _ in range(max(1, size // len(buf))):
            f.write(buf)
    os.unlink(path)


def median(xs):
    return statistics.median(xs)


def rbd_rm(image):
    subprocess.run([RBD_CLI, "rm", "%s/%s" % (POOL, image)], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)


# ---------------------------------------------------------------------------------------------
# Case 1: fio

FIO_JOBS = [
    # label, rw, bs, iodepth, headline metric
    ("4k randread qd1", "randread", "4k", 1, "iops"),
    ("4k randread qd32", "randread", "4k", 32, "iops"),
    ("4k randwrite qd1", "randwrite", "4k", 1, "iops"),
    ("4k randwrite qd32", "randwrite", "4k", 32, "iops"),
    ("64k read qd8", "read", "64k", 8, "bw"),
    ("64k write qd8", "write", "64k", 8, "bw"),
    ("1m read qd8", "read", "1m", 8, "bw"),
    ("1m write qd8", "write", "1m", 8, "bw"),
]


def fio_engine_args(engine, work, name):
    if engine == "rbd":
        return ["--ioengine=rbd", "--clientname=admin", "--pool=" + POOL, "--rbdname=" + name]
    # invalidate=0: fio would otherwise drop the file's page cache before each job, and the
    # baseline would read from the disk while the store's files stay cached.
    return ["--ioengine=" + engine, "--direct=0", "--invalidate=0", "--filename=" + os.path.join(work, name + ".raw")]


def fio(engine, work, extra, timeout=600, name="fio"):
    """fio on image POOL/name (engine rbd) or on the file name.raw (other engines)."""
    # iomem_align=4k for every engine: with fio's default buffer alignment the kernel's copy of
    # large buffered reads into fio's buffers runs several times slower on some CPUs (seen here:
    # 1.6 GiB/s instead of 7-10 GiB/s for 64 KiB psync/libaio reads from the page cache).
    cmd = (["fio", "--output-format=json", "--name=bench", "--iomem_align=4k"]
           + fio_engine_args(engine, work, name) + extra)
    out = run(cmd, shim=(engine == "rbd"), cwd=work, timeout=timeout)
    # fio may print notes before the JSON document.
    return json.loads(out[out.index("{"):])


def fio_metrics(doc, rw):
    j = doc["jobs"][0]
    if j.get("error"):
        raise RuntimeError("fio job error %s" % j["error"])
    side = j["write" if "write" in rw else "read"]
    pct = side["lat_ns"].get("percentile", {})
    return {"iops": side["iops"], "mib_s": side["bw_bytes"] / MiB,
            "p50_us": pct.get("50.000000", 0) / 1000.0, "p99_us": pct.get("99.000000", 0) / 1000.0,
            "mean_us": side["lat_ns"]["mean"] / 1000.0,
            "usr_cpu": j.get("usr_cpu"), "sys_cpu": j.get("sys_cpu")}


def case_fio(a, work):
    size = a.fio_size
    log("fio: image bench/fio and raw file fio.raw, %d MiB each, filled with 1 MiB writes" % (size // MiB))
    run(["qemu-img", "create", "-f", "raw", "rbd:%s/fio:conf=%s" % (POOL, os.environ["CEPH_CONF"]), str(size)], shim=True)
    fill = ["--rw=write", "--bs=1m", "--iodepth=8", "--size=%d" % size]
    fio("rbd", work, fill)
    fio("libaio", work, fill + ["--end_fsync=1"])
    sync(work)
    for label, rw, bs, depth, kind in FIO_JOBS:
        common = ["--rw=" + rw, "--bs=" + bs, "--iodepth=%d" % depth, "--size=%d" % size,
                  "--runtime=%d" % a.fio_runtime, "--time_based=1", "--lat_percentiles=1",
                  "--percentile_list=50:99", "--norandommap=1", "--randrepeat=1"]
        engines = ["rbd", "libaio"] + (["psync"] if depth <= 8 else [])
        m = {}
        for engine in engines:
            sync(work)
            log("fio %s [%s]" % (label, engine))
            args = list(common)
            if engine == "psync":
                args[2] = "--iodepth=1"
            m[engine] = fio_metrics(fio(engine, work, args, timeout=a.fio_runtime + 300), rw)
        for base in engines[1:]:
            what = ("fio ioengine=libaio, direct=0 (buffered), iodepth %d, on a raw file" % depth if base == "libaio"
                    else "fio ioengine=psync (buffered, synchronous: effective iodepth 1), on a raw file")
            tag = "[%s]" % base
            detail = {"shim": m["rbd"], "baseline": m[base]}
            if kind == "iops":
                add("fio %s IOPS %s" % (label, tag), "IOPS", m["rbd"]["iops"], m[base]["iops"],
                    target=0.90 if (depth == 32 and base == "libaio") else None, baseline_is=what, detail=detail)
            else:
                add("fio %s bandwidth %s" % (label, tag), "MiB/s", m["rbd"]["mib_s"], m[base]["mib_s"],
                    target=0.95 if base == "libaio" else None, baseline_is=what, detail=detail)
            if base == "psync" and depth != 1:
                continue  # latencies at depth 8 vs depth 1 say nothing
            lat_target = 1.15 if depth == 1 else None
            add("fio %s p50 latency %s" % (label, tag), "us", m["rbd"]["p50_us"], m[base]["p50_us"],
                target=lat_target, rule="<=", baseline_is=what)
            add("fio %s p99 latency %s" % (label, tag), "us", m["rbd"]["p99_us"], m[base]["p99_us"],
                target=lat_target, rule="<=", baseline_is=what)


# ---------------------------------------------------------------------------------------------
# Case 2: qemu-img bench (depth 32, sequential offsets as qemu-img bench does, cache=writeback:
# buffered, no flush during the run) through the rbd driver vs the file driver.

def case_qemu_bench(a, work):
    rbd_target = "rbd:%s/fio:conf=%s" % (POOL, os.environ["CEPH_CONF"])
    raw = os.path.join(work, "fio.raw")
    for write in (False, True):
        for size, count in ((4096, a.qb_count_4k), (65536, a.qb_count_64k)):
            label = "qemu-img bench %s %dk d32" % ("write" if write else "read", size // 1024)
            t = {"rbd": [], "file": []}
            for rep in range(a.repeats):
                for kind in (("rbd", "file") if rep % 2 == 0 else ("file", "rbd")):
                    sync(work)
                    cmd = ["qemu-img", "bench", "-f", "raw", "-t", "writeback", "-d", "32", "-c", str(count),
                           "-s", str(size)] + (["-w"] if write else []) + [rbd_target if kind == "rbd" else raw]
                    log("%s [%s]" % (label, kind))
                    out = run(cmd, shim=(kind == "rbd"))
                    secs = float(re.search(r"Run completed in ([0-9.]+) seconds", out).group(1))
                    t[kind].append(secs)
            what = "the same qemu-img bench through QEMU's file driver (aio=threads, cache=writeback) on a raw file"
            if size == 4096:
                add(label + " IOPS", "IOPS", count / median(t["rbd"]), count / median(t["file"]),
                    target=0.90, baseline_is=what)
            else:
                add(label + " bandwidth", "MiB/s", count * size / MiB / median(t["rbd"]),
                    count * size / MiB / median(t["file"]), target=0.95, baseline_is=what)


# ---------------------------------------------------------------------------------------------
# Case 3: qemu-img convert of a raw image, half data (random) and half holes, into rbd and back.

def make_half_sparse(path, size, extent):
    with open(path, "wb") as f:
        f.truncate(size)
        for off in range(0, size, 2 * extent):
            f.seek(off)
            left = extent
            while left:
                n = min(left, 8 * MiB)
                f.write(os.urandom(n))
                left -= n
        f.flush()
        os.fsync(f.fileno())


def case_convert(a, work):
    size = a.convert_size
    src = os.path.join(work, "src.raw")
    log("convert: %d MiB source, half random data, half holes (%d MiB extents)" % (size // MiB, a.convert_extent // MiB))
    make_half_sparse(src, size, a.convert_extent)
    rbd_spec = "rbd:%s/conv:conf=%s" % (POOL, os.environ["CEPH_CONF"])
    dst, out_rbd, out_file = (os.path.join(work, n) for n in ("dst.raw", "out-rbd.raw", "out-file.raw"))
    base = ["qemu-img", "convert", "-f", "raw", "-O", "raw", "-t", "writeback"]
    t = {k: [] for k in ("to_rbd", "to_file", "from_rbd", "from_file")}

    def timed(key, cmd, shim):
        sync(work)
        warm(work, size // 2 + 64 * MiB)
        log("convert %s" % key)
        t0 = time.perf_counter()
        run(cmd, shim=shim)
        t[key].append(time.perf_counter() - t0)

    for rep in range(a.repeats):
        rbd_rm("conv")
        for p in (dst, out_rbd, out_file):
            if os.path.exists(p):
                os.unlink(p)
        sync(work)
        pairs = [("to_rbd", base + [src, rbd_spec], True), ("to_file", base + [src, dst], False)]
        if rep % 2:
            pairs.reverse()
        for p in pairs:
            timed(*p)
        pairs = [("from_rbd", base + [rbd_spec, out_rbd], True), ("from_file", base + [dst, out_file], False)]
        if rep % 2:
            pairs.reverse()
        for p in pairs:
            timed(*p)
    if subprocess.run(["cmp", "-s", src, out_rbd]).returncode != 0:
        raise RuntimeError("convert: the image read back from rbd differs from the source")
    alloc = os.stat(out_rbd).st_blocks * 512
    log("convert: round trip identical; output allocates %d MiB of %d MiB" % (alloc // MiB, size // MiB))
    what = "qemu-img convert -t writeback (buffered, one flush at the end) to/from a raw file"
    add("qemu-img convert raw -> rbd (%d MiB, half holes)" % (size // MiB), "s", median(t["to_rbd"]),
        median(t["to_file"]), target=1.10, rule="<=", baseline_is=what)
    add("qemu-img convert rbd -> raw (%d MiB, half holes)" % (size // MiB), "s", median(t["from_rbd"]),
        median(t["from_file"]), target=1.10, rule="<=", baseline_is=what)
    rbd_rm("conv")
    for p in (src, dst, out_rbd, out_file):
        if os.path.exists(p):
            os.unlink(p)


# ---------------------------------------------------------------------------------------------
# Cases 4-6 run in child processes (scripts/bench/pyio.py).

def case_python(a, work):
    log("python: Image.write / Image.read of %d MiB in 8 MiB chunks vs a file" % (a.py_size // MiB))
    r = pyio(["glance", "--pool", POOL, "--dir", work, "--size", str(a.py_size), "--chunk", str(8 * MiB),
              "--repeats", str(max(a.repeats, 2))])
    what_w = "Python open(..., 'wb') + file.write of the same 8 MiB chunks (buffered)"
    add("python Image.write 8 MiB chunks, %d MiB (no flush)" % (a.py_size // MiB), "MiB/s",
        r["write"]["rbd"], r["write"]["file"], target=0.90, baseline_is=what_w)
    add("python Image.write 8 MiB chunks, %d MiB + flush" % (a.py_size // MiB), "MiB/s",
        r["write_flush"]["rbd"], r["write_flush"]["file"], target=0.90, baseline_is=what_w + " + fdatasync")
    add("python Image.read 8 MiB chunks, %d MiB" % (a.py_size // MiB), "MiB/s", r["read"]["rbd"],
        r["read"]["file"], target=0.90, baseline_is="Python file.read of the same chunks (page cache)")


def case_meta(a, work):
    big, small = a.meta_big, MiB
    log("metadata: images with %d MiB vs 1 MiB written, %d repeats" % (big // MiB, a.meta_repeats))
    r = pyio(["meta", "--pool", POOL, "--big", str(big), "--small", str(small), "--repeats",
              str(a.meta_repeats), "--rbd-cli", RBD_CLI])
    what = "the same operation on an image with 1 MiB written"
    vs = "%d MiB vs 1 MiB written" % (big // MiB)
    for key, label in (("snap_create_protect", "snapshot create + protect"), ("clone", "clone"),
                       ("clone_open", "open of a clone (no flatten)"),
                       ("diff_iterate_full", "diff_iterate, whole image"),
                       ("diff_iterate_since_snap", "diff_iterate since a snapshot (1 MiB changed)"),
                       ("du", "rbd du (CLI process)")):
        add("meta: %s, %s" % (label, vs), "ms", r[key]["big"] * 1e3, r[key]["small"] * 1e3,
            target=[0.8, 1.25], rule="between", baseline_is=what)
    log("metadata: rbd ls of %d vs %d images" % (a.ls_many, a.ls_few))
    r = pyio(["ls", "--many", str(a.ls_many), "--few", str(a.ls_few), "--repeats", str(a.meta_repeats)],
             timeout=1800)
    log("   (created %d images in %.1f s)" % (a.ls_many, r["create_s_many"]))
    add("meta: rbd ls per image, %d vs %d images" % (a.ls_many, a.ls_few), "us/image",
        r["list_s_many"] / r["n_many"] * 1e6, r["list_s_few"] / r["n_few"] * 1e6,
        target=[0.8, 1.25], rule="between", baseline_is="RBD().list of a pool with %d images, per image" % a.ls_few,
        detail={"list_ms_many": r["list_s_many"] * 1e3, "list_ms_few": r["list_s_few"] * 1e3})
    log("clone chain: depth 8 vs 0, %d MiB of data" % (a.chain_data // MiB))
    r = pyio(["chain", "--pool", POOL, "--data", str(a.chain_data), "--depth", "8", "--repeats",
              str(max(a.repeats, 3)), "--reads", str(a.chain_reads)])
    what = "the same reads of the base image (depth 0)"
    add("clone chain depth 8 vs 0: 4 MiB sequential Image.read", "MiB/s", r["seq_mib_s"][r["top"]],
        r["seq_mib_s"]["chain0"], target=0.85, baseline_is=what)
    add("clone chain depth 8 vs 0: 4 KiB random Image.read", "IOPS", r["rand4k_iops"][r["top"]],
        r["rand4k_iops"]["chain0"], target=0.85, baseline_is=what)


def case_resources(a, work):
    log("CPU per GiB written: Python 8 MiB writes + flush, %d MiB" % (a.cpu_size // MiB))
    c = {"rbd": [], "file": []}
    for rep in range(a.repeats):
        for mode in (("rbd", "file") if rep % 2 == 0 else ("file", "rbd")):
            sync(work)
            c[mode].append(pyio(["cpu", "--mode", mode, "--pool", POOL, "--dir", work, "--size",
                                 str(a.cpu_size), "--chunk", str(8 * MiB)])["cpu_s_per_gib"])
    add("CPU per GiB written: Python Image.write 8 MiB + flush", "CPU s/GiB", median(c["rbd"]),
        median(c["file"]), baseline_is="the same writes to a file + fdatasync (getrusage of the process)")

    log("CPU per GiB written: fio 4 KiB sequential writes, iodepth 32, %d MiB" % (a.cpu_size // MiB))
    run(["qemu-img", "create", "-f", "raw", "rbd:%s/cpu:conf=%s" % (POOL, os.environ["CEPH_CONF"]),
         str(a.cpu_size)], shim=True)
    c = {"rbd": [], "libaio": []}
    job = ["--rw=write", "--bs=4k", "--iodepth=32", "--size=%d" % a.cpu_size]
    for rep in range(a.repeats):
        for engine in (("rbd", "libaio") if rep % 2 == 0 else ("libaio", "rbd")):
            sync(work)
            args = job + (["--end_fsync=1"] if engine == "libaio" else [])
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            fio(engine, work, args, name="cpu")
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
            c[engine].append(cpu / (a.cpu_size / GiB))
    rbd_rm("cpu")
    os.unlink(os.path.join(work, "cpu.raw"))
    add("CPU per GiB written: fio 4 KiB writes qd32 (whole fio process)", "CPU s/GiB", median(c["rbd"]),
        median(c["libaio"]), baseline_is="fio libaio direct=0 on a raw file, end_fsync=1 (the rbd engine flushes at close)")

    log("peak RSS: 100 open images with 8 x 64 KiB AIO writes in flight each")
    r = pyio(["rss", "--pool", POOL, "--images", "100", "--inflight", "8"])
    add("peak RSS: 100 open images, 800 AIO writes in flight", "MiB", r["after_mib"], r["before_mib"],
        baseline_is="the same Python process (rados connected, rbd imported) before opening the images",
        detail={"requests": r["requests"], "pending_at_submit_end": r["pending_at_submit_end"]})


# ---------------------------------------------------------------------------------------------

def machine(work):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, text=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL).stdout.strip()
        except Exception:
            return "?"
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    cpu = sh("awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo")
    fs = sh("df -PT '%s' | awk 'NR==2 {print $2}'" % work) or sh("stat -f -c %%T '%s'" % work)
    dev = sh("df -P '%s' | awk 'NR==2 {print $1}'" % work)
    return [
        ("nproc", str(os.cpu_count())),
        ("cpu", cpu),
        ("memory", mem),
        ("kernel", platform.release()),
        ("store filesystem", "%s (%s)" % (fs, dev)),
        ("fio", sh("fio --version")),
        ("qemu-img", sh("qemu-img --version | head -1")),
        ("python", platform.python_version()),
    ]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work")
    p.add_argument("--table", metavar="JSON", help="only print the table of an earlier --json file")
    p.add_argument("--compare", metavar="JSON", nargs="+", default=[],
                   help="with --table: add the ratios of other runs ([LABEL=]FILE, --json files) as columns")
    p.add_argument("--json")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--backend", choices=("file", "curve"), default=os.environ.get("BENCH_BACKEND", "file"))
    p.add_argument("--only", default="fio,qemu,convert,python,meta,resources",
                   help="comma-separated sections to run (for development)")
    a = p.parse_args()
    if a.table:
        with open(a.table) as f:
            rows = json.load(f)
        others = []
        for i, arg in enumerate(a.compare):
            label, path = arg.split("=", 1) if "=" in arg else ("run %d" % (i + 2), arg)
            with open(path) as f:
                others.append((label, json.load(f)))
        print(table(rows, others))
        return 0
    if not a.work:
        p.error("--work is required")
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    store = os.path.join(work, "store")
    if a.backend == "curve":
        # The curve backend on the same filesystem, its metadata embedded or in BENCH_ETCD.
        etcd = os.environ.get("BENCH_ETCD")
        os.environ["RBDSHIM_BACKEND"] = "curve:" + store + ("?etcd=%s&prefix=bench-%d/" % (etcd, os.getpid()) if etcd else "")
    else:
        os.environ["RBDSHIM_BACKEND"] = "file:" + store
    os.environ["CEPH_CONF"] = os.path.join(work, "ceph.conf")
    with open(os.environ["CEPH_CONF"], "w") as f:
        f.write("[global]\nmon host = 127.0.0.1\n")

    q = a.quick
    a.repeats = 1 if q else 3
    a.fio_size = 256 * MiB if q else GiB
    a.fio_runtime = 2 if q else 10
    a.qb_count_4k = 50000 if q else 200000
    a.qb_count_64k = 15000 if q else 60000
    a.convert_size = 256 * MiB if q else 2 * GiB
    a.convert_extent = 16 * MiB if q else 64 * MiB
    a.py_size = 256 * MiB if q else GiB
    a.meta_big = 256 * MiB if q else GiB
    a.meta_repeats = 5 if q else 15
    a.ls_many, a.ls_few = (1000, 100) if q else (10000, 100)
    a.chain_data = 64 * MiB if q else 256 * MiB
    a.chain_reads = 5000 if q else 20000
    a.cpu_size = 256 * MiB if q else GiB

    print("machine:", file=sys.stderr)
    for k, v in machine(work):
        print("  %-17s %s" % (k, v), file=sys.stderr)
    print("mode: %s" % ("quick (BENCH_QUICK=1)" if q else "full"), file=sys.stderr)
    print("backend: %s" % os.environ["RBDSHIM_BACKEND"].split("?")[0].split(":")[0]
          + (" (metadata in etcd)" if "etcd=" in os.environ["RBDSHIM_BACKEND"] else ""), file=sys.stderr)

    pyio(["mkpool", POOL])
    sections = {"fio": case_fio, "qemu": case_qemu_bench, "convert": case_convert,
                "python": case_python, "meta": case_meta, "resources": case_resources}
    only = a.only.split(",")
    if "qemu" in only and "fio" not in only:
        only.insert(0, "fio")  # qemu-img bench reuses fio's filled image and file
    for name in ("fio", "qemu", "convert", "python", "meta", "resources"):
        if name in only:
            sections[name](a, work)
        if name == "qemu" or (name == "fio" and "qemu" not in only):
            rbd_rm("fio")
            if os.path.exists(os.path.join(work, "fio.raw")):
                os.unlink(os.path.join(work, "fio.raw"))
    log("done")
    print(table(ROWS))
    missed = [r["name"] for r in ROWS if r["met"] is False]
    print("\n%d cases, %d with a target, %d missed" % (len(ROWS), sum(r["target"] is not None for r in ROWS), len(missed)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(ROWS, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
