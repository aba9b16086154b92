#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that read untrusted input (fuzz/fuzz_targets):
# ceph.conf and options, keyrings, keys and caps, image specs, diff streams, image records.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 20 s, every target)
# Each target first replays fuzz/regressions/TARGET (inputs that once crashed it) and
# fuzz/seeds/TARGET, then explores for the given time. A crash stops the run and leaves the
# input under fuzz/artifacts/TARGET/: copy it into fuzz/regressions/TARGET/ with the fix.
# Uses the machine's stable toolchain (RUSTC_BOOTSTRAP lets cargo fuzz pass its sanitizer
# flags) and installs cargo-fuzz from crates.io when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config keyring image_spec diff_stream metadata)
command -v cargo-fuzz >/dev/null || cargo install -q cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (cd fuzz && cargo fuzz build -O >"$work/build.log" 2>&1); then
  echo "FAIL - fuzz build"
  tail -40 "$work/build.log" | sed 's/^/    | /'
  exit 1
fi
for t in "${targets[@]}"; do
  mkdir -p "fuzz/regressions/$t" "$work/$t"
  if (cd fuzz && TMPDIR="$work" cargo fuzz run -O "$t" "$work/$t" "regressions/$t" "seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=0 >"$work/$t.log" 2>&1); then
    echo "ok   - fuzz $t: $(grep -Eo 'Done [0-9]+ runs' "$work/$t.log" | tail -1) in ${secs} s"
  else
    echo "FAIL - fuzz $t"
    tail -40 "$work/$t.log" | sed 's/^/    | /'
    exit 1
  fi
done
