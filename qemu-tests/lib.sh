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

# mkuser ENTITY KEYRING SERVICE CAPS [SERVICE CAPS...]: makes a user in our store's auth database
# (`ceph auth get-or-create`, through our librados) and writes its keyring to KEYRING.
mkuser() {
  shim python3 - "$@" <<'PY'
import ctypes, json, os, sys
entity, path, caps = sys.argv[1], sys.argv[2], sys.argv[3:]
lib = ctypes.CDLL("librados.so.2")
c = ctypes.c_void_p()
assert lib.rados_create(ctypes.byref(c), None) == 0 and lib.rados_connect(c) == 0
cmd = json.dumps({"prefix": "auth get-or-create", "entity": entity, "caps": caps}).encode()
out, outlen = ctypes.POINTER(ctypes.c_char)(), ctypes.c_size_t()
st, stlen = ctypes.POINTER(ctypes.c_char)(), ctypes.c_size_t()
r = lib.rados_mon_command(c, (ctypes.c_char_p * 1)(cmd), 1, b"", 0, ctypes.byref(out), ctypes.byref(outlen),
                          ctypes.byref(st), ctypes.byref(stlen))
assert r == 0, (r, ctypes.string_at(st, stlen.value))
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, ctypes.string_at(out, outlen.value))
os.close(fd)
lib.rados_buffer_free(out)
lib.rados_buffer_free(st)
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
