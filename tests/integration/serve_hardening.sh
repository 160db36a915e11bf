#!/usr/bin/env bash
# serve_hardening.sh - a running `regit serve` cannot dump core: it is
# non-dumpable (the kernel then shows its /proc/PID files as root's, so a
# server run as another user has /proc/PID/status owned by uid 0) and its
# core size limit is 0, soft and hard (/proc/PID/limits).
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-build/regit}
REGIT=$(cd "$(dirname "$REGIT")" && pwd)/$(basename "$REGIT")
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# Run the server as an ordinary user: as root, the /proc ownership check
# cannot tell a non-dumpable process from a dumpable one.
as=()
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null; then
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		chmod 0777 "$tmp"
	fi
fi
# (HOME: libgit2 reads ~/.gitconfig, which another user may not stat)
"${as[@]}" env HOME="$tmp" XDG_CONFIG_HOME="$tmp" "$REGIT" serve --listen 127.0.0.1:0 --store "$tmp/registry.git" \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
	grep -q 'listening on' "$tmp/out" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q 'listening on' "$tmp/out"; then
	nok "server started: $(cat "$tmp/err")"
	echo "1..$n"
	exit 1
fi
ok "server started"

server_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
if [ "$server_uid" = 0 ]; then
	ok "non-dumpable # skip running as root without setpriv: /proc ownership cannot show it"
else
	check "non-dumpable: /proc/$pid/status belongs to root, not the server's uid $server_uid" \
		test "$(stat -c %u "/proc/$pid/status")" = 0
fi
core=$(awk '/^Max core file size/ { print $5 " " $6 }' "/proc/$pid/limits")
check "core size limit is 0 soft and hard (got '$core')" test "$core" = "0 0"
echo "1..$n"
