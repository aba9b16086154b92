#!/usr/bin/env bash
# Installs what building and testing rbdshim needs on a fresh Debian 12 machine. Idempotent.
set -euo pipefail

need_apt=()
command -v cc >/dev/null || need_apt+=(build-essential)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo (Rust toolchain) is required" >&2
  exit 1
fi
