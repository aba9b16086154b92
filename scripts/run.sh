#!/usr/bin/env bash
# The main job: builds rbdshim and drives it on the embedded file backend.
# Until the C libraries exist this runs the core's demo; it then drives QEMU through them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --workspace
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
RBDSHIM_BACKEND="file:$store" cargo run --release -q -p rbdshim-core --example demo
