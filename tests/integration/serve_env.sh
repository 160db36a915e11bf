#!/usr/bin/env bash
# serve_env.sh - every `regit serve` option can come from the environment:
# REGIT_ and its name upper-cased with '-' as '_' (REGIT_LISTEN, REGIT_STORE,
# REGIT_AUTH, ...); a flag is on with 1/true/yes/on; the command line wins.
# Prints TAP lines.
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

# start NAME ENV... -- ARGS...: a server in the background, up once it prints its port
start() {
	local name=$1 envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" "$REGIT" serve "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$tmp/$name.out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; }
port() { sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/$1.out"; }

# Options from the environment alone.
start env REGIT_LISTEN=127.0.0.1:0 REGIT_STORE="$tmp/env.git" REGIT_ACCESS_LOG=1 \
	REGIT_THREADS=2 REGIT_COMPAT=BACKWARD --
check "REGIT_LISTEN, REGIT_STORE: the server listens there, on that store" \
	grep -qF "listening on 127.0.0.1:0 (port $(port env)), store $tmp/env.git" "$tmp/env.out"
curl -s "http://127.0.0.1:$(port env)/config" >"$tmp/config.json"
check "REGIT_COMPAT=BACKWARD is the default level" grep -q '"compatibilityLevel":"BACKWARD"' "$tmp/config.json"
stop
check "REGIT_ACCESS_LOG=1 turns the access log on" grep -q '"/config"' "$tmp/env.err"

# The command line wins.
start cli REGIT_LISTEN=127.0.0.1:0 REGIT_STORE="$tmp/env2.git" REGIT_COMPAT=BACKWARD -- \
	--store="$tmp/cli.git" --compat FORWARD
check "--store wins over REGIT_STORE" \
	eval "grep -qF 'store $tmp/cli.git' '$tmp/cli.out' && [ ! -e '$tmp/env2.git' ]"
curl -s "http://127.0.0.1:$(port cli)/config" >"$tmp/config.json"
check "--compat wins over REGIT_COMPAT" grep -q '"compatibilityLevel":"FORWARD"' "$tmp/config.json"
stop

# An empty variable is unset; a flag given 0 is off.
start empty REGIT_LISTEN=127.0.0.1:0 REGIT_STORE= REGIT_ACCESS_LOG=0 -- --store "$tmp/e.git"
curl -s "http://127.0.0.1:$(port empty)/config" >/dev/null
stop
check "REGIT_ACCESS_LOG=0: no access log" eval "! grep -q '\"/config\"' '$tmp/empty.err'"

# Bad values name the variable; the security options are read too.
REGIT_THREADS=0 "$REGIT" serve >"$tmp/out" 2>"$tmp/err"
rc=$?
check "REGIT_THREADS=0: exit 2, naming the variable" \
	eval "[ $rc -eq 2 ] && grep -qxF \"regit serve: --threads takes 1..256, not '0' (from \\\$REGIT_THREADS); see 'regit serve --help'\" '$tmp/err'"
REGIT_INSECURE_NO_AUTH=maybe "$REGIT" serve >"$tmp/out" 2>"$tmp/err"
rc=$?
check "REGIT_INSECURE_NO_AUTH=maybe: exit 2" eval "[ $rc -eq 2 ] && grep -qF 'REGIT_INSECURE_NO_AUTH' '$tmp/err'"
REGIT_AUTH="$tmp/no-such-file" "$REGIT" serve --listen 127.0.0.1:0 --store "$tmp/a.git" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "REGIT_AUTH reaches the security options (a missing file: exit 2)" \
	eval "[ $rc -eq 2 ] && grep -qF '$tmp/no-such-file' '$tmp/err'"
REGIT_LISTEN=0.0.0.0:0 "$REGIT" serve --store "$tmp/b.git" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "REGIT_LISTEN off loopback without auth is refused like --listen" \
	eval "[ $rc -eq 2 ] && grep -q 'auth' '$tmp/err'"
# The upstream credentials file: REGIT_UPSTREAM_CREDENTIALS_FILE (the
# credential itself stays in $REGIT_UPSTREAM_CREDENTIALS); checked at start,
# before any network.
echo 'replica:pw' >"$tmp/up-creds"
REGIT_UPSTREAM_CREDENTIALS_FILE="$tmp/up-creds" "$REGIT" serve --listen 127.0.0.1:0 \
	--store "$tmp/u.git" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "REGIT_UPSTREAM_CREDENTIALS_FILE without --upstream: exit 2" \
	eval "[ $rc -eq 2 ] && grep -qF -- '--upstream-credentials-file needs --upstream' '$tmp/err'"
REGIT_UPSTREAM_CREDENTIALS_FILE="$tmp/no-creds" "$REGIT" serve --listen 127.0.0.1:0 \
	--store "$tmp/u.git" --upstream git://127.0.0.1:1/up.git >"$tmp/out" 2>"$tmp/err"
rc=$?
check "REGIT_UPSTREAM_CREDENTIALS_FILE missing: exit 2 naming the file, nothing served" \
	eval "[ $rc -eq 2 ] && grep -qF '$tmp/no-creds' '$tmp/err' && ! grep -q 'listening' '$tmp/out'"
# The ssh upstream's key and known_hosts files: REGIT_UPSTREAM_SSH_KEY and
# REGIT_UPSTREAM_SSH_KNOWN_HOSTS, the same rules (checked at start).
for var in UPSTREAM_SSH_KEY UPSTREAM_SSH_KNOWN_HOSTS; do
	opt=$(echo "$var" | tr 'A-Z_' 'a-z-')
	env "REGIT_$var=$tmp/up-creds" "$REGIT" serve --listen 127.0.0.1:0 \
		--store "$tmp/u.git" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "REGIT_$var without --upstream: exit 2" \
		eval "[ $rc -eq 2 ] && grep -qF -- '--$opt needs --upstream' '$tmp/err'"
	env "REGIT_$var=$tmp/no-$opt" "$REGIT" serve --listen 127.0.0.1:0 \
		--store "$tmp/u.git" --upstream ssh://git@127.0.0.1:1/up.git >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "REGIT_$var missing: exit 2 naming the file, nothing served" \
		eval "[ $rc -eq 2 ] && grep -qF '$tmp/no-$opt' '$tmp/err' && ! grep -q 'listening' '$tmp/out'"
done
echo "1..$n"
