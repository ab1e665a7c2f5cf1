#!/usr/bin/env bash
# The machine switch on the local backend of the packaged server: end-to-end time, the server's share of it, and
# editor acknowledgements during switches against a quiet baseline.
# Usage: benchmarks/machine-switch.sh [switches]      (not a test; never gates CI)
set -euo pipefail
cd "$(dirname "$0")/.."
./kiln -B -q -DskipTests install
exec ./kiln -B -q -pl benchmarks exec:java -Dexec.mainClass=dev.kiln.benchmarks.MachineSwitch \
  -Dexec.args="$PWD/studio-server/target/kiln.jar ${1:-6}"
