#!/usr/bin/env bash
# The main job: builds librados.so.2 / librbd.so.1 and drives QEMU through them on the
# embedded file backend: an image is created, filled from a raw file, snapshotted, cloned,
# read back and compared, all with the unmodified qemu-img and qemu-io.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
shim=$(bash scripts/build-shim.sh release | tail -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RBDSHIM_BACKEND="file:$work/store"
export LD_LIBRARY_PATH="$PWD/$shim"
step() { echo "== $*"; }

step "pool 'rbd' (through librados.so.2)"
python3 - <<'PY'
import ctypes
lib = ctypes.CDLL("librados.so.2")
c = ctypes.c_void_p()
assert lib.rados_create(ctypes.byref(c), None) == 0 and lib.rados_connect(c) == 0
assert lib.rados_pool_create(c, b"rbd") == 0
PY
step "a 256 MiB raw file, half data, half holes"
truncate -s 256M "$work/disk.raw"
head -c 128M /dev/urandom | dd of="$work/disk.raw" conv=notrunc bs=1M status=none
step "qemu-img convert raw -> rbd:rbd/base"
qemu-img convert -p -f raw -O raw "$work/disk.raw" rbd:rbd/base
qemu-img info -f raw rbd:rbd/base
step "snapshot, then write through qemu-io at an odd offset"
qemu-img snapshot -f raw -c gold rbd:rbd/base
qemu-io -f raw -c "write -P 0x5a 12345 4096" rbd:rbd/base
qemu-img snapshot -f raw -l rbd:rbd/base
step "clone of the snapshot (librbd), read through QEMU"
python3 - <<'PY'
import ctypes
lib = ctypes.CDLL("librbd.so.1")
c = ctypes.c_void_p(); io = ctypes.c_void_p(); img = ctypes.c_void_p()
assert lib.rados_create(ctypes.byref(c), None) == 0 and lib.rados_connect(c) == 0
assert lib.rados_ioctx_create(c, b"rbd", ctypes.byref(io)) == 0
assert lib.rbd_open(io, b"base", ctypes.byref(img), None) == 0
assert lib.rbd_snap_protect(img, b"gold") == 0
order = ctypes.c_int(0)
assert lib.rbd_clone(io, b"base", b"gold", io, b"vm-disk", ctypes.c_uint64(1), ctypes.byref(order)) == 0
PY
qemu-img convert -f raw -O raw rbd:rbd/vm-disk "$work/clone.raw"
cmp "$work/disk.raw" "$work/clone.raw" && echo "clone == source: identical"
qemu-img convert -f raw -O raw "rbd:rbd/base@gold" "$work/gold.raw"
cmp "$work/disk.raw" "$work/gold.raw" && echo "snapshot == source: identical"
qemu-img map -f raw rbd:rbd/base | head -5
echo "main job: ok"
