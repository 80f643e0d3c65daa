#!/usr/bin/env bash
# Remove whatever scripts/up.sh left behind: the stack process, the `tundra`
# namespace, and tun0/tap0 in the host namespace (from --host). Safe to run anytime.
set -u
pkill -INT -x tundra 2>/dev/null && sleep 0.3
pkill -KILL -x tundra 2>/dev/null
ip netns del tundra 2>/dev/null
for dev in tun0 tap0; do
  # Only devices that are TUN/TAP (never a real NIC that happens to share the name).
  if [ -e "/sys/class/net/$dev/tun_flags" ]; then ip link del "$dev" 2>/dev/null; fi
done
exit 0
