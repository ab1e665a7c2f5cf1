#!/usr/bin/env bash
# The training runtime's figures: Trainer vs a hand-written libtorch loop, thread settings, native memory over
# 10,000 steps, and DDP throughput for 1 and 2 processes. Usage: benchmarks/trainer.sh [runs]   (never gates CI)
set -euo pipefail
cd "$(dirname "$0")/.."
# Built in the reactor, not installed: the classpath names this checkout's own module jars, and ~/.m2 gets none.
./kiln -B -q -DskipTests package dependency:build-classpath -pl benchmarks -am \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
# A plain JVM, not Maven's: the harness starts fresh JVMs and kiln-train workers with this classpath.
exec ./kiln java --enable-native-access=ALL-UNNAMED \
  -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  dev.kiln.benchmarks.training.TrainerBench all "${1:-5}"
