#!/usr/bin/env bash
# run.sh - three regit replicas on one git upstream, behind haproxy, on
# one machine (registry/README.md, "Running several replicas").
#
#   examples/replicas/run.sh [DIR]      (default: a new temporary directory)
#
# Starts: a bare repository served by `git daemon --enable=receive-pack`
# on 127.0.0.1:9418+, three `regit serve --upstream git://...` replicas
# (each on its own local store, ports 8091-8093) and haproxy on
# 127.0.0.1:8081 balancing over them with `option httpchk GET /health`.
# Point Confluent clients at http://127.0.0.1:8081. Ctrl-C stops it all.
set -eu
REGIT=${REGIT:-$(cd "$(dirname "$0")/../.." && pwd)/build/regit}
DIR=${1:-$(mktemp -d /tmp/regit-replicas.XXXXXX)}
GIT_PORT=${GIT_PORT:-9418}
LB_PORT=${LB_PORT:-8081}
for tool in git haproxy "$REGIT"; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 2; }
done
mkdir -p "$DIR/srv"
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

# The upstream: one pack per push, no gc per push (store/README.md).
if [ ! -d "$DIR/srv/registry.git" ]; then
	git init -q --bare -b main "$DIR/srv/registry.git"
	git -C "$DIR/srv/registry.git" config receive.unpackLimit 1
	git -C "$DIR/srv/registry.git" config receive.autogc false
fi
git daemon --reuseaddr --enable=receive-pack --export-all --base-path="$DIR/srv" \
	--listen=127.0.0.1 --port="$GIT_PORT" "$DIR/srv" &
pids+=($!)
for _ in $(seq 50); do
	git ls-remote "git://127.0.0.1:$GIT_PORT/registry.git" >/dev/null 2>&1 && break
	sleep 0.1
done

for i in 1 2 3; do
	"$REGIT" serve --listen "127.0.0.1:809$i" --store "$DIR/replica$i.git" \
		--upstream "git://127.0.0.1:$GIT_PORT/registry.git" >"$DIR/replica$i.log" 2>&1 &
	pids+=($!)
done

cat >"$DIR/haproxy.cfg" <<CFG
defaults
	mode http
	timeout connect 2s
	timeout client 30s
	timeout server 30s
frontend registry
	bind 127.0.0.1:$LB_PORT
	default_backend replicas
backend replicas
	balance roundrobin
	option httpchk GET /health
	default-server inter 1s fall 2 rise 1
	server r1 127.0.0.1:8091 check
	server r2 127.0.0.1:8092 check
	server r3 127.0.0.1:8093 check
CFG
haproxy -f "$DIR/haproxy.cfg" &
pids+=($!)
echo "regit: 3 replicas of git://127.0.0.1:$GIT_PORT/registry.git behind http://127.0.0.1:$LB_PORT (logs in $DIR)"
wait
