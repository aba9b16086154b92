#!/usr/bin/env bash
# fio's rbd and rados engines on the shim, with data verification (crc32c).
. "$(dirname "$0")/lib.sh"

mkpool rbd
shim qemu-img create -f raw rbd:rbd/fio 64M >/dev/null

# fio exits 0 even after verification errors in some versions: also require "err= 0".
fio_ok() {
  local out
  out=$(cd "$WORK" && shim timeout 300 fio --output-format=normal --verify_state_save=0 "$@" 2>&1)
  local rc=$?
  if [ $rc -eq 0 ] && grep -q "err= 0" <<<"$out" && ! grep -qiE "verify: bad|error" <<<"$out"; then
    return 0
  fi
  echo "$out" | tail -20
  return 1
}

common=(--ioengine=rbd --clientname=admin --pool=rbd --rbdname=fio --bs=4k --size=64M)
check "rbd randwrite, then verify (crc32c), iodepth 32" fio_ok --name=w "${common[@]}" --rw=randwrite --iodepth=32 --verify=crc32c --do_verify=1
check "rbd randread verifying every block, iodepth 16" fio_ok --name=r "${common[@]}" --rw=randread --iodepth=16 --verify=crc32c
check "rbd sequential 64k write + verify" fio_ok --name=s --ioengine=rbd --clientname=admin --pool=rbd --rbdname=fio --bs=64k --size=64M --rw=write --iodepth=8 --verify=crc32c --do_verify=1
check "rados write + verify" fio_ok --name=ra --ioengine=rados --conf="$CEPH_CONF" --clientname=admin --pool=rbd --rw=write --bs=4k --size=8M --iodepth=8 --verify=crc32c
check "rados randread" fio_ok --name=rr --ioengine=rados --conf="$CEPH_CONF" --clientname=admin --pool=rbd --rw=randread --bs=4k --size=8M --iodepth=8

finish
