#!/usr/bin/env bash
# A throw-away etcd cluster on 127.0.0.1 for the test suites.
#   scripts/etcd-cluster.sh start DIR [N]   starts N members (default 3) with data under DIR and
#                                           prints their client endpoints (host:port,...)
#   scripts/etcd-cluster.sh stop DIR        stops them
set -euo pipefail

cmd=${1:?start or stop}
dir=${2:?directory}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

case "$cmd" in
start)
  n=${3:-3}
  mkdir -p "$dir"
  names=() clients=() peers=()
  for i in $(seq 0 $((n - 1))); do
    names+=("m$i"); clients+=("$(free_port)"); peers+=("$(free_port)")
  done
  initial=""
  for i in $(seq 0 $((n - 1))); do
    initial+="${initial:+,}${names[$i]}=http://127.0.0.1:${peers[$i]}"
  done
  endpoints=""
  for i in $(seq 0 $((n - 1))); do
    etcd --name "${names[$i]}" --data-dir "$dir/${names[$i]}" \
      --listen-client-urls "http://127.0.0.1:${clients[$i]}" --advertise-client-urls "http://127.0.0.1:${clients[$i]}" \
      --listen-peer-urls "http://127.0.0.1:${peers[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${peers[$i]}" \
      --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token rbdshim-test \
      --heartbeat-interval 50 --election-timeout 500 >/dev/null 2>"$dir/${names[$i]}.log" &
    echo $! >"$dir/${names[$i]}.pid"
    endpoints+="${endpoints:+,}127.0.0.1:${clients[$i]}"
  done
  for _ in $(seq 1 150); do
    if ETCDCTL_API=3 etcdctl --endpoints "$endpoints" endpoint health --command-timeout=2s >/dev/null 2>&1; then
      echo "$endpoints"
      exit 0
    fi
    sleep 0.2
  done
  echo "etcd-cluster: members did not come up (logs in $dir)" >&2
  exit 1
  ;;
stop)
  for p in "$dir"/*.pid; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
  done
  ;;
*)
  echo "usage: $0 start DIR [N] | stop DIR" >&2
  exit 2
  ;;
esac
