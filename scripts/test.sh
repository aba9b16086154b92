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

echo "== unit and integration tests"
cargo test --workspace 2>&1 | tee target/test-output.txt
passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' target/test-output.txt | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' target/test-output.txt | awk '{s+=$1} END {print s+0}')
echo "$passed passed, $failed failed"
