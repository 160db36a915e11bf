#!/usr/bin/env bash
# ui_browser.sh - the web UI (/ui/) in a real headless Chromium: a user
# clicks through subjects, a subject, a schema, a diff, test/register,
# config, mode, deletes and health as admin, write and read-only users
# (tests/ui/ui.test.js, puppeteer-core). `regit serve --auth` runs on a
# random loopback port with a temporary store. The diff view's screenshot
# goes to docs/ui-diff.png (UI_SCREENSHOT overrides), shown in README.md.
#
# The browser is Debian's chromium-headless-shell (or chromium; REGIT_BROWSER
# names another); scripts/install-deps --test installs it and node/npm, so a
# missing one is a failure, not a skip. puppeteer-core comes pinned from
# tests/ui/package-lock.json (`npm ci`, no browser download).
set -u
cd "$(dirname "$0")/../.."
REGIT_BIN=${REGIT_BIN:-$PWD/build/regit}

browser=${REGIT_BROWSER:-}
if [ -z "$browser" ]; then
	for b in chromium-headless-shell chromium; do
		if command -v "$b" >/dev/null 2>&1; then
			browser=$(command -v "$b")
			break
		fi
	done
fi
if [ -z "$browser" ] || ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "not ok 1 - web UI browser test: needs chromium-headless-shell (or chromium), node and npm: run scripts/install-deps --test"
	exit 1
fi
if [ ! -d tests/ui/node_modules/puppeteer-core ]; then
	echo "# installing puppeteer-core (npm ci in tests/ui)"
	if ! (cd tests/ui && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
		echo "not ok 1 - npm ci in tests/ui"
		exit 1
	fi
fi

tmp=$(mktemp -d)
pid=
rpid=
dpid=
cleanup() {
	for p in $pid $rpid $dpid; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

for u in alice:admin wendy:write rita:read; do
	if ! echo secret | "$REGIT_BIN" passwd --password-stdin "$tmp/creds" "${u%%:*}" "${u#*:}" \
		>/dev/null 2>"$tmp/passwd.err"; then
		echo "not ok 1 - regit passwd ${u%%:*}"
		sed 's/^/#   /' "$tmp/passwd.err"
		exit 1
	fi
done

"$REGIT_BIN" serve --listen 127.0.0.1:0 --store "$tmp/store.git" --auth "$tmp/creds" \
	>"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/serve.out")
	[ -n "$port" ] && break
	sleep 0.1
done
if [ -z "$port" ]; then
	echo "not ok 1 - regit serve --auth starts"
	sed 's/^/#   /' "$tmp/serve.err"
	exit 1
fi

# A replica (serve --upstream) on a git daemon, for the health panel's
# Upstream section (the test stops the daemon: DAEMON_PID).
git init -q --bare -b main "$tmp/gitd/up.git"
dport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --reuseaddr --enable=receive-pack --export-all --base-path="$tmp/gitd" \
	--listen=127.0.0.1 --port="$dport" "$tmp/gitd" >/dev/null 2>&1 &
dpid=$!
for _ in $(seq 1 100); do
	(exec 3<>/dev/tcp/127.0.0.1/"$dport") 2>/dev/null && break
	sleep 0.05
done
"$REGIT_BIN" serve --listen 127.0.0.1:0 --store "$tmp/replica.git" --auth "$tmp/creds" \
	--upstream "git://127.0.0.1:$dport/up.git" --fetch-interval 0.3 --upstream-timeout 1 \
	>"$tmp/replica.out" 2>"$tmp/replica.err" &
rpid=$!
rport=
for _ in $(seq 1 100); do
	rport=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/replica.out")
	[ -n "$rport" ] && break
	sleep 0.1
done
if [ -z "$rport" ]; then
	echo "not ok 1 - regit serve --upstream (a replica on a git daemon) starts"
	sed 's/^/#   /' "$tmp/replica.err"
	exit 1
fi

REPLICA_URL=http://127.0.0.1:$rport DAEMON_PID=$dpid \
REGISTRY_URL=http://127.0.0.1:$port STORE="$tmp/store.git" WORK="$tmp" BROWSER="$browser" \
	UI_SCREENSHOT=${UI_SCREENSHOT:-$PWD/docs/ui-diff.png} \
	timeout 300 node tests/ui/ui.test.js
rc=$?
if [ $rc -ne 0 ]; then
	echo "# regit serve's stderr (last lines):"
	tail -5 "$tmp/serve.err" | sed 's/^/#   /'
fi
exit $rc
