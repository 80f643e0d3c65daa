#!/usr/bin/env bash
# HTTP requests/s of Tundra and smoltcp-server, paired (issue 8): both servers up at
# once, each on its own TUN device in a namespace this script creates and always
# deletes, and `wrk -t1` alternating between them in short bursts (T S, S T, T S, ...).
# On a VM whose speed drifts by 10-15% from one minute to the next, scripts/bench.sh's
# interleaved runs a minute apart cannot resolve a 5% difference; back-to-back pairs
# can: what matters is the median of the per-pair ratios and its 95% bootstrap interval.
#
#   sudo scripts/bench-paired.sh                       # 30 pairs of 2 s, -c10 and -c100
#   sudo scripts/bench-paired.sh --pairs 60 --conns 100
#   sudo scripts/bench-paired.sh --no-build --pairs 1 --secs 1   # a smoke test
#
# Options: --pairs N (default 30), --secs S (each burst, default 2), --conns "10 100"
# (wrk -c values), --path /hello (what wrk asks for), --out DIR, --no-build.
# Binaries: $TUNDRA_BIN, $SMOLTCP_BIN (default: $CARGO_TARGET_DIR or target/, release).
# An idle server sleeps in poll, so the one not being measured costs nothing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
pairs=30
secs=2
conns="10 100"
path=/hello
build=1
out="$here/target/bench"
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=$2; shift ;;
    --secs) secs=$2; shift ;;
    --conns) conns=$2; shift ;;
    --path) path=$2; shift ;;
    --out) out=$2; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "bench-paired.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$(id -u)" != 0 ]; then
  echo "bench-paired.sh: needs root for namespaces and TUN devices: sudo $0" >&2
  exit 1
fi
for tool in ip wrk python3; do
  command -v "$tool" >/dev/null || { echo "bench-paired.sh: missing $tool (see .ci/run for the packages)" >&2; exit 1; }
done
target_dir=${CARGO_TARGET_DIR:-$here/target}
if [ "$build" = 1 ]; then
  (cd "$here" && cargo build --release --quiet -p tundra -p tundra-bench --bins)
fi
tundra_bin=${TUNDRA_BIN:-$target_dir/release/tundra}
smoltcp_bin=${SMOLTCP_BIN:-$target_dir/release/smoltcp-server}
for b in "$tundra_bin" "$smoltcp_bin"; do
  [ -x "$b" ] || { echo "bench-paired.sh: $b not built (drop --no-build)" >&2; exit 1; }
done

# shellcheck source=scripts/bench-common.sh
. "$here/scripts/bench-common.sh"

mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$out/paired-raw-$stamp.jsonl"
json="$out/paired-$stamp.json"

id=$$
declare -A ns=([tundra]=bp-tundra-$id [smoltcp]=bp-smoltcp-$id)
cleanup() {
  trap - EXIT INT TERM
  drop_ns "${ns[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for t in tundra smoltcp; do
  tun_ns "${ns[$t]}"
done
# The same servers and flags as scripts/bench.sh.
tundra_server "${ns[tundra]}" >"$out/paired-tundra-$stamp.log" 2>&1 &
smoltcp_server "${ns[smoltcp]}" >"$out/paired-smoltcp-$stamp.log" 2>&1 &
disown -a # cleanup ends them; no "Killed" lines from the shell

# Both answer before anything is measured (and each is warmed up once per -c).
for t in tundra smoltcp; do
  for _ in $(seq 1 50); do
    ip netns exec "${ns[$t]}" wrk -t1 -c1 -d1s "http://10.0.0.2:80$path" >/dev/null 2>&1 && break
    sleep 0.1
  done
done

echo "{\"meta\": true, \"pairs\": $pairs, \"secs\": $secs, \"path\": \"$path\", \"stamp\": \"$stamp\"}" >"$raw"
burst() { # burst TARGET CONNS SECS -> "rps errors"
  local text
  text=$(ip netns exec "${ns[$1]}" wrk -t1 -c"$2" -d"$3"s "http://10.0.0.2:80$path" 2>&1 || true)
  python3 "$here/scripts/bench_tool.py" wrk <(printf '%s\n' "$text") |
    python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["rps"], m["errors"])'
}
for c in $conns; do
  burst tundra "$c" 1 >/dev/null
  burst smoltcp "$c" 1 >/dev/null
  for i in $(seq 1 "$pairs"); do
    # Alternate who goes first, so neither always follows the other.
    if [ $((i % 2)) = 1 ]; then order="tundra smoltcp"; else order="smoltcp tundra"; fi
    declare -A rps=() errs=()
    for t in $order; do
      read -r r e < <(burst "$t" "$c" "$secs")
      rps[$t]=$r
      errs[$t]=$e
    done
    echo "{\"conns\": $c, \"pair\": $i, \"tundra\": ${rps[tundra]}, \"smoltcp\": ${rps[smoltcp]}, \"errors\": $((errs[tundra] + errs[smoltcp]))}" >>"$raw"
    printf '  -c%-4s pair %3d: Tundra %8.0f  smoltcp %8.0f  ratio %.3f\n' "$c" "$i" \
      "${rps[tundra]}" "${rps[smoltcp]}" "$(python3 -c "print(${rps[tundra]} / ${rps[smoltcp]})")"
  done
done
python3 "$here/scripts/bench_tool.py" paired "$raw" "$json"
