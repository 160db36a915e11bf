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
	echo "ok 1 - npm Confluent clients against regit serve # skip node/npm not installed (scripts/install-deps --test)"
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
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME ARGS...: regit serve on a random loopback port; sets $port.
start() {
	local name=$1
	shift
	"$REGIT_BIN" serve --listen 127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids+=($!)
	port=
	for _ in $(seq 1 100); do
		port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/$name.out")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	echo "not ok 1 - regit serve ($name) starts"
	sed 's/^/#   /' "$tmp/$name.err"
	exit 1
}

# The product default (FULL_TRANSITIVE, strict rules): the clients must work
# against it unchanged.
start plain --store "$tmp/store.git"
REGISTRY_URL=http://127.0.0.1:$port node tests/interop/interop.js
rc=$?

# With --auth: kafkajs's PUT /config/{s} after a first registration needs
# the admin role (tests/interop/auth.js).
for u in wendy:write alice:admin; do
	if ! echo secret | "$REGIT_BIN" passwd --password-stdin "$tmp/creds" "${u%%:*}" "${u#*:}" \
		>/dev/null 2>"$tmp/passwd.err"; then
		echo "not ok 1 - regit passwd ${u%%:*}"
		sed 's/^/#   /' "$tmp/passwd.err"
		exit 1
	fi
done
start auth --store "$tmp/auth.git" --auth "$tmp/creds"
REGISTRY_URL=http://127.0.0.1:$port node tests/interop/auth.js || rc=1
exit $rc
