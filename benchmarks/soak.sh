#!/usr/bin/env bash
# A long run of ordinary use (editors, jobs, terminals, switches) against a real Kiln server; prints the server's heap
# after a full GC at the start and at the end. Usage: benchmarks/soak.sh [minutes]   (default 30; not run in CI)
set -euo pipefail
cd "$(dirname "$0")/.."
./kiln -B -q -DskipTests -pl benchmarks -am package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt \
  -Dmdep.includeScope=runtime
./kiln -B -q -DskipTests -pl studio-server -am package
exec ./kiln java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" dev.kiln.benchmarks.Soak \
  "$PWD/studio-server/target/kiln.jar" "${1:-30}"
