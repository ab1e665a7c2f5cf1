#!/usr/bin/env bash
# Notebooks on a real Kiln server with a local machine, in headless Chromium: click-to-output of `1+1` on the Java
# kernel and on ipykernel (p50/p99) beside ipykernel driven by jupyter_client directly; output lines per second
# reaching two browsers beside the kernel printing alone. Needs Debian's chromium, python3-ipykernel and
# python3-jupyter-client. Usage: benchmarks/notebooks.sh [round trips per kernel] [lines]
set -euo pipefail
cd "$(dirname "$0")/.."
./kiln -B -q -DskipTests install
exec ./kiln -B -q -pl benchmarks exec:java -Dexec.mainClass=dev.kiln.benchmarks.NotebookRoundTrip \
  -Dexec.args="$PWD/studio-server/target/kiln.jar ${1:-50} ${2:-20000}"
