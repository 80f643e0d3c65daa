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
# Goldens (table in docs/replay.md):
#   tun-ping        TUN: ping of 56 and 1472 bytes
#   tap-arp-ping    TAP: our gratuitous ARP, the kernel's ARP request and our reply, pings
#   tcp-echo        nc -N: handshake, three lines through echo (port 7), client closes
#   tcp-rst         a SYN and a bare ACK (raw socket) to closed port 81: our RSTs
#   tcp-retransmit  echo whose second answer nftables drops in the namespace: our RTO
#   tcp-fast-retransmit  6000 bytes echoed, our first segment dropped: the kernel's
#                   SACKs, our fast retransmit
#   http-keepalive  curl: two requests on one connection, the second with
#                   `Connection: close`, so the server closes first
#   ws-echo         scripts/ws-echo.py: WebSocket handshake on /echo, text and binary
#                   echoed, closing handshake
# The stack runs in an empty directory, so it serves no ./docs (`www: null`).
# Re-recording changes every byte (ports, ISNs, timing): replay the result with
# `tundra replay` and review it with `tshark -r` before committing.
#
# Network safety: all traffic stays inside the namespace, which is deleted on exit
# (also on failure) with its nftables rules, with the stack it started.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi
want=("$@")
all=(tun-ping tap-arp-ping tcp-echo tcp-rst tcp-retransmit tcp-fast-retransmit http-keepalive
  ws-echo)
[ ${#want[@]} -eq 0 ] && want=("${all[@]}")

if [ "$(id -u)" != 0 ]; then
  echo "record-golden.sh: needs root (network namespaces, TUN/TAP): sudo $0" >&2
  exit 1
fi

for tool in ip ping nc nft curl python3 tshark; do
  command -v "$tool" >/dev/null || { echo "record-golden.sh: missing $tool (see .ci/run)" >&2; exit 1; }
done

target=${CARGO_TARGET_DIR:-target}
if [ $build = 1 ]; then cargo build --release -p tundra; fi
bin="$target/release/tundra"
[ -x "$bin" ] || { echo "record-golden.sh: no $bin (build first)" >&2; exit 1; }
bin=$(realpath "$bin")

ns="tnd-golden-$$"
stack_pid=""
log=$(mktemp /tmp/tundra-golden.XXXXXX)
# The stack runs in an empty directory: `tundra run` serves ./docs when it exists, and a
# golden must not depend on the Markdown of the day (the timeline records `www: null`).
empty=$(mktemp -d /tmp/tundra-golden-cwd.XXXXXX)
cleanup() {
  if [ -n "$stack_pid" ]; then kill "$stack_pid" 2>/dev/null || true; wait "$stack_pid" 2>/dev/null || true; fi
  ip netns del "$ns" 2>/dev/null || true
  rm -f "$log"
  rmdir "$empty" 2>/dev/null || true
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

# start NAME MODE DEV [ARGS...]: tundra run --record testdata/pcap/NAME.pcap (and ARGS),
# waits until it is up.
start() {
  local out="$PWD/testdata/pcap/$1.pcap"
  local extra=("${@:4}")
  rm -f "$out" "$out.replay.json"
  # Not through a shell function: `ip netns exec` execs env, which execs tundra (in the
  # empty directory), so $! is tundra itself.
  ip netns exec "$ns" env -C "$empty" "$bin" run --dev "$3" --mode "$2" --addr 10.0.0.2/24 \
    --seed 1 --record "$out" "${extra[@]}" >"$log" 2>&1 &
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

# 63 bytes; sent with a newline, its echo is a segment of IP length 64 + 52 (headers
# with timestamps), over the 100 the drop rule in tcp-retransmit matches.
line64=$(printf '%063d' 0 | tr 0 x)

record_tcp_echo() {
  setup tun tun0
  start tcp-echo tun tun0
  # Three lines through the echo service (RFC 862), each echoed before the next; then
  # nc -N shuts its sending side (FIN), the service closes too, nc sees the FIN, exits.
  { printf 'one\n'; sleep 0.2; printf 'two\n'; sleep 0.2; printf 'three\n'; sleep 0.2; } \
    | in_ns nc -N -w 2 10.0.0.2 7 >/dev/null
  sleep 0.3
  stop
}

record_tcp_rst() {
  setup tun tun0
  start tcp-rst tun tun0
  # A SYN to a closed port: RST,ACK (RFC 9293 §3.10.7.1); nc gets "connection refused".
  in_ns nc -z -w 1 10.0.0.2 81 || true
  # A bare ACK to a closed port, crafted on a raw socket: RST with SEQ = SEG.ACK and
  # no ACK flag (RFC 9293 §3.10.7.1).
  in_ns python3 - <<'PY'
import socket, struct
src, dst = socket.inet_aton("10.0.0.1"), socket.inet_aton("10.0.0.2")
tcp = struct.pack("!HHIIBBHHH", 40123, 81, 0x1000, 0x12345678, 5 << 4, 0x10, 64240, 0, 0)
pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
data = pseudo + tcp
s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
while s >> 16:
    s = (s & 0xFFFF) + (s >> 16)
tcp = tcp[:16] + struct.pack("!H", ~s & 0xFFFF) + tcp[18:]
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
sock.sendto(tcp, ("10.0.0.2", 0))
PY
  sleep 0.3
  stop
}

record_tcp_retransmit() {
  setup tun tun0
  start tcp-retransmit tun tun0
  # The echo of the second line is dropped by nftables on the kernel's input while the
  # rule lasts (100 ms); the stack retransmits it on its own timer (tail loss probe or
  # RTO), which the kernel then receives and ACKs.
  in_ns nft add table inet tnd_golden
  in_ns nft add chain inet tnd_golden input '{ type filter hook input priority 0; }'
  {
    printf '%s\n' "$line64"; sleep 0.3
    in_ns nft add rule inet tnd_golden input ip saddr 10.0.0.2 tcp sport 7 ip length gt 100 drop
    printf '%s\n' "$line64"; sleep 0.1
    in_ns nft flush chain inet tnd_golden input
    sleep 1.5
  } | in_ns nc -N -w 3 10.0.0.2 7 >/dev/null
  sleep 0.3
  stop
}

record_tcp_fast_retransmit() {
  setup tun tun0
  # --no-offload: each segment its own packet (a TSO super-segment of the whole flight
  # would be one packet over the quota, and nothing would be dropped).
  start tcp-fast-retransmit tun tun0 --no-offload
  # 6000 bytes through echo: our answer is a flight of full segments, of which nftables
  # drops only the first (a quota of 2000 bytes holds one 1500-byte packet). The kernel
  # SACKs the rest, and we resend the hole well before the RTO (RFC 6675, RFC 8985).
  in_ns nft add table inet tnd_golden
  in_ns nft add chain inet tnd_golden input '{ type filter hook input priority 0; }'
  in_ns nft add rule inet tnd_golden input ip saddr 10.0.0.2 tcp sport 7 ip length gt 1000 \
    quota until 2000 bytes drop
  { head -c 6000 /dev/zero | tr '\0' x; sleep 0.5; } | in_ns nc -N -w 3 10.0.0.2 7 >/dev/null
  sleep 0.3
  stop
}

record_http_keepalive() {
  setup tun tun0
  start http-keepalive tun tun0
  # Two requests on one connection (curl re-uses it across --next): 300 bytes of /big,
  # then /docs/ with `Connection: close`, a 404 since the golden serves no directory,
  # after which the server closes first (RFC 9112 §9.6).
  in_ns curl -sS -m 5 -o /dev/null 'http://10.0.0.2/big?size=300' \
    --next -sS -m 5 -o /dev/null -H 'Connection: close' 'http://10.0.0.2/docs/'
  sleep 0.3
  stop
}

record_ws_echo() {
  setup tun tun0
  start ws-echo tun tun0
  # The opening handshake on /echo, a text and a binary message echoed, the closing
  # handshake (1000) and the TCP close (RFC 6455 §7.1.1: the server closes first).
  in_ns python3 scripts/ws-echo.py client ws://10.0.0.2/echo >/dev/null
  sleep 0.3
  stop
}

for name in "${want[@]}"; do
  case "$name" in
    tun-ping) record_tun_ping ;;
    tap-arp-ping) record_tap_arp_ping ;;
    tcp-echo) record_tcp_echo ;;
    tcp-rst) record_tcp_rst ;;
    tcp-retransmit) record_tcp_retransmit ;;
    tcp-fast-retransmit) record_tcp_fast_retransmit ;;
    http-keepalive) record_http_keepalive ;;
    ws-echo) record_ws_echo ;;
    *) echo "record-golden.sh: unknown golden $name" >&2; exit 1 ;;
  esac
  printf '%s: %s frames, %s turns\n' "$name" \
    "$(tshark -r "testdata/pcap/$name.pcap" 2>/dev/null | wc -l)" \
    "$(($(wc -l <"testdata/pcap/$name.pcap.replay.json") - 1))"
done
