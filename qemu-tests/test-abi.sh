#!/usr/bin/env bash
# The shared objects themselves: SONAMEs, dependencies, the LIBRADOS_14.2.0 version node, loading
# by versioned importers without warnings, and bad input at the C boundary.
. "$(dirname "$0")/lib.sh"

expect_eq "librados.so.2 SONAME" "$(readelf -d "$SHIM/librados.so.2" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" librados.so.2
expect_eq "librbd.so.1 SONAME" "$(readelf -d "$SHIM/librbd.so.1" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" librbd.so.1
readelf -d "$SHIM/librbd.so.1" | grep -q "NEEDED.*\[librados.so.2\]" && ok "librbd.so.1 needs librados.so.2" || not_ok "librbd.so.1 needs librados.so.2"
readelf -V "$SHIM/librados.so.2" | grep -q "Name: LIBRADOS_14.2.0" && ok "LIBRADOS_14.2.0 version node" || not_ok "LIBRADOS_14.2.0 version node"
# Ceph's Python rados module imports rados_ioctx_pool_stat@LIBRADOS_14.2.0, with RTLD_NOW.
out=$(shim /usr/bin/python3 -c "import rados" 2>&1)
if [ -z "$out" ]; then ok "a versioned importer loads us without warnings"; else not_ok "versioned importer: $out"; fi
mkpool rbd
cc -O1 -Wall -Wno-deprecated-declarations -o "$WORK/hostile" "$(dirname "$0")/c/hostile.c" -L"$SHIM" -lrbd -lrados
check "NULL, closed and foreign handles and bad sizes give errors, never a crash" shim "$WORK/hostile"
finish
