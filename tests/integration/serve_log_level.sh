#!/usr/bin/env bash
# serve_log_level.sh - `regit serve --log-level error|warn|info` (default
# info) gates regit's own stderr lines: a warning (the credentials file is
# readable by others) shows under info and warn, not under error; a notice
# (", shutting down") shows under info only; the listening line stays on
# stdout and the access log is unaffected. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-build/regit}
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
nok() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/#   /' "$tmp"/*.err 2>/dev/null | tail -10; }

# run NAME ENV... -- ARGS...: serve until listening, one request, then SIGTERM
run() {
	local name=$1 envs=() up=
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" "$REGIT" serve --listen 127.0.0.1:0 --store "$tmp/$name.git" \
		--auth "$tmp/users" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$tmp/$name.out" 2>/dev/null && { up=1; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$up" ] && curl -s -u u:pw "http://127.0.0.1:$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/$name.out")/config" >/dev/null
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	[ -n "$up" ]
}

echo pw | "$REGIT" passwd --password-stdin "$tmp/users" u write >/dev/null 2>&1
chmod 644 "$tmp/users"
warn='is readable by others'

check "default (info): the server starts" run def --
check "default (info): the readable-by-others warning shows" grep -qF "$warn" "$tmp/def.err"
check "default (info): the shutting-down notice shows" grep -qF 'SIGTERM, shutting down' "$tmp/def.err"

check "--log-level error: the server starts" run err -- --log-level error --access-log
check "--log-level error: no warning" eval "! grep -qF '$warn' '$tmp/err.err'"
check "--log-level error: no notice" eval "! grep -qF 'shutting down' '$tmp/err.err'"
check "--log-level error: the access log still writes" grep -qF '"/config"' "$tmp/err.err"
check "--log-level error: the listening line is still on stdout" grep -qF 'listening on' "$tmp/err.out"

check "--log-level=warn: the server starts" run warn -- --log-level=warn
check "--log-level=warn: the warning shows" grep -qF "$warn" "$tmp/warn.err"
check "--log-level=warn: no notice" eval "! grep -qF 'shutting down' '$tmp/warn.err'"

check "REGIT_LOG_LEVEL=error: the server starts" run env REGIT_LOG_LEVEL=error --
check "REGIT_LOG_LEVEL=error: no warning" eval "! grep -qF '$warn' '$tmp/env.err'"

"$REGIT" serve --log-level debug >"$tmp/out" 2>"$tmp/bad.err"
rc=$?
check "--log-level debug: exit 2 naming the values" \
	eval "[ $rc -eq 2 ] && grep -qF -e \"--log-level is error, warn or info, not 'debug'\" '$tmp/bad.err'"
echo "1..$n"
