#!/usr/bin/env bash
# The one test command: unit, packet-script, property, differential and end-to-end
# tests (the last need root: network namespaces and TUN/TAP devices).
#
#   sudo scripts/test.sh            # everything, as CI runs it
#   sudo scripts/test.sh -p tundra  # extra args go to `cargo test`
#
# Quick inner loops don't need this script: `cargo test -p tundra-tcp` etc.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "test.sh: the end-to-end tests need root (namespaces, TUN devices): sudo $0" >&2
  exit 1
fi
for tool in ip ping tshark tcpdump setpriv unshare; do
  command -v "$tool" >/dev/null || { echo "test.sh: missing $tool (see .ci/run for the packages)" >&2; exit 1; }
done

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# Optimized: the end-to-end tests move real traffic through the stack. The
# `test-release` profile is `release` without LTO (Cargo.toml), so the 80 test
# binaries link in seconds.
cargo test --workspace --profile test-release --no-fail-fast "$@"
