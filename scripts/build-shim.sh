#!/usr/bin/env bash
# Builds the C libraries into target/shim/: librados.so.2 (everything) and librbd.so.1 (a small
# library that needs librados.so.2, as Ceph's does), so both names share one core per process.
#   scripts/build-shim.sh [debug|release]      (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-release}
if [ "$profile" = release ]; then
  cargo build --release -p rbdshim-capi
else
  cargo build -p rbdshim-capi
fi
out=target/shim
mkdir -p "$out"
cp -f "target/$profile/librados.so" "$out/librados.so.2.tmp"
mv -f "$out/librados.so.2.tmp" "$out/librados.so.2"
ln -sf librados.so.2 "$out/librados.so"
# librbd.so.1 carries no code: every rbd_* symbol resolves in librados.so.2 through it.
echo '/* rbdshim: librbd.so.1 is provided by librados.so.2 */' > "$out/librbd-stub.c"
cc -shared -fPIC -o "$out/librbd.so.1.tmp" "$out/librbd-stub.c" \
   -Wl,-soname,librbd.so.1 -Wl,--no-as-needed -L"$out" -l:librados.so.2
mv -f "$out/librbd.so.1.tmp" "$out/librbd.so.1"
ln -sf librbd.so.1 "$out/librbd.so"
rm -f "$out/librbd-stub.c"
echo "$out"
