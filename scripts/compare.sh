#!/usr/bin/env bash
# The same exchanges against the Linux kernel and against Tundra, captured and shown
# side by side as tshark dissects them (docs/wireshark.md).
#
#   sudo scripts/compare.sh                 # build, run, print, judge
#   sudo scripts/compare.sh --no-build      # use the tundra binary already built
#   OUT=/tmp/cmp sudo scripts/compare.sh    # keep the captures there
#
# Two worlds, each in namespaces this script creates and deletes (also on failure):
#   kernel: client 10.0.0.1 --veth-- server 10.0.0.2 (ping; socat echo on 7; python3
#           http.server on 80, then a Python websockets echo server on 80,
#           scripts/ws-echo.py serve)
#   tundra: client 10.0.0.1 --tun0-- Tundra 10.0.0.2 (ping; echo service on 7; HTTP
#           service on 80, whose /echo is the WebSocket echo)
# The client side runs the same commands in both: ping -c 3, a line through TCP echo
# (nc), curl GET /, and a WebSocket echo of a text and a binary message with the
# closing handshake (scripts/ws-echo.py client ws://10.0.0.2/echo). Each client link is
# captured with tcpdump.
#
# Then it prints, per world, tshark's summary lines (relative time, addresses, length,
# flags, relative seq/ack, window, options) side by side, a table of the differences
# that matter (TTL, DF, IP ID, SYN-ACK options and window, who closes, segment counts,
# the WebSocket handshake and frames),
# and tshark's expert-info counts. Exit status 1 if Tundra's capture has any expert
# error or more warnings than the kernel's, 0 otherwise.
#
# Network safety: every packet stays inside the namespaces created here.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
[ "${1:-}" = "--no-build" ] && build=0

if [ "$(id -u)" != 0 ]; then
  echo "compare.sh: needs root (network namespaces, TUN): sudo $0" >&2
  exit 1
fi
for tool in ip tshark tcpdump ping nc socat curl python3; do
  command -v "$tool" >/dev/null || { echo "compare.sh: missing $tool (see .ci/run)" >&2; exit 1; }
done
python3 -c 'import websockets.sync.client' 2>/dev/null \
  || { echo "compare.sh: missing Python websockets (pip install websockets==13.1, see .ci/run)" >&2; exit 1; }

target=${CARGO_TARGET_DIR:-target}
bin=${TUNDRA_BIN:-$target/release/tundra}
if [ $build = 1 ] && [ -z "${TUNDRA_BIN:-}" ]; then cargo build --release -p tundra; fi
[ -x "$bin" ] || { echo "compare.sh: no tundra binary at $bin" >&2; exit 1; }

out=${OUT:-$(mktemp -d /tmp/tundra-compare.XXXXXX)}
mkdir -p "$out"
kc="tnd-cmp-kc-$$" ks="tnd-cmp-ks-$$" tc="tnd-cmp-t-$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "$kc" "$ks" "$tc"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

# ns_up NS: a namespace with loopback up.
ns_up() { ip netns add "$1"; ip netns exec "$1" ip link set lo up; }

# link_up NS DEV ADDR: address, IPv6 off (no router solicitations in the captures), up.
link_up() {
  ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
  ip netns exec "$1" ip addr add "$3/24" dev "$2"
  ip netns exec "$1" ip link set "$2" up
}

# bg NS LOG CMD...: starts CMD in NS in the background (its pid is the command's own,
# since `ip netns exec` execs it).
bg() {
  local ns=$1 log=$2; shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 &
  pids+=($!)
}

wait_for() { # FILE TEXT: up to 10 s for TEXT to appear in FILE
  for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "compare.sh: timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; exit 1
}

capture() { # NS DEV PCAP
  # --immediate-mode: hand each packet to tcpdump at once, so none is still in the
  # kernel's buffer when tcpdump is stopped (seen under load: missing handshakes).
  bg "$1" "$3.log" tcpdump -i "$2" --immediate-mode -U -n -w "$3"
  wait_for "$3.log" "listening on"
}

# The client's side of the comparison, identical in both worlds.
exchanges() { # NS WORLD
  local ns=$1 world=$2
  # Failures are judged at the end (a comparison of half an exchange means little).
  ip netns exec "$ns" ping -c 3 -i 0.2 -W 1 10.0.0.2 >"$out/$world-ping.txt" || true
  printf 'hello, tundra\n' | ip netns exec "$ns" nc -N -w 3 10.0.0.2 7 \
    >"$out/$world-echo.txt" || true
  ip netns exec "$ns" curl -sS -m 5 -o "$out/$world-http.body" -w '%{http_code}\n' \
    http://10.0.0.2/ >"$out/$world-http.txt" || true
  sleep 0.5
}

# The WebSocket exchange, identical in both worlds (after `exchanges`: the kernel world
# first swaps its HTTP server on port 80 for the WebSocket one).
ws_exchange() { # NS WORLD
  ip netns exec "$1" python3 scripts/ws-echo.py client ws://10.0.0.2/echo \
    >"$out/$2-ws.txt" 2>"$out/$2-ws.err" || true
  sleep 0.5
}

stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

echo "== kernel: 10.0.0.1 -> 10.0.0.2 over a veth pair"
ns_up "$kc"; ns_up "$ks"
ip link add veth-c netns "$kc" type veth peer name veth-s netns "$ks"
link_up "$kc" veth-c 10.0.0.1
link_up "$ks" veth-s 10.0.0.2
mkdir -p "$out/www"
printf '<!doctype html><title>compare</title><p>hello from the kernel side\n' >"$out/www/index.html"
bg "$ks" "$out/kernel-echo.log" socat TCP-LISTEN:7,reuseaddr,fork EXEC:cat
bg "$ks" "$out/kernel-http.log" python3 -m http.server 80 --bind 10.0.0.2 --directory "$out/www"
http_pid=${pids[-1]}
for _ in $(seq 100); do ip netns exec "$ks" ss -ltn | grep -q ':80 ' && break; sleep 0.05; done
capture "$kc" veth-c "$out/kernel.pcap"
exchanges "$kc" kernel
kill -TERM "$http_pid"; wait "$http_pid" 2>/dev/null || true
bg "$ks" "$out/kernel-ws.log" python3 -u scripts/ws-echo.py serve 10.0.0.2 80
wait_for "$out/kernel-ws.log" "serving on"
ws_exchange "$kc" kernel
stop_all
ip netns del "$kc"; ip netns del "$ks"

echo "== tundra: 10.0.0.1 -> 10.0.0.2 over tun0"
ns_up "$tc"
ip netns exec "$tc" ip tuntap add dev tun0 mode tun
link_up "$tc" tun0 10.0.0.1
bg "$tc" "$out/tundra-run.log" "$bin" run --dev tun0 --mode tun --addr 10.0.0.2/24 --seed 1 \
  --pcap "$out/tundra-stack.pcap"
wait_for "$out/tundra-run.log" "tundra up on"
# Tundra's side is judged on the stack's own capture: every frame it read from and
# wrote to tun0, recorded by the pcap tap (a tcpdump on tun0 under load once missed
# two segments, which tshark then reported as "ACKed unseen segment" against us).
capture "$tc" tun0 "$out/tundra-tcpdump.pcap"
exchanges "$tc" tundra
ws_exchange "$tc" tundra
stop_all
ip netns del "$tc"
cp "$out/tundra-stack.pcap" "$out/tundra.pcap"

# --- side by side ---

# summary PCAP: one line per IP packet, as tshark's columns show it.
summary() {
  tshark -n -r "$1" -Y ip \
    -o tcp.relative_sequence_numbers:TRUE \
    -o 'gui.column.format:"T","%Rt","Src","%s","Dst","%d","Proto","%p","Len","%L","Info","%i"' \
    2>/dev/null | tr -s '\t ' ' ' | sed -e 's/^ //' | cut -c1-98
}
summary "$out/kernel.pcap" >"$out/kernel.txt"
summary "$out/tundra.pcap" >"$out/tundra.txt"
echo
printf '%-100s %s\n' "KERNEL (10.0.0.2 is Linux)" "TUNDRA (10.0.0.2 is Tundra)"
printf '%-100s %s\n' "--------------------------" "---------------------------"
pr -m -t -w 200 "$out/kernel.txt" "$out/tundra.txt" | expand

# field PCAP FILTER FIELD: the first value of FIELD in packets matching FILTER.
field() {
  tshark -n -r "$1" -Y "$2" -T fields -e "$3" -o tcp.relative_sequence_numbers:TRUE \
    2>/dev/null | head -1
}
count() { tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l; }

row() { # LABEL FILTER FIELD
  printf '%-38s %-28s %s\n' "$1" "$(field "$out/kernel.pcap" "$2" "$3")" \
    "$(field "$out/tundra.pcap" "$2" "$3")"
}
crow() { # LABEL FILTER
  printf '%-38s %-28s %s\n' "$1" "$(count "$out/kernel.pcap" "$2")" \
    "$(count "$out/tundra.pcap" "$2")"
}
echo
printf '%-38s %-28s %s\n' "what (10.0.0.2's side)" "kernel" "tundra"
printf '%-38s %-28s %s\n' "----" "------" "------"
crow "IP packets" "ip"
crow "ARP frames (veth only)" "arp"
row "echo reply TTL" "icmp.type == 0" ip.ttl
row "echo reply DF" "icmp.type == 0" ip.flags.df
row "echo reply IP ID" "icmp.type == 0" ip.id
row "SYN-ACK window" "tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 7" tcp.window_size_value
row "SYN-ACK MSS" "tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 7" tcp.options.mss_val
row "SYN-ACK window scale" "tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 7" tcp.options.wscale.shift
row "SYN-ACK option kinds, in order" "tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 7" tcp.option_kind
row "SYN-ACK timestamps" "tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 7" tcp.options.timestamp.tsval
row "SYN-ACK TTL" "tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 7" ip.ttl
crow "echo: segments from 10.0.0.2" "tcp.srcport == 7"
crow "echo: FIN from 10.0.0.2" "tcp.srcport == 7 && tcp.flags.fin == 1"
crow "echo: RST" "tcp.port == 7 && tcp.flags.reset == 1"
# Port 80 carries two connections: curl's GET / and the WebSocket; each row is about
# the one whose request was for URI.
stream() { field "$1" "http.request.uri == \"$2\"" tcp.stream; }
srow() { # LABEL URI FILTER FIELD: FIELD's values in that connection, comma-separated
  local k t
  k=$(tshark -n -r "$out/kernel.pcap" -Y "tcp.stream == $(stream "$out/kernel.pcap" "$2") && ($3)" \
    -T fields -e "$4" 2>/dev/null | paste -sd, -)
  t=$(tshark -n -r "$out/tundra.pcap" -Y "tcp.stream == $(stream "$out/tundra.pcap" "$2") && ($3)" \
    -T fields -e "$4" 2>/dev/null | paste -sd, -)
  printf '%-38s %-28s %s\n' "$1" "${k:0:27}" "${t:0:40}"
}
scrow() { # LABEL URI FILTER: how many packets of that connection match FILTER
  printf '%-38s %-28s %s\n' "$1" \
    "$(count "$out/kernel.pcap" "tcp.stream == $(stream "$out/kernel.pcap" "$2") && ($3)")" \
    "$(count "$out/tundra.pcap" "tcp.stream == $(stream "$out/tundra.pcap" "$2") && ($3)")"
}
scrow "http: segments from 10.0.0.2" / "tcp.srcport == 80"
srow "http: status" / "http.response" http.response.code
srow "http: Server" / "http.response" http.server
srow "http: FINs from (in order)" / "tcp.flags.fin == 1" ip.src
scrow "ws: segments from 10.0.0.2" /echo "tcp.srcport == 80"
srow "ws: handshake status" /echo "http.response" http.response.code
srow "ws: Server" /echo "http.response" http.server
srow "ws: opcodes from 10.0.0.2" /echo "websocket && tcp.srcport == 80" websocket.opcode
srow "ws: opcodes from 10.0.0.1" /echo "websocket && tcp.dstport == 80" websocket.opcode
srow "ws: masked, frame by frame" /echo "websocket" websocket.mask
srow "ws: close code from 10.0.0.2" /echo "websocket.opcode == 8 && tcp.srcport == 80" \
  websocket.payload.close.status_code
srow "ws: FINs from (in order)" /echo "tcp.flags.fin == 1" ip.src
crow "retransmissions (any)" "tcp.analysis.retransmission"
printf '%-38s %-28s %s\n' "ping replies / echo / curl status" \
  "$(grep -c 'bytes from' "$out/kernel-ping.txt") / $(tr -d '\n' <"$out/kernel-echo.txt") / $(cat "$out/kernel-http.txt")" \
  "$(grep -c 'bytes from' "$out/tundra-ping.txt") / $(tr -d '\n' <"$out/tundra-echo.txt") / $(cat "$out/tundra-http.txt")"
wsr() { sed -e 's/^text=hello, tundra binary=\(.*\) close=\(.*\)$/ok \/ \1 \/ \2/' "$out/$1-ws.txt"; }
printf '%-38s %-28s %s\n' "ws client: text / binary / close" "$(wsr kernel)" "$(wsr tundra)"

# --- expert info ---

severity() { count "$1" "_ws.expert.severity == $2"; }
echo
printf '%-38s %-28s %s\n' "tshark expert info (frames)" "kernel" "tundra"
for s in error warning note chat; do
  printf '%-38s %-28s %s\n' "$s" "$(severity "$out/kernel.pcap" $s)" "$(severity "$out/tundra.pcap" $s)"
done
k_warn=$(severity "$out/kernel.pcap" warning)
t_warn=$(severity "$out/tundra.pcap" warning)
t_err=$(severity "$out/tundra.pcap" error)
echo
echo "captures: $out/kernel.pcap $out/tundra.pcap (open them in Wireshark side by side)"
for world in kernel tundra; do
  if [ "$(grep -c 'bytes from' "$out/$world-ping.txt")" != 3 ] \
    || [ "$(cat "$out/$world-echo.txt")" != "hello, tundra" ] \
    || [ "$(cat "$out/$world-http.txt")" != 200 ] \
    || [ "$(cat "$out/$world-ws.txt")" != "text=hello, tundra binary=ok close=1000" ]; then
    cat "$out/$world-ws.err" >&2
    echo "compare.sh: FAIL: the $world side did not complete every exchange" >&2
    exit 1
  fi
done
if [ "$t_err" -gt 0 ] || [ "$t_warn" -gt "$k_warn" ]; then
  echo "compare.sh: FAIL: tundra has $t_err expert errors and $t_warn warnings (kernel: $k_warn)" >&2
  tshark -n -r "$out/tundra.pcap" -q -z expert 2>/dev/null >&2 || true
  exit 1
fi
echo "compare.sh: OK: tundra has no expert errors and $t_warn warnings (kernel: $k_warn)"
