#!/usr/bin/env bash
# A full filesystem under the store: the store sits on a 24 MiB tmpfs (in a private mount
# namespace), QEMU fills it, and the writer gets ENOSPC while everything flushed before stays
# readable; freeing space (discard) makes writes work again.
if [ -z "${RBDSHIM_IN_MOUNT_NS:-}" ]; then
  # Root needs only a mount namespace; others get one inside a user namespace.
  flags=-m
  [ "$(id -u)" = 0 ] || flags=-rm
  exec env RBDSHIM_IN_MOUNT_NS=1 unshare "$flags" bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

small=$WORK/small
mkdir -p "$small"
trap 'umount "$small" 2>/dev/null; rm -rf "$WORK"' EXIT
check "a 24 MiB filesystem for the store" mount -t tmpfs -o size=24m,mode=0700 none "$small"
export RBDSHIM_BACKEND=${RBDSHIM_BACKEND/$WORK\/store/$small/store}

mkpool rbd
img=rbd:rbd/full
check "create a 64 MiB image on it" shim qemu-img create -f raw "$img" 64M
check "write and flush 8 MiB" shim qemu-io -f raw -c "write -P 0x11 0 8M" -c flush "$img"
out=$(shim qemu-io -f raw -c "write -P 0x22 8M 40M" "$img" 2>&1)
grep -q "No space left on device" <<<"$out" && ok "a write past the free space fails with ENOSPC" ||
  not_ok "a write past the free space fails with ENOSPC: $out"
check "the flushed data is intact" shim qemu-io -f raw -c "read -P 0x11 0 8M" "$img"
info=$(shim qemu-img info -f raw --output=json "$img" 2>&1)
grep -q '"virtual-size": 67108864' <<<"$info" && ok "the image still opens and reports its size" ||
  not_ok "the image still opens and reports its size: $info"
check "discard frees the space the failed write took" shim qemu-io -f raw -c "discard 8M 56M" "$img"
check "writes work again" shim qemu-io -f raw -c "write -P 0x33 8M 8M" -c flush "$img"
check "old and new data read back" shim qemu-io -f raw -c "read -P 0x11 0 8M" -c "read -P 0x33 8M 8M" "$img"
finish
