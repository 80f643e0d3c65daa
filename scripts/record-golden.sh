#!/usr/bin/env bash
# Re-records the replay goldens in testdata/pcap/ from live sessions: the kernel in a
# network namespace this script creates talks to `tundra run --record` on a TUN or TAP
# device in it. Each golden is FILE.pcap plus its timeline FILE.pcap.replay.json
# (docs/replay.md); `cargo test -p tundra --test replay_goldens` replays them all.
#
#   sudo scripts/record-golden.sh              # every golden
#   sudo scripts/record-golden.sh tun-ping     # just one
#   sudo scripts/record-golden.sh --no-build tap-arp-ping
#
# Goldens: tun-ping (TUN, ping of 56 and 1472 bytes), tap-arp-ping (TAP: our
# gratuitous ARP, the kernel's ARP request and our reply, then pings).
#
# Network safety: all traffic stays inside the namespace, which is deleted on exit
# (also on failure), with the stack it started.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(tun-ping tap-arp-ping)

if [ "$(id -u)" != 0 ]; then
  echo "record-golden.sh: needs root (network namespaces, TUN/TAP): sudo $0" >&2
  exit 1
fi

target=${CARGO_TARGET_DIR:-target}
if [ $build = 1 ]; then cargo build --release -p tundra; fi
bin="$target/release/tundra"
[ -x "$bin" ] || { echo "record-golden.sh: no $bin (build first)" >&2; exit 1; }

ns="tnd-golden-$$"
stack_pid=""
log=$(mktemp /tmp/tundra-golden.XXXXXX)
cleanup() {
  if [ -n "$stack_pid" ]; then kill "$stack_pid" 2>/dev/null || true; wait "$stack_pid" 2>/dev/null || true; fi
  ip netns del "$ns" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

in_ns() { ip netns exec "$ns" "$@"; }

# setup MODE DEV: a fresh namespace with DEV at 10.0.0.1/24, IPv6 off (no stray
# router solicitations in the golden).
setup() {
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  in_ns ip link set lo up
  in_ns ip tuntap add dev "$2" mode "$1"
  in_ns sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
  in_ns ip addr add 10.0.0.1/24 dev "$2"
  in_ns ip link set "$2" up
}

# start NAME MODE DEV: tundra run --record testdata/pcap/NAME.pcap, waits until it is up.
start() {
  local out="testdata/pcap/$1.pcap"
  rm -f "$out" "$out.replay.json"
  # Not through a shell function: `ip netns exec` execs tundra, so $! is tundra itself.
  ip netns exec "$ns" "$bin" run --dev "$3" --mode "$2" --addr 10.0.0.2/24 --seed 1 \
    --record "$out" >"$log" 2>&1 &
  stack_pid=$!
  for _ in $(seq 100); do
    grep -q "tundra up on" "$log" && return 0
    sleep 0.05
  done
  echo "record-golden.sh: the stack did not start:" >&2
  cat "$log" >&2
  exit 1
}

stop() {
  # SIGTERM (a background job of a script ignores SIGINT); tundra stops cleanly on both.
  kill -TERM "$stack_pid"
  wait "$stack_pid" || { echo "record-golden.sh: the stack failed:" >&2; cat "$log" >&2; exit 1; }
  stack_pid=""
  ip netns del "$ns"
}

record_tun_ping() {
  setup tun tun0
  start tun-ping tun tun0
  in_ns ping -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null
  in_ns ping -c 1 -s 1472 -W 1 10.0.0.2 >/dev/null
  sleep 0.3
  stop
}

record_tap_arp_ping() {
  setup tap tap0
  start tap-arp-ping tap tap0
  # Forget anything the gratuitous ARP taught, so the kernel asks with a request.
  in_ns ip neigh flush dev tap0
  in_ns ping -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null
  sleep 0.3
  stop
}

for name in "${want[@]}"; do
  case "$name" in
    tun-ping) record_tun_ping ;;
    tap-arp-ping) record_tap_arp_ping ;;
    *) echo "record-golden.sh: unknown golden $name" >&2; exit 1 ;;
  esac
  printf '%s: %s frames, %s turns\n' "$name" \
    "$(tshark -r "testdata/pcap/$name.pcap" 2>/dev/null | wc -l)" \
    "$(($(wc -l <"testdata/pcap/$name.pcap.replay.json") - 1))"
done
