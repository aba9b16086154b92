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

echo "== unit and integration tests"
set +e
cargo test --workspace --exclude rbdshim-python 2>&1 | tee target/test-output.txt
cargo_rc=${PIPESTATUS[0]}

echo "== python modules rados and rbd (python/)"
rm -rf target/py
python3 -m pip install -q pytest >/dev/null 2>&1 || true
python3 -m pip install -q --target target/py ./python
PYTHONPATH=target/py python3 -m pytest -q python/tests 2>&1 | tee target/py-output.txt
py_rc=${PIPESTATUS[0]}
# Debian's own interpreter (what Debian's OpenStack packages run) loads the same abi3 build.
PYTHONPATH=target/py /usr/bin/python3 -c "import rados, rbd; assert rados.__file__.startswith('target/py') or 'target/py' in rados.__file__"
py_rc=$((py_rc + $?))

echo "== end-to-end: real programs on the shim (qemu-tests/)"
bash qemu-tests/run-all.sh 2>&1 | tee target/e2e-output.txt
e2e_rc=${PIPESTATUS[0]}
set -e

passed=$( (grep -Eo 'test result: (ok|FAILED)\. [0-9]+ passed' target/test-output.txt || true) | awk '{s+=$4} END {print s+0}')
failed=$( (grep -Eo 'test result: FAILED\. [0-9]+ passed; [0-9]+ failed' target/test-output.txt || true) | awk '{s+=$6} END {print s+0}')
e2e_pass=$(sed -nE 's/^end-to-end: ([0-9]+) passed, ([0-9]+) failed$/\1/p' target/e2e-output.txt | tail -1)
e2e_fail=$(sed -nE 's/^end-to-end: ([0-9]+) passed, ([0-9]+) failed$/\2/p' target/e2e-output.txt | tail -1)
py_pass=$( (grep -Eo '[0-9]+ passed' target/py-output.txt || true) | tail -1 | awk '{print $1+0}')
py_fail=$( (grep -Eo '[0-9]+ failed' target/py-output.txt || true) | tail -1 | awk '{print $1+0}')
echo "$((passed + ${e2e_pass:-0} + ${py_pass:-0})) passed, $((failed + ${e2e_fail:-1} + ${py_fail:-0})) failed"
[ "$cargo_rc" -eq 0 ] && [ "$py_rc" -eq 0 ] && [ "$e2e_rc" -eq 0 ]
