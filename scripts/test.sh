#!/usr/bin/env bash
# Runs every test of rbdshim. Installs what it needs first (scripts/setup.sh).
# Longer randomized runs on demand: RBDSHIM_MODEL_OPS=200000 RBDSHIM_CRASH_ROUNDS=500 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== format"
cargo fmt --all -- --check

echo "== build"
cargo build --workspace --all-targets

echo "== generated code is current (C ABI stubs, COMPAT.md, include/)"
python3 scripts/gen-capi-stubs.py --check
cargo run -q -p rbdshim-gen-headers -- --check

echo "== unit and integration tests"
set +e
cargo test --workspace 2>&1 | tee target/test-output.txt
cargo_rc=${PIPESTATUS[0]}

echo "== end-to-end: real programs on the shim (qemu-tests/)"
bash qemu-tests/run-all.sh 2>&1 | tee target/e2e-output.txt
e2e_rc=${PIPESTATUS[0]}
set -e

passed=$( (grep -Eo 'test result: (ok|FAILED)\. [0-9]+ passed' target/test-output.txt || true) | awk '{s+=$4} END {print s+0}')
failed=$( (grep -Eo 'test result: FAILED\. [0-9]+ passed; [0-9]+ failed' target/test-output.txt || true) | awk '{s+=$6} END {print s+0}')
e2e_pass=$(sed -nE 's/^end-to-end: ([0-9]+) passed, ([0-9]+) failed$/\1/p' target/e2e-output.txt | tail -1)
e2e_fail=$(sed -nE 's/^end-to-end: ([0-9]+) passed, ([0-9]+) failed$/\2/p' target/e2e-output.txt | tail -1)
echo "$((passed + ${e2e_pass:-0})) passed, $((failed + ${e2e_fail:-1})) failed"
[ "$cargo_rc" -eq 0 ] && [ "$e2e_rc" -eq 0 ]
