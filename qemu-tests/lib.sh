# Shared helpers for the end-to-end suites: real programs (qemu-img, qemu-io, fio, C and Python
# clients) driving librados.so.2 / librbd.so.1 from target/shim on a fresh store (file backend,
# or curve: see RBDSHIM_E2E_STORE below).
#
# Mode (RBDSHIM_TEST_MODE): "path" puts target/shim first on LD_LIBRARY_PATH (library
# replacement), "preload" loads both libraries with LD_PRELOAD instead.

set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHIM=$ROOT/target/shim
MODE=${RBDSHIM_TEST_MODE:-path}
PASS=0
FAIL=0
SUITE=$(basename "$0" .sh)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rbdshim-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export RBDSHIM_BACKEND="file:$WORK/store"
# RBDSHIM_E2E_STORE=curve runs the suites on the curve backend, its metadata in the etcd cluster
# RBDSHIM_TEST_ETCD names (host:port,...) or embedded when that is unset.
if [ "${RBDSHIM_E2E_STORE:-file}" = curve ]; then
  if [ -n "${RBDSHIM_TEST_ETCD:-}" ]; then
    export RBDSHIM_BACKEND="curve:$WORK/store?etcd=$RBDSHIM_TEST_ETCD&prefix=$(basename "$WORK")/"
  else
    export RBDSHIM_BACKEND="curve:$WORK/store"
  fi
fi
# Clients such as fio refuse to start without a ceph.conf; ours only needs to exist.
export CEPH_CONF="$WORK/ceph.conf"
printf '[global]\nmon host = 127.0.0.1\n' > "$CEPH_CONF"

# Runs a command with our libraries in front of Ceph's.
shim() {
  if [ "$MODE" = preload ]; then
    LD_PRELOAD="$SHIM/librados.so.2 $SHIM/librbd.so.1" "$@"
  else
    LD_LIBRARY_PATH="$SHIM${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
  fi
}

ok() {
  PASS=$((PASS + 1))
  echo "ok   - [$MODE] $SUITE: $1"
}

not_ok() {
  FAIL=$((FAIL + 1))
  echo "FAIL - [$MODE] $SUITE: $1"
}

# check "description" command...: passes if the command succeeds (and, for qemu-io, verified
# every pattern: its aio_read reports a mismatch but still exits 0).
check() {
  local what=$1
  shift
  local out
  if out=$("$@" 2>&1) && ! grep -q "verification failed" <<<"$out"; then
    ok "$what"
  else
    not_ok "$what"
    echo "$out" | tail -20 | sed 's/^/    | /'
  fi
}

# expect_eq "description" actual expected
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}

# Creates a pool through our librados (the CLI comes later).
mkpool() {
  shim python3 - "$1" <<'PY'
import ctypes, sys
lib = ctypes.CDLL("librados.so.2")
c = ctypes.c_void_p()
assert lib.rados_create(ctypes.byref(c), None) == 0
assert lib.rados_connect(c) == 0
r = lib.rados_pool_create(c, sys.argv[1].encode())
assert r in (0, -17), r
lib.rados_shutdown(c)
PY
}

# Whether our store has pool NAME (asked through our librados: no Ceph cluster exists here).
pool_exists() {
  shim python3 - "$1" <<'PY'
import ctypes, sys
lib = ctypes.CDLL("librados.so.2")
c = ctypes.c_void_p()
assert lib.rados_create(ctypes.byref(c), None) == 0
assert lib.rados_connect(c) == 0
lib.rados_pool_lookup.restype = ctypes.c_int64
r = lib.rados_pool_lookup(c, sys.argv[1].encode())
lib.rados_shutdown(c)
sys.exit(0 if r >= 0 else 1)
PY
}

finish() {
  echo "$SUITE [$MODE]: $PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}
