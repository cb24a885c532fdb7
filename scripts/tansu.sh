#!/usr/bin/env bash
# Prints the path of a tansu binary (an Apache Kafka-compatible broker with sqlite storage),
# installing tansu 0.6.0 from crates.io first when the machine has none (~10 min on 2 cores).
# Tests start their own brokers with it; development and CI only.
set -euo pipefail
VERSION=0.6.0

usable() { [ -x "$1" ] && "$1" --help 2>/dev/null | grep -q 'libsql'; }

for candidate in "${TANSU_BIN:-}" "$(command -v tansu || true)" "$HOME/.cargo/bin/tansu"; do
  if [ -n "$candidate" ] && usable "$candidate"; then echo "$candidate"; exit 0; fi
done

echo "installing tansu $VERSION (sqlite storage)" >&2
# Without these features tansu has no storage engine and will not start.
cargo install tansu --version "=$VERSION" --locked --features libsql,dynostore >&2
echo "$HOME/.cargo/bin/tansu"
