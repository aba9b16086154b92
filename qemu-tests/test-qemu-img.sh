#!/usr/bin/env bash
# qemu-img through QEMU's rbd driver on the shim.
. "$(dirname "$0")/lib.sh"

mkpool rbd
mkpool vms

# create / info (json) / resize
check "create 1G" shim qemu-img create -f raw rbd:rbd/a 1G
info=$(shim qemu-img info --output=json rbd:rbd/a)
expect_eq "info reports the virtual size" "$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')" 1073741824
expect_eq "info reports the object size as cluster size" "$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cluster-size"])')" 4194304
check "resize up" shim qemu-img resize -f raw rbd:rbd/a 2G
check "resize down with --shrink" shim qemu-img resize -f raw --shrink rbd:rbd/a 1536M
expect_eq "size after resizes" "$(shim qemu-img info --output=json rbd:rbd/a | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')" $((1536 << 20))

# convert raw -> rbd -> raw, half data half holes; checksums equal
src=$WORK/src.raw
truncate -s 64M "$src"
head -c 16M /dev/urandom | dd of="$src" conv=notrunc bs=1M seek=8 status=none
head -c 4M /dev/urandom | dd of="$src" conv=notrunc bs=1M seek=40 status=none
check "convert raw to rbd" shim qemu-img convert -f raw -O raw "$src" rbd:rbd/conv
check "convert rbd to raw" shim qemu-img convert -f raw -O raw rbd:rbd/conv "$WORK/back.raw"
expect_eq "round trip keeps every byte" "$(sha256sum < "$WORK/back.raw")" "$(sha256sum < "$src")"
check "compare rbd with the source" shim qemu-img compare -f raw -F raw "$src" rbd:rbd/conv
# raw images have nothing to check: qemu-img must answer as it does for a raw file
shim qemu-img check -f raw rbd:rbd/conv >/dev/null 2>&1; rc_rbd=$?
qemu-img check -f raw "$src" >/dev/null 2>&1; rc_file=$?
expect_eq "check answers as for a raw file" "$rc_rbd" "$rc_file"
map=$(shim qemu-img map --output=json -f raw rbd:rbd/conv)
holes=$(echo "$map" | python3 -c 'import json,sys; print(sum(e["length"] for e in json.load(sys.stdin) if not e["data"]))')
[ "$holes" -ge $((40 << 20)) ] && ok "map shows the holes ($holes bytes)" || not_ok "map shows the holes (only $holes bytes)"
back_alloc=$(du -k "$WORK/back.raw" | cut -f1)
[ "$back_alloc" -lt $((40 << 10)) ] && ok "convert out keeps holes sparse" || not_ok "convert out allocated ${back_alloc}K"

# snapshots
check "write before snapshot" shim qemu-io -f raw -c "write -P 0x5a 0 64k" rbd:rbd/conv
check "snapshot -c" shim qemu-img snapshot -c s1 rbd:rbd/conv
check "write after snapshot" shim qemu-io -f raw -c "write -P 0x77 0 64k" rbd:rbd/conv
list=$(shim qemu-img snapshot -l rbd:rbd/conv)
echo "$list" | grep -q " s1 " && ok "snapshot -l lists s1" || not_ok "snapshot -l lists s1: $list"
check "read at snapshot (rbd:pool/img@snap)" shim qemu-io -f raw -r -c "read -P 0x5a 0 64k" rbd:rbd/conv@s1
if shim qemu-io -f raw -c "write -P 1 0 512" rbd:rbd/conv@s1 >/dev/null 2>&1; then
  not_ok "open at a snapshot is read-only"
else
  ok "open at a snapshot is read-only"
fi
check "snapshot -a (rollback)" shim qemu-img snapshot -a s1 rbd:rbd/conv
check "rollback restored the data" shim qemu-io -f raw -c "read -P 0x5a 0 64k" rbd:rbd/conv
check "snapshot -d" shim qemu-img snapshot -d s1 rbd:rbd/conv
list=$(shim qemu-img snapshot -l rbd:rbd/conv)
echo "$list" | grep -q " s1 " && not_ok "snapshot -d removed s1" || ok "snapshot -d removed s1"

# filename forms
conf=$WORK/ceph.conf
printf '[global]\nmon host = 127.0.0.1\n' > "$conf"
check "create in a pool with conf= and id=" shim qemu-img create -f raw "rbd:vms/b:conf=$conf:id=admin" 16M
check "--image-opts" shim qemu-io --image-opts -c "write -P 0x42 4096 4096" -c "read -P 0x42 4096 4096" "driver=rbd,pool=vms,image=b"
# namespaces: create one through librbd, then use rbd:pool/ns/img@snap:conf=F:id=U
shim python3 - <<'PY'
import ctypes
lib = ctypes.CDLL("librados.so.2")
c = ctypes.c_void_p(); io = ctypes.c_void_p()
assert lib.rados_create(ctypes.byref(c), None) == 0 and lib.rados_connect(c) == 0
assert lib.rados_ioctx_create(c, b"vms", ctypes.byref(io)) == 0
assert lib.rbd_namespace_create(io, b"tenant") == 0
PY
check "create in a namespace" shim qemu-img create -f raw "rbd:vms/tenant/c:conf=$conf" 8M
check "write in a namespace" shim qemu-io -f raw -c "write -P 0x33 0 4096" "rbd:vms/tenant/c:conf=$conf:id=admin"
check "snapshot in a namespace" shim qemu-img snapshot -c snap "rbd:vms/tenant/c:conf=$conf"
check "read rbd:pool/ns/img@snap:conf=F:id=U" shim qemu-io -f raw -r -c "read -P 0x33 0 4096" "rbd:vms/tenant/c@snap:conf=$conf:id=admin"

# a user of its own: QEMU passes id= and keyring= (or key=) to librados; caps are enforced
mkuser client.qemu "$WORK/qemu.keyring" mon "profile rbd" osd "profile rbd pool=vms"
check "qemu-img as client.qemu with its keyring" shim qemu-img create -f raw "rbd:vms/q:id=qemu:keyring=$WORK/qemu.keyring" 8M
check "qemu-io as client.qemu" shim qemu-io -f raw -c "write -P 0x44 0 4096" -c "read -P 0x44 0 4096" "rbd:vms/q:id=qemu:keyring=$WORK/qemu.keyring"
out=$(shim qemu-img create -f raw "rbd:rbd/q:id=qemu:keyring=$WORK/qemu.keyring" 8M 2>&1)
grep -q "Operation not permitted" <<<"$out" && ok "client.qemu outside its pool: EPERM" || not_ok "client.qemu outside its pool: EPERM: $out"
out=$(shim qemu-img info -f raw "rbd:vms/q:id=qemu:key=AQBzQKBlAAAAABAAtCeUvVbo4UEpUhWtmqyUSw==" 2>&1)
grep -q "Permission denied" <<<"$out" && ok "a wrong key: EACCES" || not_ok "a wrong key: EACCES: $out"

# bench
check "bench -w" shim qemu-img bench -f raw -w -c 2000 -s 4096 -d 8 rbd:rbd/a
check "bench read" shim qemu-img bench -f raw -c 2000 -s 4096 -d 8 rbd:rbd/a

finish
