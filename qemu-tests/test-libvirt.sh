#!/usr/bin/env bash
# libvirt's rbd storage backend (libvirt-daemon-driver-storage-rbd) on the shim: a private
# libvirtd with our libraries, an rbd pool with a cephx secret, and the volume life cycle.
. "$(dirname "$0")/lib.sh"

# libvirtd runs unprivileged in session mode (the system instance wants users and services a
# test machine lacks). Everything of this suite runs as that user, on a store it owns.
user=nobody
if [ "$(id -u)" = 0 ]; then
  as_user() { runuser -u "$user" -- "$@"; }
else
  as_user() { "$@"; }
fi
home=$WORK/home
mkdir -p "$home/run" "$WORK/lib"
cp "$SHIM/librados.so.2" "$SHIM/librbd.so.1" "$WORK/lib/"
chmod 755 "$WORK" "$WORK/lib"
[ "$(id -u)" = 0 ] && chown -R "$user" "$home"
export RBDSHIM_BACKEND="file:$home/store"
SHIM=$WORK/lib
uenv=(env HOME="$home" XDG_RUNTIME_DIR="$home/run" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache"
  RBDSHIM_BACKEND="$RBDSHIM_BACKEND" CEPH_CONF="$CEPH_CONF")
chmod 644 "$CEPH_CONF"
# Runs one of lib.sh's helpers (mkpool, mkuser) as the store's owner.
as_owner() {
  as_user "${uenv[@]}" bash -c "$(declare -f shim "$1"); MODE=$MODE SHIM=$SHIM; \"\$@\"" _ "$@"
}
as_owner mkpool rbd
# libvirt connects as its own user, with the key of the store's auth database.
as_owner mkuser client.libvirt "$home/libvirt.keyring" mon "profile rbd" osd "profile rbd pool=rbd"
key=$(sed -n 's/^[[:space:]]*key = //p' "$home/libvirt.keyring")
# libvirt loads the rbd backend into libvirtd: our libraries go in front of Ceph's there.
as_user "${uenv[@]}" bash -c "$(declare -f shim); MODE=$MODE SHIM=$SHIM; shim libvirtd --timeout 600" >"$WORK/libvirtd.out" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; pkill -u "$user" -f "libvirtd --timeout 600" 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$WORK"' EXIT
uri="qemu:///session"
v() { as_user "${uenv[@]}" timeout 120 virsh -q -c "$uri" "$@"; }
for _ in $(seq 1 100); do
  v version >/dev/null 2>&1 && break
  sleep 0.2
done
check "libvirtd answers" v version

uuid=$(cat /proc/sys/kernel/random/uuid)
cat > "$WORK/secret.xml" <<XML
<secret ephemeral='yes' private='no'>
  <uuid>$uuid</uuid>
  <usage type='ceph'><name>client.libvirt secret</name></usage>
</secret>
XML
check "define the cephx secret" v secret-define "$WORK/secret.xml"
pool_xml() {
  cat > "$WORK/pool.xml" <<XML
<pool type='rbd'>
  <name>shimpool</name>
  <source>
    <name>rbd</name>
    <host name='127.0.0.1' port='6789'/>
    <auth username='libvirt' type='ceph'><secret uuid='$uuid'/></auth>
  </source>
</pool>
XML
}
pool_xml
# A wrong key is refused (librados: -EACCES), and nothing is left behind.
check "set a wrong key" v secret-set-value "$uuid" "AQBzQKBlAAAAABAAtCeUvVbo4UEpUhWtmqyUSw=="
if v pool-create "$WORK/pool.xml" >"$WORK/wrong.out" 2>&1; then
  not_ok "pool-create with a wrong key is refused"
else
  grep -q "Permission denied\|-13\|not permitted\|failed to connect" "$WORK/wrong.out" && ok "pool-create with a wrong key is refused" ||
    not_ok "pool-create with a wrong key is refused: $(cat "$WORK/wrong.out")"
fi
check "set its key" v secret-set-value "$uuid" "$key"
check "pool-create (transient rbd pool)" v pool-create "$WORK/pool.xml"
check "pool-refresh" v pool-refresh shimpool
info=$(v pool-info shimpool 2>&1)
echo "$info" | grep -qE "^State: +running" && ok "pool is running" || not_ok "pool is running: $info"

check "vol-create-as" v vol-create-as shimpool vol1 64M
list=$(v vol-list shimpool 2>&1)
echo "$list" | grep -q "vol1" && ok "vol-list shows vol1" || not_ok "vol-list shows vol1: $list"
vinfo=$(v vol-info --bytes vol1 --pool shimpool 2>&1)
echo "$vinfo" | grep -qE "^Capacity: +67108864 bytes" && ok "vol-info capacity" || not_ok "vol-info capacity: $vinfo"

# libvirt 9.0's rbd backend has no volume upload/download (with Ceph's libraries too): the
# same refusal, then the data path is checked through QEMU on the same libraries.
chmod 777 "$WORK"
out=$(v vol-upload --pool shimpool vol1 /dev/null 2>&1)
grep -q "doesn't support volume upload" <<<"$out" && ok "vol-upload is refused as with Ceph" || not_ok "vol-upload: $out"
out=$(v vol-download --pool shimpool vol1 "$WORK/x.bin" 2>&1)
grep -q "doesn't support volume download" <<<"$out" && ok "vol-download is refused as with Ceph" || not_ok "vol-download: $out"
q() { as_user "${uenv[@]}" bash -c "$(declare -f shim); MODE=$MODE SHIM=$SHIM; shim \"\$@\"" _ "$@"; }
head -c 8M /dev/urandom > "$WORK/up.bin"
chmod 777 "$WORK"
chmod 644 "$WORK/up.bin"
check "upload data with qemu-img (the way libvirt users do)" q qemu-img convert -n -f raw -O raw "$WORK/up.bin" rbd:rbd/vol1
check "read it back" q qemu-img convert -f raw -O raw -S 0 rbd:rbd/vol1 "$WORK/down.bin"
expect_eq "checksums" "$(head -c 8M "$WORK/down.bin" | sha256sum)" "$(sha256sum < "$WORK/up.bin")"

check "vol-clone" v vol-clone --pool shimpool vol1 vol1-clone
check "read the clone" q qemu-img convert -f raw -O raw -S 0 rbd:rbd/vol1-clone "$WORK/clone.bin"
expect_eq "the clone holds the data" "$(head -c 8M "$WORK/clone.bin" | sha256sum)" "$(sha256sum < "$WORK/up.bin")"
check "vol-resize" v vol-resize --pool shimpool vol1 128M
vinfo=$(v vol-info --bytes vol1 --pool shimpool 2>&1)
echo "$vinfo" | grep -qE "^Capacity: +134217728 bytes" && ok "capacity after resize" || not_ok "capacity after resize: $vinfo"
check "vol-wipe" v vol-wipe --pool shimpool vol1
check "read after wipe" q qemu-img convert -f raw -O raw -S 0 rbd:rbd/vol1 "$WORK/wiped.bin"
expect_eq "wiped volume reads zeros" "$(head -c 8M "$WORK/wiped.bin" | tr -d '\0' | wc -c)" 0

# vol-delete of an image with snapshots (libvirt removes them first, as with Ceph)
check "vol-create-as snapped" v vol-create-as shimpool snapped 16M
as_user "${uenv[@]}" LD_LIBRARY_PATH="$SHIM" python3 - <<'PY'
import ctypes
lib = ctypes.CDLL("librbd.so.1")
c = ctypes.c_void_p(); io = ctypes.c_void_p(); img = ctypes.c_void_p()
assert lib.rados_create(ctypes.byref(c), None) == 0 and lib.rados_connect(c) == 0
assert lib.rados_ioctx_create(c, b"rbd", ctypes.byref(io)) == 0
assert lib.rbd_open(io, b"snapped", ctypes.byref(img), None) == 0
assert lib.rbd_snap_create(img, b"s1") == 0
assert lib.rbd_snap_create(img, b"s2") == 0
assert lib.rbd_snap_protect(img, b"s2") == 0
assert lib.rbd_close(img) == 0
PY
check "vol-delete --delete-snapshots of an image with snapshots" v vol-delete --pool shimpool snapped --delete-snapshots
list=$(v vol-list shimpool 2>&1)
echo "$list" | grep -q "snapped" && not_ok "snapped is gone: $list" || ok "snapped is gone"
check "vol-delete the clone" v vol-delete --pool shimpool vol1-clone
# vol-clone left a snapshot on vol1: a plain delete fails as with Ceph (ENOTEMPTY)
out=$(v vol-delete --pool shimpool vol1 2>&1)
grep -q "Directory not empty" <<<"$out" && ok "vol-delete of an image with snapshots fails with ENOTEMPTY" || not_ok "vol-delete: $out"
check "vol-delete --delete-snapshots" v vol-delete --pool shimpool vol1 --delete-snapshots
check "pool-destroy" v pool-destroy shimpool
finish
