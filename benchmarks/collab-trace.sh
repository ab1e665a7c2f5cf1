#!/usr/bin/env bash
# The automerge-paper trace through the collaboration authority with durability on, beside a StringBuilder replay.
# Usage: benchmarks/collab-trace.sh [runs]      (not a test; never gates CI)
set -euo pipefail
cd "$(dirname "$0")/.."
./kiln -B -q -DskipTests install -pl benchmarks -am
exec ./kiln -B -q -pl benchmarks exec:java -Dexec.mainClass=dev.kiln.benchmarks.CollabTrace -Dexec.args="${1:-3}"
