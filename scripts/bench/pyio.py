#!/usr/bin/env python3
"""Workloads of scripts/bench.sh that run through rbdshim's Python modules (rados, rbd).

Each subcommand runs in its own process (so getrusage and peak RSS are its own), uses the
store named by RBDSHIM_BACKEND and the ceph.conf in CEPH_CONF, and prints one JSON object on
stdout. Times come from time.perf_counter; repeated measurements report the median.

  pyio.py mkpool POOL...
  pyio.py warm --dir D --size BYTES
  pyio.py glance --pool P --dir D --size BYTES --chunk BYTES --repeats N
  pyio.py meta --pool P --big BYTES --small BYTES --repeats N --rbd-cli PATH
  pyio.py ls --many N --few N --repeats N
  pyio.py chain --pool P --data BYTES --depth N --repeats N --reads N
  pyio.py cpu --mode rbd|file --pool P --dir D --size BYTES --chunk BYTES
  pyio.py rss --pool P --images N --inflight N
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time

import rados
import rbd

MiB = 1 << 20
now = time.perf_counter


def connect(pool=None):
    cluster = rados.Rados(conffile=os.environ.get("CEPH_CONF", ""))
    cluster.connect()
    if pool is None:
        return cluster, None
    if not cluster.pool_exists(pool):
        cluster.create_pool(pool)
    return cluster, cluster.open_ioctx(pool)


def median(xs):
    return statistics.median(xs)


def payload(chunk):
    # Incompressible data; every chunk differs in its first bytes so nothing can be shared.
    return bytearray(os.urandom(chunk))


def chunk_bytes(buf, i):
    buf[0:8] = i.to_bytes(8, "little")
    return bytes(buf)


def warm(directory, size):
    """Writes and deletes a scratch file of `size` bytes in `directory`, just before a timed run
    that fills the page cache with new data.

    On a VM whose balloon reports free pages to the host (virtio-balloon free page reporting,
    as on the machine of docs/benchmarks.md), memory freed more than ~2 s ago is handed back
    and the first write of new data runs 5-10x slower while the host faults it in again. Pages
    freed here are reused at once by the measured run, so shim and baseline start alike."""
    buf = b"\xa5" * (8 * MiB)
    path = os.path.join(directory, ".warm.%d" % os.getpid())
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        for _ in range(max(1, size // len(buf))):
            os.write(fd, buf)
    finally:
        os.close(fd)
        os.unlink(path)


def fill_image(ioctx, name, size, written, chunk=8 * MiB):
    """Creates image `name` of `size` bytes and writes its first `written` bytes."""
    rbd.RBD().create(ioctx, name, size)
    buf = payload(chunk)
    with rbd.Image(ioctx, name) as img:
        off = 0
        while off < written:
            n = min(chunk, written - off)
            img.write(chunk_bytes(buf, off // chunk)[:n], off)
            off += n
        img.flush()


# ---------------------------------------------------------------------------------------------
# Case 4: Glance's pattern. rbd: create an image of the full size, Image.write in `chunk`
# pieces, flush (Glance closes the image, which flushes). file: open a new file, set its size
# (sparse, as the image is), write the same chunks, fdatasync. Both are buffered writes; the
# "with flush" figure includes the flush/fdatasync, the other stops before it. Read back:
# Image.read vs file.read, same chunks, from the page cache in both cases.

def cmd_glance(a):
    cluster, ioctx = connect(a.pool)
    buf = payload(a.chunk)
    chunks = [chunk_bytes(buf, i) for i in range(min(4, a.size // a.chunk))]
    nchunks = a.size // a.chunk
    res = {k: {"rbd": [], "file": []} for k in ("write", "write_flush", "read")}

    def run_rbd(rep):
        name = "glance-%d" % rep
        rbd.RBD().create(ioctx, name, a.size)
        img = rbd.Image(ioctx, name)
        warm(a.dir, a.size)
        t0 = now()
        for i in range(nchunks):
            img.write(chunks[i % len(chunks)], i * a.chunk)
        t1 = now()
        img.flush()
        t2 = now()
        t3 = now()
        for i in range(nchunks):
            d = img.read(i * a.chunk, a.chunk)
            assert len(d) == a.chunk
        t4 = now()
        img.close()
        rbd.RBD().remove(ioctx, name)
        return t1 - t0, t2 - t0, t4 - t3

    def run_file(rep):
        path = os.path.join(a.dir, "glance-%d.raw" % rep)
        f = open(path, "wb")
        f.truncate(a.size)
        warm(a.dir, a.size)
        t0 = now()
        for i in range(nchunks):
            f.write(chunks[i % len(chunks)])
        f.flush()
        t1 = now()
        os.fdatasync(f.fileno())
        t2 = now()
        f.close()
        f = open(path, "rb")
        t3 = now()
        for i in range(nchunks):
            d = f.read(a.chunk)
            assert len(d) == a.chunk
        t4 = now()
        f.close()
        os.unlink(path)
        return t1 - t0, t2 - t0, t4 - t3

    for rep in range(a.repeats):
        order = (("file", run_file), ("rbd", run_rbd)) if rep % 2 == 0 else (("rbd", run_rbd), ("file", run_file))
        for kind, fn in order:
            subprocess.run(["sync", "-f", a.dir], check=False)
            w, wf, r = fn(rep)
            res["write"][kind].append(w)
            res["write_flush"][kind].append(wf)
            res["read"][kind].append(r)
    gib = a.size / (1 << 30)
    out = {k: {kind: a.size / MiB / median(v) for kind, v in d.items()} for k, d in res.items()}
    out["gib"] = gib
    print(json.dumps(out))


# ---------------------------------------------------------------------------------------------
# Case 5: metadata operations on an image with `big` bytes written vs one with `small` bytes
# written (same virtual size). Each operation is timed `repeats` times, alternating images.

def cmd_meta(a):
    cluster, ioctx = connect(a.pool)
    r = rbd.RBD()
    size = max(a.big, a.small)
    fill_image(ioctx, "big", size, a.big)
    fill_image(ioctx, "small", size, a.small)
    times = {}

    def record(op, which, t):
        times.setdefault(op, {"big": [], "small": []})[which].append(t)

    pool = a.pool
    for i in range(a.repeats):
        for which in (("big", "small") if i % 2 == 0 else ("small", "big")):
            img = rbd.Image(ioctx, which)
            snap = "s%d" % i
            t0 = now()
            img.create_snap(snap)
            img.protect_snap(snap)
            record("snap_create_protect", which, now() - t0)
            img.close()

            clone = "%s-c%d" % (which, i)
            t0 = now()
            r.clone(ioctx, which, snap, ioctx, clone)
            record("clone", which, now() - t0)

            t0 = now()
            c = rbd.Image(ioctx, clone)
            record("clone_open", which, now() - t0)
            c.close()

            img = rbd.Image(ioctx, which, read_only=True)
            n = [0]

            def cb(off, length, exists):
                n[0] += 1

            t0 = now()
            img.diff_iterate(0, size, None, cb)
            record("diff_iterate_full", which, now() - t0)
            img.close()

            t0 = now()
            subprocess.run([a.rbd_cli, "du", "--format", "json", "%s/%s" % (pool, which)],
                           check=True, stdout=subprocess.DEVNULL)
            record("du", which, now() - t0)

    # Incremental diff: 1 MiB changed since the newest snapshot, on both images.
    buf = os.urandom(MiB)
    last = "s%d" % (a.repeats - 1)
    for which in ("big", "small"):
        with rbd.Image(ioctx, which) as img:
            img.write(buf, 0)
            img.flush()
    for i in range(a.repeats):
        for which in (("big", "small") if i % 2 == 0 else ("small", "big")):
            with rbd.Image(ioctx, which, read_only=True) as img:
                t0 = now()
                img.diff_iterate(0, size, last, lambda o, l, e: None)
                record("diff_iterate_since_snap", which, now() - t0)
    print(json.dumps({op: {w: median(v) for w, v in d.items()} for op, d in times.items()}))


def cmd_ls(a):
    cluster, _ = connect()
    r = rbd.RBD()
    out = {}
    ioctxs = {}
    for label, n in (("many", a.many), ("few", a.few)):
        pool = "ls-%s" % label
        cluster.create_pool(pool)
        io = cluster.open_ioctx(pool)
        ioctxs[label] = (io, n)
        t0 = now()
        for i in range(n):
            r.create(io, "img%06d" % i, 1 << 30)
        out["create_s_" + label] = now() - t0
    t = {"many": [], "few": []}
    for i in range(a.repeats):
        for label in (("many", "few") if i % 2 == 0 else ("few", "many")):
            io, n = ioctxs[label]
            t0 = now()
            names = r.list(io)
            t[label].append(now() - t0)
            assert len(names) == n, (len(names), n)
    for label in t:
        out["list_s_" + label] = median(t[label])
        out["n_" + label] = ioctxs[label][1]
    print(json.dumps(out))


# ---------------------------------------------------------------------------------------------
# Clone chain: chain0 holds `data` bytes; chainK is a clone of chain(K-1)@s, K = 1..depth.
# Reads of chain`depth` go through every parent to chain0's data.

def cmd_chain(a):
    cluster, ioctx = connect(a.pool)
    r = rbd.RBD()
    fill_image(ioctx, "chain0", a.data, a.data)
    for k in range(a.depth):
        with rbd.Image(ioctx, "chain%d" % k) as img:
            img.create_snap("s")
            img.protect_snap("s")
        r.clone(ioctx, "chain%d" % k, "s", ioctx, "chain%d" % (k + 1))
    top = "chain%d" % a.depth
    chunk = 4 * MiB
    rnd = random.Random(7)
    offsets = [rnd.randrange(0, a.data // 4096) * 4096 for _ in range(a.reads)]
    seq = {"chain0": [], top: []}
    ran = {"chain0": [], top: []}
    ref = None
    for i in range(a.repeats):
        for name in (("chain0", top) if i % 2 == 0 else (top, "chain0")):
            with rbd.Image(ioctx, name, read_only=True) as img:
                t0 = now()
                h = 0
                for off in range(0, a.data, chunk):
                    d = img.read(off, chunk)
                    h ^= hash(d[:64]) ^ len(d)
                seq[name].append(now() - t0)
                if ref is None:
                    ref = h
                assert h == ref, "clone chain read differs from its base"
                t0 = now()
                for off in offsets:
                    img.read(off, 4096)
                ran[name].append(now() - t0)
    print(json.dumps({
        "seq_mib_s": {k: a.data / MiB / median(v) for k, v in seq.items()},
        "rand4k_iops": {k: a.reads / median(v) for k, v in ran.items()},
        "top": top,
    }))


# ---------------------------------------------------------------------------------------------
# Case 6a: CPU time (user + system, every thread of this process) to write `size` bytes in
# `chunk` pieces and flush, through Image.write or a plain file (write + fdatasync).

def cmd_cpu(a):
    buf = payload(a.chunk)
    chunks = [chunk_bytes(buf, i) for i in range(4)]
    n = a.size // a.chunk
    if a.mode == "rbd":
        cluster, ioctx = connect(a.pool)
        rbd.RBD().create(ioctx, "cpu", a.size)
        img = rbd.Image(ioctx, "cpu")
        warm(a.dir, a.size)
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = now()
        for i in range(n):
            img.write(chunks[i % 4], i * a.chunk)
        img.flush()
    else:
        path = os.path.join(a.dir, "cpu.raw")
        f = open(path, "wb")
        f.truncate(a.size)
        warm(a.dir, a.size)
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = now()
        for i in range(n):
            f.write(chunks[i % 4])
        f.flush()
        os.fdatasync(f.fileno())
    wall = now() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    gib = a.size / (1 << 30)
    if a.mode == "rbd":
        img.close()
        rbd.RBD().remove(ioctx, "cpu")
    else:
        f.close()
        os.unlink(path)
    print(json.dumps({"cpu_s_per_gib": cpu / gib, "user_s": r1.ru_utime - r0.ru_utime,
                      "sys_s": r1.ru_stime - r0.ru_stime, "wall_s": wall}))


# ---------------------------------------------------------------------------------------------
# Case 6b: peak RSS (VmHWM) of this process before opening anything, and after opening
# `images` images and putting `inflight` 64 KiB AIO writes in flight on each.

def vm_hwm_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cmd_rss(a):
    cluster, ioctx = connect(a.pool)
    r = rbd.RBD()
    names = ["rss%03d" % i for i in range(a.images)]
    for n in names:
        r.create(ioctx, n, 64 * MiB)
    data = os.urandom(64 * 1024)
    before = vm_hwm_kib()
    imgs = [rbd.Image(ioctx, n) for n in names]
    comps = []
    for img in imgs:
        for k in range(a.inflight):
            comps.append(img.aio_write(data, k * len(data), None))
    pending_seen = sum(1 for c in comps if not c.is_complete())
    for c in comps:
        c.wait_for_complete()
        assert c.get_return_value() >= 0
    after = vm_hwm_kib()
    for img in imgs:
        img.close()
    print(json.dumps({"before_mib": before / 1024, "after_mib": after / 1024,
                      "requests": len(comps), "pending_at_submit_end": pending_seen}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("mkpool")
    s.add_argument("pools", nargs="+")
    s = sub.add_parser("warm")
    s.add_argument("--dir", required=True)
    s.add_argument("--size", type=int, required=True)
    s = sub.add_parser("glance")
    for k in ("pool", "dir"):
        s.add_argument("--" + k, required=True)
    for k in ("size", "chunk", "repeats"):
        s.add_argument("--" + k, type=int, required=True)
    s = sub.add_parser("meta")
    s.add_argument("--pool", required=True)
    s.add_argument("--rbd-cli", required=True)
    for k in ("big", "small", "repeats"):
        s.add_argument("--" + k, type=int, required=True)
    s = sub.add_parser("ls")
    for k in ("many", "few", "repeats"):
        s.add_argument("--" + k, type=int, required=True)
    s = sub.add_parser("chain")
    s.add_argument("--pool", required=True)
    for k in ("data", "depth", "repeats", "reads"):
        s.add_argument("--" + k, type=int, required=True)
    s = sub.add_parser("cpu")
    s.add_argument("--mode", choices=("rbd", "file"), required=True)
    for k in ("pool", "dir"):
        s.add_argument("--" + k, required=True)
    for k in ("size", "chunk"):
        s.add_argument("--" + k, type=int, required=True)
    s = sub.add_parser("rss")
    s.add_argument("--pool", required=True)
    for k in ("images", "inflight"):
        s.add_argument("--" + k, type=int, required=True)
    a = p.parse_args()
    if a.cmd == "mkpool":
        cluster, _ = connect()
        for pool in a.pools:
            if not cluster.pool_exists(pool):
                cluster.create_pool(pool)
        print(json.dumps({"pools": a.pools}))
        return
    if a.cmd == "warm":
        warm(a.dir, a.size)
        print("{}")
        return
    {"glance": cmd_glance, "meta": cmd_meta, "ls": cmd_ls, "chain": cmd_chain,
     "cpu": cmd_cpu, "rss": cmd_rss}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
