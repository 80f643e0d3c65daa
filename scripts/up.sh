#!/usr/bin/env bash
# Bring Tundra up: build, create a network namespace `tundra` with a TUN (or TAP)
# device, start the stack on it, ping it three times as proof, and run until Ctrl-C.
#
#   sudo scripts/up.sh            # namespace `tundra`, tun0, kernel 10.0.0.1, stack 10.0.0.2
#   sudo scripts/up.sh --tap      # a TAP device (tap0): Ethernet frames and ARP
#   sudo scripts/up.sh --host     # put the device in the host namespace instead
#   sudo scripts/up.sh --no-build # use the binary already in target/release
#
# Idempotent: leftovers from an earlier run or a crash are removed first
# (scripts/down.sh), and everything is removed again on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
ns=tundra
mode=tun
host=0
build=1
pcap=${TUNDRA_PCAP:-/tmp/tundra.pcap}
for arg in "$@"; do
  case "$arg" in
    --tap) mode=tap ;;
    --host) host=1 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "up.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done
dev=${mode}0

if [ "$(id -u)" != 0 ]; then
  echo "up.sh: needs root to create namespaces and TUN devices: sudo $0 $*" >&2
  exit 1
fi

if [ "$build" = 1 ]; then
  (cd "$here" && cargo build --release -p tundra --quiet)
fi
bin="$here/target/release/tundra"
[ -x "$bin" ] || { echo "up.sh: $bin not built (drop --no-build)" >&2; exit 1; }

"$here/scripts/down.sh" >/dev/null 2>&1 || true

# `in_ns CMD...` runs CMD where the device lives.
if [ "$host" = 1 ]; then
  in_ns() { "$@"; }
else
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  in_ns() { ip netns exec "$ns" "$@"; }
fi

stack_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$stack_pid" ] && kill -0 "$stack_pid" 2>/dev/null; then
    kill -INT "$stack_pid" 2>/dev/null || true
    wait "$stack_pid" 2>/dev/null || true
  fi
  "$here/scripts/down.sh" >/dev/null 2>&1 || true
  echo "up.sh: cleaned up"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns ip tuntap add dev "$dev" mode "$mode"
# IPv6 is not implemented yet: keep the kernel from sending it (the stack would skip
# and count it anyway).
in_ns sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
in_ns ip addr add 10.0.0.1/24 dev "$dev"
in_ns ip link set "$dev" up

# Started without the in_ns function so that $! is the stack itself (`ip netns exec`
# execs its command), which cleanup and down.sh signal.
stack_args=(run --dev "$dev" --mode "$mode" --addr 10.0.0.2/24 --pcap "$pcap" --stats --www "$here/docs")
if [ "$host" = 1 ]; then
  "$bin" "${stack_args[@]}" &
else
  ip netns exec "$ns" "$bin" "${stack_args[@]}" &
fi
stack_pid=$!
echo "$stack_pid" > /run/tundra-up.pid

ok=0
for _ in $(seq 1 50); do
  if in_ns ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; then ok=1; break; fi
  kill -0 "$stack_pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$ok" != 1 ]; then
  echo "up.sh: the stack did not answer; see the log above" >&2
  exit 1
fi
in_ns ping -c 3 -i 0.2 10.0.0.2

if [ "$host" = 1 ]; then pre="sudo"; else pre="sudo ip netns exec $ns"; fi
cat <<TXT

Tundra is up on $dev ($mode) at 10.0.0.2; the kernel side is 10.0.0.1.
Try, in another terminal:
  $pre ping 10.0.0.2
  $pre curl -v http://10.0.0.2/          # the web server (docs/http.md)
  $pre tshark -i $dev                  # watch the frames live
  tshark -r $pcap                      # everything the stack saw and sent (flushed every 200 ms)
  $pre ip neigh                        # (TAP) the kernel's ARP entry for the stack
Ctrl-C here stops the stack, prints its counters and removes the namespace.
TXT
wait "$stack_pid"
