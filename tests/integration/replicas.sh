#!/usr/bin/env bash
# replicas.sh - three `regit serve --upstream` replicas on one git daemon
# (issue #12 part 2). The checks live in replicas.py; this wrapper is what
# tests/run finds.
set -u
cd "$(dirname "$0")/../.."
# python3, git (with `git daemon`), haproxy, node, npm, nginx and fcgiwrap come from scripts/install-deps --test;
# without them the test cannot run at all: not ok, never a skip.
for tool in python3 git haproxy node npm /usr/sbin/nginx /usr/sbin/fcgiwrap; do
	if ! command -v "$tool" >/dev/null; then
		echo "not ok 1 - replicas: $tool is missing (scripts/install-deps --test)"
		exit 1
	fi
done
if ! err=$("${REGIT_BIN:-build/regit}" serve --help 2>&1 >/dev/null); then
	echo "not ok 1 - regit serve --help succeeds (the checks in replicas.py need it)"
	printf '%s\n' "$err" | head -5 | sed 's/^/#   /'
	exit 1
fi
# The npm Confluent clients (tests/interop/replicas.js) run through haproxy:
# the pinned packages, installed as tests/integration/interop.sh does.
if [ ! -d tests/interop/node_modules/@kafkajs/confluent-schema-registry ] ||
   [ ! -d tests/interop/node_modules/@confluentinc/schemaregistry ]; then
	echo "# installing interop clients (npm ci)"
	if ! (cd tests/interop && timeout 300 npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
		echo "not ok 1 - npm ci in tests/interop (the npm clients replicas.py runs)"
		exit 1
	fi
fi
# The whole run is bounded (about 10 s on loopback; each wait inside too).
exec timeout -k 5 120 python3 tests/integration/replicas.py
