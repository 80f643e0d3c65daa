# Shared by scripts/bench.sh and scripts/bench-paired.sh (sourced, not run).

# tun_ns NS: creates namespace NS with lo up and tun0 at 10.0.0.1/24 (IPv6 off), for a
# stack on that TUN device at 10.0.0.2.
tun_ns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
  ip netns exec "$1" ip tuntap add dev tun0 mode tun
  ip netns exec "$1" sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1
  ip -n "$1" addr add 10.0.0.1/24 dev tun0
  ip -n "$1" link set tun0 up
}

# drop_ns NS...: ends everything still running in each namespace (started by the
# script that made it) and deletes it; quiet about namespaces that do not exist.
drop_ns() {
  local ns pid
  for ns in "$@"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

# tundra_server NS [EXTRA...] and smoltcp_server NS: the two servers as the benchmarks
# run them on NS's tun0, at 10.0.0.2. They `exec`, so start them with `&` and `$!` is
# the server itself. Tundra's discard skips its SHA-256, like smoltcp-server's
# (docs/performance.md). Uses $tundra_bin and $smoltcp_bin.
tundra_server() {
  local ns=$1
  shift
  exec ip netns exec "$ns" env RUST_LOG=warn "$tundra_bin" run --dev tun0 --mode tun \
    --addr 10.0.0.2/24 --gateway 10.0.0.1 --no-discard-hash "$@"
}
smoltcp_server() {
  exec ip netns exec "$1" "$smoltcp_bin" --dev tun0 --addr 10.0.0.2/24 --gateway 10.0.0.1
}
