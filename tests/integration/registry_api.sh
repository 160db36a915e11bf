#!/usr/bin/env bash
# registry_api.sh - drive `regit serve` over HTTP: every Confluent endpoint
# and error path, restart/reload, concurrency, direct pushes, subject-name
# attacks. The checks live in registry_api.py (one Python process keeps the
# run fast); this wrapper is what tests/run discovers.
set -u
cd "$(dirname "$0")/../.."
if ! command -v python3 >/dev/null; then
	echo "ok 1 - registry_api # skip python3 not installed (scripts/install-deps --test)"
	exit 0
fi
exec python3 tests/integration/registry_api.py
