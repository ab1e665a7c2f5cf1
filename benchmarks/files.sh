#!/usr/bin/env bash
# The studio's files as the machine's filesystem, on a real Kiln with a real local machine: a machine-side edit until
# every open editor has it (p50/p99), and upload/download throughput beside a plain cp of the same file.
# Usage: benchmarks/files.sh [editors] [edits] [megabytes]
set -euo pipefail
cd "$(dirname "$0")/.."
./kiln -B -q -DskipTests install
exec ./kiln -B -q -pl benchmarks exec:java -Dexec.mainClass=dev.kiln.benchmarks.FilesBench \
  -Dexec.args="$PWD/studio-server/target/kiln.jar ${1:-4} ${2:-100} ${3:-1024}"
