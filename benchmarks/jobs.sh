#!/usr/bin/env bash
# Jobs and live metrics on the packaged server (local backend): the agent's 1 Hz sampling CPU against an idle JVM,
# metric-to-browser latency in headless Chromium, and log throughput against the same program with its output drained.
# Usage: benchmarks/jobs.sh [seconds for the CPU window]      (not a test; never gates CI)
set -euo pipefail
cd "$(dirname "$0")/.."
./kiln -B -q -DskipTests install
exec ./kiln -B -q -pl benchmarks exec:java -Dexec.mainClass=dev.kiln.benchmarks.JobsPipeline \
  -Dexec.args="$PWD/studio-server/target/kiln.jar ${1:-30}"
