#!/usr/bin/env bash
# Starts a local Kafka-protocol broker for development: tansu 0.6.0 with sqlite storage under
# .run/kafka (kept across runs), listening on $1 (default 127.0.0.1:9092). Installs tansu
# first when missing (~10 min, once). Prints the broker's PID once it accepts connections;
# does nothing (prints nothing) when something already listens there.
set -euo pipefail
cd "$(dirname "$0")/.."
address=${1:-127.0.0.1:9092}
host=${address%:*}
port=${address##*:}
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  exit 0
fi
tansu=$(scripts/tansu.sh)
mkdir -p .run/kafka
cd .run/kafka
"$tansu" broker --listener-url "tcp://$address" --advertised-listener-url "tcp://$address" \
  --storage-engine sqlite://tansu.db >tansu.log 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    echo "$pid"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { echo "tansu exited; see .run/kafka/tansu.log" >&2; exit 1; }
  sleep 0.1
done
kill "$pid" 2>/dev/null || true
echo "tansu did not start on $address" >&2
exit 1
