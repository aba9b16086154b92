#!/usr/bin/env bash
# Ceph's own Python bindings (Debian's python3-rbd / python3-rados, Cython modules that load
# librbd.so.1 / librados.so.2 with RTLD_NOW) running a full scenario on our libraries.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
check "Ceph's rados and rbd modules import over our libraries" shim "$PY" -c "import rados, rbd"
check "create / write / read / snapshot / clone / flatten / remove" shim timeout 120 "$PY" "$(dirname "$0")/py/ceph_scenario.py"
check "objects: data, xattrs, omap write/read ops, listing" shim timeout 120 "$PY" "$(dirname "$0")/py/ceph_objects.py"
check "users, keys and caps (mon_command, a user's key, refusals)" shim timeout 120 "$PY" "$(dirname "$0")/py/ceph_auth.py"
# It ran on our store, not on a Ceph cluster: the pool it made is in our store.
check "the scenario's pool lives in our store" pool_exists pyrbd
finish
