#!/usr/bin/env bash
# Dataset read throughput from an S3-compatible server (S3Proxy as its own process on this machine): Kiln's reader
# (parallel ranged GETs + prefetch) against a sequential GetObject loop over the same objects, in the same run.
# Usage: benchmarks/s3-read.sh [rounds]      (not a test; never gates CI)
set -euo pipefail
cd "$(dirname "$0")/.."
./kiln -B -q -DskipTests install -pl benchmarks -am
./kiln -B -q -pl benchmarks dependency:copy -Dartifact=org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies \
  -DoutputDirectory=target/s3proxy -Dmdep.stripVersion=true
exec ./kiln -B -q -pl benchmarks exec:java -Dexec.mainClass=dev.kiln.benchmarks.S3ReadBench \
  -Dexec.args="${1:-3}" -Ds3proxy.jar="$PWD/benchmarks/target/s3proxy/s3proxy-jar-with-dependencies.jar"
