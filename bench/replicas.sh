#!/usr/bin/env bash
# replicas.sh - three `regit serve --upstream` replicas on one git daemon:
# aggregate registrations/s with 32 clients, registrations per push,
# replication lag (bench/replicas.py; registry/README.md, "Running several
# replicas"). BENCH_QUICK=1 for short runs.
set -eu
cd "$(dirname "$0")/.."
for tool in python3 git; do
	command -v "$tool" >/dev/null || { echo "replicas.sh: $tool not found" >&2; exit 1; }
done
exec python3 bench/replicas.py
