#!/usr/bin/env bash
# Benchmarks side by side (issue 8): the same workloads against
#   (a) Tundra (`tundra run`) on a TUN device,
#   (b) smoltcp 0.14 (`smoltcp-server`, crates/tundra-bench) on a TUN device,
#   (c) the Linux kernel (`kernel-server`) over a veth pair: the ceiling,
# each in network namespaces this script creates and always deletes. Runs are
# interleaved (A B C A B C ...), medians and min-max are printed in one table with the
# ratios Tundra/smoltcp and Tundra/kernel, and written as JSON to target/bench/.
#
#   sudo scripts/bench.sh              # 5 runs of everything (about 25 minutes)
#   sudo scripts/bench.sh --runs 9     # more runs
#   sudo scripts/bench.sh --quick      # 1 run, small sizes: a smoke test (about a minute)
#   sudo scripts/bench.sh --no-build   # use the binaries already built
#   sudo scripts/bench.sh --only ping,http --runs 3   # just some workloads (inner loop)
#
# Options: --runs N, --bulk BYTES (bulk size, default 256 MiB), --loss-bulk BYTES (under
# 5% loss, default 4 MiB), --http-secs S (wrk duration, default 10), --conn-secs S
# (connect+close loop, default 3), --ping-count N (default 200), --mtus "1500 9000"
# (default "1500 9000 65535"), --out DIR, --only LIST (comma-separated, of ping, bulk,
# http, connrate, loss; default all; bulk also covers the other MTUs).
# Binaries: $TUNDRA_BIN, $SMOLTCP_BIN, $KERNEL_BIN (default: $CARGO_TARGET_DIR or
# target/, release).
#
# Workloads: ping RTT (ping -i 0.002, in interleaved blocks of 50, --ping-count in all;
# once as the scheduler places things, once with server and ping pinned to CPU 0);
# bulk upload to discard (9) and download from chargen (19, "N\n"); HTTP requests/s
# (wrk -t1 -c10 and -c100); connect+close per second; CPU cost (bytes per CPU-second
# of the stack process from /proc/PID/stat); bulk at MTU 1500, 9000, 65535; bulk with
# 5% random loss each way (nftables numgen).
# The load average is recorded next to every measurement: on a busy machine the
# numbers are noise, and the JSON says so. Speed is measured here, never asserted.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
runs=5
bulk=$((256 << 20))
loss_bulk=$((4 << 20))
http_secs=10
conn_secs=3
ping_count=200
mtus="1500 9000 65535"
build=1
quick=0
out="$here/target/bench"
only="ping,bulk,http,connrate,loss"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; runs=1; bulk=$((4 << 20)); loss_bulk=$((128 << 10)); http_secs=1; conn_secs=0.3; ping_count=20 ;;
    --runs) runs=$2; shift ;;
    --bulk) bulk=$2; shift ;;
    --loss-bulk) loss_bulk=$2; shift ;;
    --http-secs) http_secs=$2; shift ;;
    --conn-secs) conn_secs=$2; shift ;;
    --ping-count) ping_count=$2; shift ;;
    --mtus) mtus=$2; shift ;;
    --out) out=$2; shift ;;
    --only) only=$2; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

for w in ${only//,/ }; do
  case $w in
    ping|bulk|http|connrate|loss) ;;
    *) echo "bench.sh: unknown workload $w in --only (ping, bulk, http, connrate, loss)" >&2; exit 2 ;;
  esac
done
# `wants WORKLOAD`: true if --only includes it.
wants() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
if ! wants bulk; then mtus=1500; fi

if [ "$(id -u)" != 0 ]; then
  echo "bench.sh: needs root for namespaces, TUN devices and nftables: sudo $0" >&2
  exit 1
fi
for tool in ip ping wrk nft python3; do
  command -v "$tool" >/dev/null || { echo "bench.sh: missing $tool (see .ci/run for the packages)" >&2; exit 1; }
done

target_dir=${CARGO_TARGET_DIR:-$here/target}
if [ "$build" = 1 ]; then
  (cd "$here" && cargo build --release --quiet -p tundra -p tundra-bench --bins)
fi
tundra_bin=${TUNDRA_BIN:-$target_dir/release/tundra}
smoltcp_bin=${SMOLTCP_BIN:-$target_dir/release/smoltcp-server}
kernel_bin=${KERNEL_BIN:-$target_dir/release/kernel-server}
for b in "$tundra_bin" "$smoltcp_bin" "$kernel_bin"; do
  [ -x "$b" ] || { echo "bench.sh: $b not built (drop --no-build)" >&2; exit 1; }
done
tool="$here/scripts/bench_tool.py"
# shellcheck source=scripts/bench-common.sh
. "$here/scripts/bench-common.sh"

mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$out/raw-$stamp.jsonl"
json="$out/bench-$stamp.json"
logs="$out/logs-$stamp"
mkdir -p "$logs"

id=$$
ns_tundra=tb-tundra-$id
ns_smoltcp=tb-smoltcp-$id
ns_kc=tb-kclient-$id
ns_ks=tb-kserver-$id
# Loss clients: the TUN namespace routes between them and the stack (see loss_on).
ns_lt=tb-losst-$id
ns_ls=tb-losss-$id
loss_mode=0
server_pid=""
# Extra options for `tundra run` (the loss runs turn segmentation offload off).
tundra_extra=""

cleanup() {
  trap - EXIT INT TERM
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  drop_ns "$ns_tundra" "$ns_smoltcp" "$ns_kc" "$ns_ks" "$ns_lt" "$ns_ls"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the namespaces ----------------------------------------------------------------
for ns in "$ns_tundra" "$ns_smoltcp"; do
  tun_ns "$ns"
  # connect+close leaves many client sockets in TIME-WAIT: give them room.
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
done
# Loss is emulated where the sender cannot see it. A drop in the sending host's own
# output path is reported back to its TCP (ip_local_out fails), which then simply
# sends again: not a loss at all. So the kernel -> stack direction has to cross a hop:
# for the TUN stacks a client namespace sends through a veth pair, the TUN namespace
# forwards, and its forward chain drops 5% both ways (see loss_on).
for pair in "$ns_tundra:$ns_lt" "$ns_smoltcp:$ns_ls"; do
  router=${pair%%:*} client=${pair##*:}
  ip netns add "$client"
  ip -n "$client" link set lo up
  ip link add lc0 netns "$client" type veth peer name lr0 netns "$router"
  ip -n "$client" addr add 10.0.2.1/24 dev lc0
  ip -n "$router" addr add 10.0.2.2/24 dev lr0
  ip -n "$client" link set lc0 up
  ip -n "$router" link set lr0 up
  ip -n "$client" route add 10.0.0.0/24 via 10.0.2.2
  ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1
  # One segment per packet, so 5% of packets is 5% of segments (no TSO bursts).
  ip -n "$client" link set lc0 gso_max_segs 1
done
ip netns add "$ns_kc"
ip netns add "$ns_ks"
ip -n "$ns_kc" link set lo up
ip -n "$ns_ks" link set lo up
ip link add veth0 netns "$ns_kc" type veth peer name veth1 netns "$ns_ks"
ip -n "$ns_kc" addr add 10.0.1.1/24 dev veth0
ip -n "$ns_ks" addr add 10.0.1.2/24 dev veth1
ip -n "$ns_kc" link set veth0 up
ip -n "$ns_ks" link set veth1 up
ip netns exec "$ns_kc" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"

client_ns() {
  case $1 in
    tundra) if [ "$loss_mode" = 1 ]; then echo "$ns_lt"; else echo "$ns_tundra"; fi ;;
    smoltcp) if [ "$loss_mode" = 1 ]; then echo "$ns_ls"; else echo "$ns_smoltcp"; fi ;;
    kernel) echo "$ns_kc" ;;
  esac
}
server_addr() { case $1 in kernel) echo 10.0.1.2 ;; *) echo 10.0.0.2 ;; esac; }

# `start TARGET MTU`: sets the link MTU, starts the server, waits until port 9 accepts.
start() {
  local target=$1 mtu=$2 log="$logs/$1-$2-$(date +%s%N).log"
  case $target in
    tundra)
      ip -n "$ns_tundra" link set tun0 mtu "$mtu"
      # shellcheck disable=SC2086 # $tundra_extra is a list of options
      tundra_server "$ns_tundra" $tundra_extra >"$log" 2>&1 &
      ;;
    smoltcp)
      ip -n "$ns_smoltcp" link set tun0 mtu "$mtu"
      smoltcp_server "$ns_smoltcp" >"$log" 2>&1 &
      ;;
    kernel)
      ip -n "$ns_kc" link set veth0 mtu "$mtu"
      ip -n "$ns_ks" link set veth1 mtu "$mtu"
      ip netns exec "$ns_ks" "$kernel_bin" --addr 10.0.1.2 >"$log" 2>&1 &
      ;;
  esac
  server_pid=$!
  local ns addr
  ns=$(client_ns "$target")
  addr=$(server_addr "$target")
  for _ in $(seq 1 100); do
    if ip netns exec "$ns" python3 -c "import socket; socket.create_connection(('$addr', 9), 0.5).close()" 2>/dev/null; then
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench.sh: $target did not come up; its log:" >&2
  cat "$log" >&2
  exit 1
}

stop() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# `measure ROW TARGET RUN MTU KEY SCALE -- CMD...`: runs CMD in the target's client
# namespace and records the value under KEY (times SCALE) of the JSON it prints.
measure() {
  local row=$1 target=$2 run=$3 mtu=$4 key=$5 scale=$6
  shift 7
  local m
  m=$(ip netns exec "$(client_ns "$target")" "$@" 2>&1) || true
  python3 "$tool" record "$raw" "$row" "$target" "$run" "$mtu" "$m" "$key" "$scale"
}

# `bulk TARGET RUN MTU SUFFIX SIZE`: upload and download; CPU cost rows at MTU 1500.
bulk() {
  local target=$1 run=$2 mtu=$3 suffix=$4 size=$5 addr m
  addr=$(server_addr "$target")
  for dir in upload download; do
    local port=9
    [ "$dir" = download ] && port=19
    m=$(ip netns exec "$(client_ns "$target")" python3 "$tool" "$dir" "$addr" "$port" "$size" \
      --pid "$server_pid" --timeout 120 2>&1) || true
    python3 "$tool" record "$raw" "$dir$suffix" "$target" "$run" "$mtu" "$m" MBps 1
    if [ "$suffix" = "@1500" ] && [ "$target" = kernel ]; then
      # The kernel's TCP runs in softirq and in the client's own system calls, not in
      # the server process: its CPU time is not comparable, so it is not reported.
      python3 "$tool" record "$raw" "cpu_$dir" "$target" "$run" "$mtu" "" bytes_per_cpu_s 1e-6 \
        "skipped: the kernel's stack runs in softirq and in the client, not in one process"
    elif [ "$suffix" = "@1500" ]; then
      python3 "$tool" record "$raw" "cpu_$dir" "$target" "$run" "$mtu" "$m" bytes_per_cpu_s 1e-6
    fi
  done
}

# The HTTP path: the smoltcp and kernel servers answer any GET with the fixed 13-byte
# body "Hello, world!"; Tundra's web site answers the same at /hello (through its real
# server: parser, router, Date, Server). Until the third session this was
# /big?size=13, 13 bytes of the chargen pattern as a streamed body.
http_path() { case $1 in tundra) echo "/hello" ;; *) echo "/" ;; esac; }

tundra_has_http() {
  ip netns exec "$ns_tundra" python3 - <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("10.0.0.2", 80), 1)
s.settimeout(1)
s.sendall(b"GET /hello HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n")
data = b""
while b"\r\n\r\n" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.exit(0 if data.startswith(b"HTTP/1.1 200") else 1)
PY
}

http() {
  local target=$1 run=$2 addr m log
  addr=$(server_addr "$target")
  for c in 10 100; do
    if [ "$target" = tundra ] && [ "$tundra_http" = 0 ]; then
      python3 "$tool" record "$raw" "http_c$c" "$target" "$run" 1500 "" rps 1 \
        "skipped: this Tundra build serves no HTTP on port 80"
      continue
    fi
    log="$logs/wrk-$target-c$c-$run.txt"
    ip netns exec "$(client_ns "$target")" wrk -t1 -c"$c" -d"${http_secs}s" --timeout 2s \
      "http://$addr$(http_path "$target")" >"$log" 2>&1 || true
    m=$(python3 "$tool" wrk "$log" 2>&1) || true
    python3 "$tool" record "$raw" "http_c$c" "$target" "$run" 1500 "$m" rps 1
  done
}

# Ping RTT is mostly wake-up latency, and on a virtual machine that drifts by a factor
# of three within seconds. So the three targets are pinged turn about in blocks of 50
# (A B C, B C A, C A B, ... within a run), with Tundra and smoltcp up at the same time
# (an idle server sleeps in its poll), and each target's median is over all its blocks.
#
# Where the scheduler wakes the server decides most of it: woken on the CPU ping just
# left, the echo costs two context switches; woken on the other (idle, halted) vCPU, it
# costs an inter-processor interrupt, tens of microseconds on a VM, whichever stack it
# is. The first row leaves that to the scheduler, as a user would; the second pins the
# server and ping to CPU 0 for all three targets (the kernel's echo runs in ping's own
# system call there anyway), so what is left is each stack's own path.
ping_rtt() {
  local run=$1 row=$2 target pids="" m block blocks=$(( (ping_count + 49) / 50 ))
  local pin=()
  [ "$row" = ping_cpu0 ] && pin=(taskset -c 0)
  for target in tundra smoltcp; do
    start "$target" 1500
    [ "$row" = ping_cpu0 ] && taskset -a -p -c 0 "$server_pid" >/dev/null
    pids="$pids $server_pid"
    server_pid=""
  done
  for target in tundra smoltcp kernel; do : >"$logs/$row-$target-$run.txt"; done
  local order=(tundra smoltcp kernel) k
  for block in $(seq 1 "$blocks"); do
    # Each block starts with the next target, so none is always first after a pause.
    k=$(( (block - 1) % 3 ))
    for target in "${order[@]:k}" "${order[@]:0:k}"; do
      ip netns exec "$(client_ns "$target")" "${pin[@]}" ping -c 50 -i 0.002 -W 1 \
        "$(server_addr "$target")" >>"$logs/$row-$target-$run.txt" 2>&1 || true
    done
  done
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  for target in tundra smoltcp kernel; do
    m=$(python3 "$tool" ping "$logs/$row-$target-$run.txt" 2>&1) || true
    python3 "$tool" record "$raw" "$row" "$target" "$run" 1500 "$m" median_us 1
  done
}

# 5% random loss in both directions, dropped where the sender cannot know:
# - Tundra, smoltcp: in the forward chain of the TUN namespace, which routes between
#   the loss client (10.0.2.1, over a veth pair) and the stack (10.0.0.2, over tun0);
# - kernel: on ingress (prerouting) at both ends of the veth pair.
# Each segment is one packet (gso_max_segs 1), so 5% of packets is 5% of segments.
loss_on() {
  local target=$1
  case $target in
    tundra|smoltcp)
      local router=$ns_tundra
      [ "$target" = smoltcp ] && router=$ns_smoltcp
      ip netns exec "$router" nft -f - <<NFT
table inet benchloss {
  chain lossfwd { type filter hook forward priority 0; numgen random mod 100 < 5 drop; }
}
NFT
      ;;
    kernel)
      for side in "$ns_kc:veth0" "$ns_ks:veth1"; do
        ip -n "${side%%:*}" link set "${side##*:}" gso_max_segs 1
        ip netns exec "${side%%:*}" nft -f - <<NFT
table inet benchloss {
  chain lossin { type filter hook prerouting priority 0; iifname "${side##*:}" numgen random mod 100 < 5 drop; }
}
NFT
      done
      ;;
  esac
  loss_mode=1
}
loss_off() {
  local target=$1
  loss_mode=0
  for ns in "$ns_tundra" "$ns_smoltcp" "$ns_kc" "$ns_ks"; do
    ip netns exec "$ns" nft delete table inet benchloss 2>/dev/null || true
  done
  if [ "$target" = kernel ]; then
    ip -n "$ns_kc" link set veth0 gso_max_segs 65535
    ip -n "$ns_ks" link set veth1 gso_max_segs 65535
  fi
}

# --- the meta record -----------------------------------------------------------------
python3 - "$raw" <<PY
import json, subprocess, sys
def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    except OSError:
        return None
lscpu = sh("lscpu") or ""
model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), None)
meta = {"meta": True, "started": "$stamp", "runs": $runs, "quick": bool($quick),
        "bulk_bytes": $bulk, "loss_bulk_bytes": $loss_bulk, "http_secs": float("$http_secs"),
        "conn_secs": float("$conn_secs"), "ping_count": $ping_count, "mtus": "$mtus".split(),
        "only": "$only".split(","),
        "cpu": model, "nproc": int(sh("nproc") or 0), "kernel": sh("uname", "-r"),
        "git": sh("git", "-C", "$here", "rev-parse", "--short", "HEAD"),
        "binaries": ["$tundra_bin", "$smoltcp_bin", "$kernel_bin"],
        "load_at_start": open("/proc/loadavg").read().split()[:3]}
open(sys.argv[1], "w").write(json.dumps(meta) + "\n")
PY

echo "bench.sh: $runs run(s), bulk $bulk B, loss bulk $loss_bulk B, wrk ${http_secs}s; raw records: $raw"
export BENCH_T0=$(date +%s.%N)
tundra_http=1
for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs"
  if wants ping; then ping_rtt "$run" ping; ping_rtt "$run" ping_cpu0; fi
  for mtu in $mtus; do
    for target in tundra smoltcp kernel; do
      start "$target" "$mtu"
      if [ "$mtu" = 1500 ]; then
        if [ "$target" = tundra ] && [ "$run" = 1 ]; then
          tundra_has_http || tundra_http=0
        fi
        if wants bulk; then bulk "$target" "$run" "$mtu" "@$mtu" "$bulk"; fi
        if wants http; then http "$target" "$run"; fi
        if wants connrate; then
          measure connrate "$target" "$run" "$mtu" per_s 1 -- \
            python3 "$tool" connrate "$(server_addr "$target")" 9 "$conn_secs"
        fi
      else
        bulk "$target" "$run" "$mtu" "@$mtu" "$bulk"
      fi
      stop
    done
  done
  for target in tundra smoltcp kernel; do
    wants loss || break
    # One segment per packet here too: a GSO write of up to 64 KiB would be one
    # packet for the 5% drop in the forward chain, a burst of segments lost at once.
    tundra_extra="--no-offload"
    start "$target" 1500
    tundra_extra=""
    loss_on "$target"
    bulk "$target" "$run" 1500 _loss5 "$loss_bulk"
    loss_off "$target"
    stop
  done
done

echo
python3 "$tool" report "$raw" "$json"
cp "$json" "$out/latest.json"
