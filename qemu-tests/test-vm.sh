#!/usr/bin/env bash
# A real virtual machine on the shim: qemu-system-x86_64 (TCG) boots a small kernel and an
# initramfs of our own (vm/guest-init.c) whose virtio disk is rbd:pool/img; the guest writes with
# O_DIRECT + fsync, reads back and verifies, and the host checks the data through qemu-img.
# Then a live migration between two QEMU processes on 127.0.0.1 that both open the image, while
# the guest keeps writing numbered records: none lost, none torn, the destination keeps writing.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

# The guest kernel: Debian's cloud kernel, fetched once into target/vm.
vmdir=$ROOT/target/vm
if ! ls "$vmdir"/x/boot/vmlinuz-* >/dev/null 2>&1; then
  mkdir -p "$vmdir"
  pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image/ {print $2; exit}')
  (cd "$vmdir" && apt-get download "$pkg" >/dev/null 2>&1 && dpkg-deb -x ./*.deb x && rm -f ./*.deb)
fi
kernel=$(ls "$vmdir"/x/boot/vmlinuz-* 2>/dev/null | head -1)
if [ -z "$kernel" ]; then
  not_ok "guest kernel available (apt-get download linux-image-cloud-amd64)"
  finish
  exit 1
fi
mods=$(ls -d "$vmdir"/x/lib/modules/*/kernel/drivers)
cc -static -O2 -Wall -o "$WORK/init" "$here/vm/guest-init.c"
python3 "$here/vm/mkinitramfs.py" "$WORK/initrd.img" "$WORK/init" \
  "$mods"/virtio/virtio_ring.ko "$mods"/virtio/virtio.ko "$mods"/virtio/virtio_pci_legacy_dev.ko \
  "$mods"/virtio/virtio_pci_modern_dev.ko "$mods"/virtio/virtio_pci.ko "$mods"/block/virtio_blk.ko

mkpool rbd
vm() {
  local log=$1 args=$2
  shift 2
  shim qemu-system-x86_64 -nodefaults -display none -accel tcg -m 128 -no-reboot \
    -kernel "$kernel" -initrd "$WORK/initrd.img" -append "console=ttyS0 panic=-1 quiet $args" \
    -serial "file:$log" "$@"
}

# records_ok IMAGE N: every record 0..N-1 is whole (checked on the host through qemu-img).
records_ok() {
  shim qemu-img convert -f raw -O raw "rbd:rbd/$1" "$WORK/$1.raw" || return 1
  python3 - "$WORK/$1.raw" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
n = int(sys.argv[2])
bad = []
for k in range(n):
    rec = data[k * 4096:(k + 1) * 4096]
    body = bytes((k * 131 + i * 7) & 0xff for i in range(16, 4096))
    if rec[:16] != struct.pack("<QQ", 0x7262647368696D21, k) or rec[16:] != body:
        bad.append(k)
if bad:
    print(f"{len(bad)} bad records, first {bad[:5]}")
    sys.exit(1)
PY
}

# 1. boot, write, verify
shim qemu-img create -f raw rbd:rbd/boot 64M >/dev/null
check "the guest boots from rbd:rbd/boot and powers off" timeout 180 bash -c "$(declare -f vm shim); kernel=$kernel WORK=$WORK MODE=$MODE SHIM=$SHIM; vm $WORK/boot.log 'rbdtest=basic 300' -drive file=rbd:rbd/boot,format=raw,if=virtio,cache=none"
grep -qa "GUEST-OK 300" "$WORK/boot.log" && ok "the guest wrote with O_DIRECT + fsync and verified 300 records" \
  || { not_ok "guest verification"; tail -5 "$WORK/boot.log" | sed 's/^/    | /'; }
check "the host reads the guest's records through qemu-img" records_ok boot 300

# 2. live migration while the guest writes
n=2500
shim qemu-img create -f raw rbd:rbd/mig 64M >/dev/null
port=$((20000 + RANDOM % 20000))
drive=(-drive file=rbd:rbd/mig,format=raw,if=virtio,cache=none)
vm "$WORK/src.log" "rbdtest=stream $n" "${drive[@]}" -monitor "unix:$WORK/src.mon,server,nowait" &
src=$!
vm "$WORK/dst.log" "rbdtest=stream $n" "${drive[@]}" -monitor "unix:$WORK/dst.mon,server,nowait" \
  -incoming "tcp:127.0.0.1:$port" &
dst=$!
for _ in $(seq 1 600); do
  grep -qa "REC 300" "$WORK/src.log" 2>/dev/null && break
  sleep 0.1
done
grep -qa "REC 300" "$WORK/src.log" && ok "the guest is writing on the source" || not_ok "the guest is writing on the source"
python3 "$here/vm/hmp.py" "$WORK/src.mon" "migrate -d tcp:127.0.0.1:$port" >/dev/null
status=""
for _ in $(seq 1 600); do
  status=$(python3 "$here/vm/hmp.py" "$WORK/src.mon" "info migrate" | tr -d '\r' | sed -n 's/^Migration status: *//p')
  [ "$status" = completed ] || [ "$status" = failed ] && break
  sleep 0.2
done
expect_eq "migration completed" "$status" completed
python3 "$here/vm/hmp.py" "$WORK/src.mon" "quit" >/dev/null 2>&1
timeout 60 tail --pid=$src -f /dev/null || kill -9 $src 2>/dev/null
timeout 300 tail --pid=$dst -f /dev/null || kill -9 $dst 2>/dev/null
wait $src $dst 2>/dev/null
# serial lines end in \r\n
last_src=$(tr -d '\r' < "$WORK/src.log" | grep -aE "^REC [0-9]+$" | tail -1 | cut -d' ' -f2)
first_dst=$(tr -d '\r' < "$WORK/dst.log" | grep -aE "^REC [0-9]+$" | head -1 | cut -d' ' -f2)
[ -n "$first_dst" ] && [ "${last_src:-0}" -lt $((n - 50)) ] \
  && ok "the destination kept writing after the source exited (source reached $last_src, destination went on from $first_dst)" \
  || not_ok "writes continued on the destination (source $last_src, destination $first_dst)"
grep -qa "GUEST-OK $n" "$WORK/dst.log" && ok "the guest verified all $n records after migration" \
  || { not_ok "guest verification after migration"; tail -5 "$WORK/dst.log" | sed 's/^/    | /'; }
check "every record is present and whole on the host" records_ok mig $n
finish
