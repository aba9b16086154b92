#!/usr/bin/env bash
# Runs every test of rbdshim. Installs what it needs first (scripts/setup.sh).
# Longer randomized runs on demand: RBDSHIM_MODEL_OPS=200000 RBDSHIM_CRASH_ROUNDS=500 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== format"
cargo fmt --all -- --check

echo "== build"
# The Python extension links against the interpreter that loads it: built by pip below, and
# on its own here (no test harness).
cargo build --workspace --all-targets --exclude rbdshim-python
cargo build -p rbdshim-python

echo "== generated code is current (C ABI stubs, COMPAT.md, include/)"
python3 scripts/gen-capi-stubs.py --check
cargo run -q -p rbdshim-gen-headers -- --check

# A 3-member etcd cluster for the suites that run on the curve backend with etcd metadata.
rm -rf target/etcd
eps=$(bash scripts/etcd-cluster.sh start target/etcd 3)
trap 'bash scripts/etcd-cluster.sh stop target/etcd' EXIT
export RBDSHIM_TEST_ETCD=$eps

echo "== unit and integration tests"
set +e
cargo test --workspace --exclude rbdshim-python 2>&1 | tee target/test-output.txt
cargo_rc=${PIPESTATUS[0]}

echo "== the core's suites on the curve backend: embedded metadata, then etcd"
RBDSHIM_TEST_STORE=curve cargo test -p rbdshim-core 2>&1 | tee -a target/test-output.txt
cargo_rc=$((cargo_rc + PIPESTATUS[0]))
RBDSHIM_TEST_STORE=curve RBDSHIM_TEST_ETCD=$eps RBDSHIM_CRASH_ROUNDS=10 cargo test -p rbdshim-core 2>&1 | tee -a target/test-output.txt
cargo_rc=$((cargo_rc + PIPESTATUS[0]))

echo "== python modules rados and rbd (python/)"
rm -rf target/py
python3 -m pip install -q pytest >/dev/null 2>&1 || true
python3 -m pip install -q --target target/py ./python
PYTHONPATH=target/py python3 -m pytest -q python/tests 2>&1 | tee target/py-output.txt
py_rc=${PIPESTATUS[0]}
echo "== python modules on the curve backend with etcd metadata"
RBDSHIM_TEST_STORE=curve RBDSHIM_TEST_ETCD=$eps PYTHONPATH=target/py python3 -m pytest -q python/tests 2>&1 | tee target/py-curve-output.txt
py_rc=$((py_rc + PIPESTATUS[0]))
# Debian's own interpreter (what Debian's OpenStack packages run) loads the same abi3 build.
PYTHONPATH=target/py /usr/bin/python3 -c "import rados, rbd; assert rados.__file__.startswith('target/py') or 'target/py' in rados.__file__"
py_rc=$((py_rc + $?))

echo "== end-to-end: real programs on the shim (qemu-tests/)"
bash qemu-tests/run-all.sh 2>&1 | tee target/e2e-output.txt
e2e_rc=${PIPESTATUS[0]}
echo "== end-to-end on the curve backend with etcd metadata"
RBDSHIM_E2E_STORE=curve RBDSHIM_TEST_ETCD=$eps bash qemu-tests/run-all.sh \
  qemu-tests/test-qemu-img.sh qemu-tests/test-qemu-io.sh qemu-tests/test-fio.sh qemu-tests/test-ceph-python.sh \
  qemu-tests/test-fork.sh qemu-tests/test-abi.sh qemu-tests/test-enospc.sh 2>&1 | tee target/e2e-curve-output.txt
e2e_rc=$((e2e_rc + PIPESTATUS[0]))
echo "== a full filesystem under the curve backend with embedded metadata"
RBDSHIM_E2E_STORE=curve bash qemu-tests/run-all.sh qemu-tests/test-enospc.sh 2>&1 | tee target/e2e-curve-embedded-output.txt
e2e_rc=$((e2e_rc + PIPESTATUS[0]))
echo "== fuzzing: each parser of untrusted input, its regressions replayed, then 20 s of search"
bash scripts/fuzz.sh 20 2>&1 | tee target/fuzz-output.txt
fuzz_rc=${PIPESTATUS[0]}
set -e

passed=$( (grep -Eo 'test result: (ok|FAILED)\. [0-9]+ passed' target/test-output.txt || true) | awk '{s+=$4} END {print s+0}')
failed=$( (grep -Eo 'test result: FAILED\. [0-9]+ passed; [0-9]+ failed' target/test-output.txt || true) | awk '{s+=$6} END {print s+0}')
e2e_count() { # FILE FIELD(1=passed,2=failed): the run's total, or "missing" when it never finished
  local v
  v=$(sed -nE "s/^end-to-end: ([0-9]+) passed, ([0-9]+) failed$/\\$2/p" "$1" | tail -1)
  echo "${v:-missing}"
}
py_count() { # FILE WORD(passed|failed)
  (grep -Eo "[0-9]+ $2" "$1" || true) | awk '{n = $1} END {print n + 0}'
}
e2e_pass=0 e2e_fail=0 py_pass=0 py_fail=0
for f in target/e2e-output.txt target/e2e-curve-output.txt target/e2e-curve-embedded-output.txt; do
  p=$(e2e_count "$f" 1) q=$(e2e_count "$f" 2)
  if [ "$p" = missing ]; then e2e_fail=$((e2e_fail + 1)); else e2e_pass=$((e2e_pass + p)); e2e_fail=$((e2e_fail + q)); fi
done
for f in target/py-output.txt target/py-curve-output.txt; do
  py_pass=$((py_pass + $(py_count "$f" passed)))
  py_fail=$((py_fail + $(py_count "$f" failed)))
done
fuzz_pass=$(grep -c '^ok   - fuzz' target/fuzz-output.txt || true)
fuzz_fail=$(grep -c '^FAIL - fuzz' target/fuzz-output.txt || true)
echo "$((passed + e2e_pass + py_pass + fuzz_pass)) passed, $((failed + e2e_fail + py_fail + fuzz_fail)) failed"
[ "$cargo_rc" -eq 0 ] && [ "$py_rc" -eq 0 ] && [ "$e2e_rc" -eq 0 ] && [ "$fuzz_rc" -eq 0 ]
