#!/usr/bin/env bash
# 20 WebSocket clients editing one document of a real Kiln server on loopback: p50/p99 latency to peers and to a
# durable acknowledgement, beside a ping/pong floor. Usage: benchmarks/collab-latency.sh [clients] [pushes]
set -euo pipefail
cd "$(dirname "$0")/.."
./kiln -B -q -DskipTests install
exec ./kiln -B -q -pl benchmarks exec:java -Dexec.mainClass=dev.kiln.benchmarks.CollabLatency \
  -Dexec.args="$PWD/studio-server/target/kiln.jar ${1:-20} ${2:-2000}"
