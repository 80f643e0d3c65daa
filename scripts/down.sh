#!/usr/bin/env bash
# Remove whatever scripts/up.sh left behind: the stack it started, the `tundra`
# namespace, and tun0/tap0 in the host namespace (from --host). Safe to run anytime;
# touches nothing else (other tundra processes on the machine are left alone).
set -u
pidfile=/run/tundra-up.pid
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile")
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = tundra ]; then
    kill -INT "$pid" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
fi
# Anything still running inside the namespace goes with it.
for pid in $(ip netns pids tundra 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
ip netns del tundra 2>/dev/null
for dev in tun0 tap0; do
  # Only devices that are TUN/TAP (never a real NIC that happens to share the name).
  if [ -e "/sys/class/net/$dev/tun_flags" ]; then ip link del "$dev" 2>/dev/null; fi
done
exit 0
