#!/usr/bin/env bash
# qemu-io through QEMU's rbd driver: byte-granular IO at odd offsets, AIO at depth, discard,
# write-zeroes and flush, every read verified against its pattern.
. "$(dirname "$0")/lib.sh"

mkpool rbd
shim qemu-img create -f raw rbd:rbd/io 64M >/dev/null
img=rbd:rbd/io
q() { shim qemu-io -f raw "$@" "$img"; }

check "3 bytes at offset 1" q -c "write -P 0xab 1 3" -c "read -P 0xab 1 3" -c "read -P 0 0 1" -c "read -P 0 4 4092"
check "unaligned write across an object boundary" q -c "write -P 0x3c $((4 * 1024 * 1024 - 777)) 5000" -c "read -P 0x3c $((4 * 1024 * 1024 - 777)) 5000"
check "data survives reopen" q -c "read -P 0xab 1 3" -c "read -P 0x3c $((4 * 1024 * 1024 - 777)) 5000"

cmds=()
for i in $(seq 0 31); do cmds+=(-c "aio_write -P $((i + 1)) $((i * 65536 + 511)) 65536"); done
cmds+=(-c "aio_flush")
for i in $(seq 0 31); do cmds+=(-c "aio_read -P $((i + 1)) $((i * 65536 + 511)) 65536"); done
cmds+=(-c "aio_flush")
check "32 AIO writes then 32 AIO reads in flight" q "${cmds[@]}"
check "AIO data is durable after reopen" q -c "read -P 32 $((31 * 65536 + 511)) 65536"

check "discard reads back as zeros" q -c "write -P 0x55 8M 1M" -c "discard 8M 1M" -c "read -P 0 8M 1M"
check "unaligned discard keeps the edges" q -c "write -P 0x66 16M 8192" -c "discard $((16 * 1024 * 1024 + 100)) 3000" \
  -c "read -P 0x66 16M 100" -c "read -P 0 $((16 * 1024 * 1024 + 100)) 3000" -c "read -P 0x66 $((16 * 1024 * 1024 + 3100)) 5092"
check "write -z at odd offsets" q -c "write -P 0x77 20M 4096" -c "write -z $((20 * 1024 * 1024 + 100)) 50" \
  -c "read -P 0x77 20M 100" -c "read -P 0 $((20 * 1024 * 1024 + 100)) 50" -c "read -P 0x77 $((20 * 1024 * 1024 + 150)) 3946"
check "flush" q -c "write -P 0x11 0 512" -c "flush" -c "read -P 0x11 0 512"
check "write at the last byte" q -c "write -P 0x99 $((64 * 1024 * 1024 - 1)) 1" -c "read -P 0x99 $((64 * 1024 * 1024 - 1)) 1"

finish
