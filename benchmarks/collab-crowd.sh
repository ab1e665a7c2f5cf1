#!/usr/bin/env bash
# 50 editors typing into one document, then 200 into 20, of a real Kiln server on loopback: keystroke to every other
# editor p50/p99/max, pushes rebased or stale, presence bytes/s and server CPU, beside a ping/pong floor measured in the
# same run. Usage: benchmarks/collab-crowd.sh [seconds per scenario]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
# Built in one reactor run (nothing installed into ~/.m2): the benchmark's classpath names the modules' jars.
./kiln -B -q -DskipTests -pl benchmarks -am package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt \
  -Dmdep.includeScope=runtime
./kiln -B -q -DskipTests -pl studio-server -am package
exec ./kiln java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" dev.kiln.benchmarks.CollabCrowd \
  "$PWD/studio-server/target/kiln.jar" "${1:-30}"
