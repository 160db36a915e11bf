#!/usr/bin/env bash
# interop.sh - real Confluent Schema Registry clients from npm
# (@kafkajs/confluent-schema-registry, @confluentinc/schemaregistry) against
# `regit serve` on a random port with a temporary store: registration,
# lookups, and Confluent-framed Avro round trips through their serializers
# (tests/interop/interop.js). Installs the pinned packages with `npm ci`
# when tests/interop/node_modules is missing. Skips only when node is absent.
set -u
cd "$(dirname "$0")/../.."
REGIT_BIN=${REGIT_BIN:-$PWD/build/regit}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "ok 1 # skip node/npm not installed (scripts/install-deps --test installs them)"
	exit 0
fi
if [ ! -d tests/interop/node_modules/@kafkajs/confluent-schema-registry ] ||
   [ ! -d tests/interop/node_modules/@confluentinc/schemaregistry ]; then
	echo "# installing interop clients (npm ci)"
	if ! (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
		echo "not ok 1 - npm ci in tests/interop"
		exit 1
	fi
fi

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# The product default (FULL_TRANSITIVE, strict rules): the clients must work
# against it unchanged.
"$REGIT_BIN" serve --listen 127.0.0.1:0 --store "$tmp/store.git" >"$tmp/out" 2>"$tmp/err" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/out")
	[ -n "$port" ] && break
	sleep 0.1
done
if [ -z "$port" ]; then
	echo "not ok 1 - regit serve starts"
	sed 's/^/#   /' "$tmp/err"
	exit 1
fi
REGISTRY_URL=http://127.0.0.1:$port node tests/interop/interop.js
