#!/usr/bin/env bash
# Runs every end-to-end suite, each by library path replacement and by LD_PRELOAD.
#   qemu-tests/run-all.sh [suite...]     (default: all test-*.sh)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../scripts/build-shim.sh" "${RBDSHIM_PROFILE:-debug}" >/dev/null || exit 1
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=("$here"/test-*.sh)
total_pass=0
total_fail=0
for s in "${suites[@]}"; do
  for mode in path preload; do
    out=$(RBDSHIM_TEST_MODE=$mode bash "$s" 2>&1)
    echo "$out" | grep -E "^(ok|FAIL|    \|)" || true
    line=$(echo "$out" | grep -E "^[a-z0-9-]+ \[$mode\]: [0-9]+ passed, [0-9]+ failed$" | tail -1)
    if [ -z "$line" ]; then
      echo "FAIL - [$mode] $(basename "$s"): did not finish"
      echo "$out" | tail -15 | sed 's/^/    | /'
      total_fail=$((total_fail + 1))
      continue
    fi
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) failed/\1/')
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
  done
done
echo "end-to-end: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
