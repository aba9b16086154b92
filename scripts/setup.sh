#!/usr/bin/env bash
# Installs what building and testing rbdshim needs on a fresh Debian 12 machine. Idempotent.
#   scripts/setup.sh            build tools and the packages the test suites drive
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
updated=0
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $updated -eq 0 ]; then apt-get update -q; updated=1; fi
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# QEMU's rbd module must come from the same suite as the preinstalled qemu-utils
# (bookworm-backports). The suite is added with the same mirror as the system's main suite.
add_backports() {
  local f=/etc/apt/sources.list.d/bookworm-backports.sources
  [ -f "$f" ] && return 0
  grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '/^deb / && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$uri" ] || { echo "setup: cannot find the Debian mirror to add bookworm-backports" >&2; return 1; }
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" > "$f"
  updated=0
}

command -v cargo >/dev/null || { echo "setup: cargo (Rust toolchain) is required" >&2; exit 1; }

apt_install build-essential pkg-config
# The curve backend's etcd client compiles etcd's protocol files; its tests run real etcd.
apt_install protobuf-compiler etcd-server etcd-client
# Ceph's headers, to check our ABI against theirs.
apt_install librbd-dev librados-dev
# Programs the end-to-end suites drive.
apt_install fio gcc libc6-dev python3-rbd python3-rados python3-glance-store python3-nova python3-cinder libvirt-daemon libvirt-daemon-driver-storage-rbd libvirt-clients busybox-static
# QEMU's rbd module and system emulator, from the suite of the preinstalled qemu-utils.
need_bpo=()
for p in qemu-block-extra qemu-system-x86; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_bpo+=("$p")
done
if [ ${#need_bpo[@]} -gt 0 ]; then
  add_backports
  if [ $updated -eq 0 ]; then apt-get update -q; updated=1; fi
  qv=$(dpkg-query -W -f='${Version}' qemu-utils 2>/dev/null || true)
  if [ -n "$qv" ]; then
    pinned=()
    for p in "${need_bpo[@]}"; do pinned+=("$p=$qv"); done
    apt-get install -y -q --no-install-recommends -t bookworm-backports "${pinned[@]}"
  else
    apt-get install -y -q --no-install-recommends -t bookworm-backports qemu-utils "${need_bpo[@]}"
  fi
fi
