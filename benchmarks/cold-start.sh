#!/usr/bin/env bash
# Prints Kiln's start-up and first-page-load figures beside their baselines (see benchmarks/README.md).
# Usage: benchmarks/cold-start.sh [runs]     (needs Debian's chromium; not a test, never gates CI)
set -euo pipefail
cd "$(dirname "$0")/.."
./kiln -B -q -DskipTests package
./kiln prepare-start
exec ./kiln -B -q -pl benchmarks exec:java -Dexec.mainClass=dev.kiln.benchmarks.ColdStart \
  -Dexec.args="$PWD/studio-server/target/kiln.jar ${1:-3}"
