#!/usr/bin/env bash
# Benchmarks the shim against a baseline measured in the same run on the same filesystem:
# fio (rbd engine vs libaio/psync on a raw file), qemu-img bench and convert (rbd driver vs
# file driver), Python Image.write/read (vs a file), metadata operations (large vs small),
# CPU per GiB and peak RSS. Prints the machine, then a table: shim, baseline, ratio, target.
#   scripts/bench.sh [--json FILE]     full run (under 15 minutes on 2 cores)
#   BENCH_QUICK=1 scripts/bench.sh     smoke run (about 2 minutes, small sizes)
# Environment: BENCH_DIR  where the work directory (store + raw files) is made (default
#                         target/bench; it needs about 8 GiB free for a full run)
#              BENCH_KEEP=1       keep the work directory
#              BENCH_NO_BUILD=1   use the libraries and tools already in target/
#              BENCH_ONLY=fio,qemu,convert,python,meta,resources   run some sections only
#              BENCH_BACKEND=curve  measure the curve backend (embedded metadata; with
#                                   BENCH_ETCD=host:port,... its metadata in that etcd cluster)
# docs/benchmarks.md describes every case and holds the results of a full run.
set -euo pipefail

json=""
while [ $# -gt 0 ]; do
  case $1 in
    --json) json=${2:?--json needs a file}; shift 2 ;;
    --json=*) json=${1#--json=}; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (usage: scripts/bench.sh [--json FILE])" >&2; exit 2 ;;
  esac
done
# --json is relative to the caller's directory.
if [ -n "$json" ] && [ "${json#/}" = "$json" ]; then json="$PWD/$json"; fi
cd "$(dirname "$0")/.."
start=$(date +%s)

# What the cases drive: fio, qemu-img with QEMU's rbd module (qemu-block-extra).
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if ! command -v fio >/dev/null; then
  echo "== installing fio" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends fio >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends fio >&2; }
fi
if ! command -v qemu-img >/dev/null || ! installed qemu-block-extra; then
  echo "== installing QEMU's rbd driver (scripts/setup.sh)" >&2
  bash scripts/setup.sh >&2
fi

if [ "${BENCH_NO_BUILD:-0}" = 0 ]; then
  echo "== building (release): target/shim, target/release/rbd, Python modules in target/bench/py" >&2
  bash scripts/build-shim.sh release >&2
  cargo build --release -p rbdshim-cli >&2
  python3 -m pip install -q --upgrade --target target/bench/py ./python >&2 2>/dev/null ||
    python3 -m pip install -q --upgrade --target target/bench/py ./python >&2
fi
built=$(date +%s)

mkdir -p "${BENCH_DIR:-target/bench}"
work=$(mktemp -d "${BENCH_DIR:-target/bench}/run.XXXXXX")
if [ "${BENCH_KEEP:-0}" = 0 ]; then trap 'rm -rf "$work"' EXIT; else echo "bench: keeping $work" >&2; fi

args=(--work "$work")
[ -n "$json" ] && args+=(--json "$json")
[ "${BENCH_QUICK:-0}" != 0 ] && args+=(--quick)
[ -n "${BENCH_ONLY:-}" ] && args+=(--only "$BENCH_ONLY")
PYTHONPATH="$PWD/target/bench/py${PYTHONPATH:+:$PYTHONPATH}" python3 scripts/bench/run.py "${args[@]}"
end=$(date +%s)
echo "bench: build $((built - start)) s, benchmarks $((end - built)) s, total $((end - start)) s" >&2
