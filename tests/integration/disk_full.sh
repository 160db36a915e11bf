#!/usr/bin/env bash
# disk_full.sh - issue #13: a store on a full disk. A real `regit serve`
# with its store on a 4 MB tmpfs, registrations of ~200 KB schemas until
# the disk is full:
#  - the failing write is answered 5xx with Confluent JSON (50001) that
#    says "no space left on device", and nothing half-done: every
#    acknowledged registration still reads back, ids are dense and none
#    is issued twice;
#  - /health is "degraded" (200, the reason in "store"), /metrics has
#    regit_store_write_failures_total{reason="no_space"} and
#    regit_store_disk_full 1;
#  - after the tmpfs is remounted larger, a registration succeeds, /health
#    is "ok" and regit_store_disk_full 0 again, without a restart;
#  - `git fsck --strict` finds the store clean.
# Needs root for mount(8): where mounting is impossible the test says
# "not ok" with the reason; it never skips silently.
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-build/regit}
REGIT=$(cd "$(dirname "$REGIT")" && pwd)/$(basename "$REGIT")
tmp=$(mktemp -d)
mnt="$tmp/disk"
pid=
mounted=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$mounted" ] && umount "$mnt" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
finish() { echo "1..$n"; [ "$fails" -eq 0 ]; exit $?; }

for tool in git curl python3 mount umount; do
	if ! command -v "$tool" >/dev/null; then
		nok "$tool is required"
		finish
	fi
done
mkdir -p "$mnt"
if ! err=$(mount -t tmpfs -o size=4m tmpfs "$mnt" 2>&1); then
	nok "mount a 4 MB tmpfs for the store (needs root): $(printf "%s" "${err:-mount failed}" | head -n1)"
	finish
fi
mounted=1
ok "a 4 MB tmpfs holds the store"

export HOME="$tmp" XDG_CONFIG_HOME="$tmp" GIT_CONFIG_NOSYSTEM=1
store="$mnt/store.git"
CT='Content-Type: application/vnd.schemaregistry.v1+json'
"$REGIT" serve --listen 127.0.0.1:0 --store "$store" --compat NONE >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
	grep -q 'listening on' "$tmp/out" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/out")
if [ -z "$port" ]; then
	nok "regit serve starts on the tmpfs store"
	sed 's/^/#   /' "$tmp/err" | head -5
	finish
fi
ok "regit serve starts on the tmpfs store"

# http METHOD PATH [BODYFILE]: the body, then the status on its own line
http() {
	if [ $# -ge 3 ]; then
		curl -s -m 20 -X "$1" -H "$CT" --data-binary "@$3" -w '\n%{http_code}' \
			"http://127.0.0.1:$port$2"
	else
		curl -s -m 20 -X "$1" -w '\n%{http_code}' "http://127.0.0.1:$port$2"
	fi
}

# body I: a registration body of a ~200 KB record whose field names are
# random (so the pack's deflate cannot shrink it much).
body() {
	python3 - "$1" >"$tmp/body.json" <<'EOF'
import json, random, string, sys
i = int(sys.argv[1])
rnd = random.Random(i)
alpha = string.ascii_letters + string.digits
fields = [{"name": "f%d_%s" % (k, "".join(rnd.choice(alpha) for _ in range(390))),
           "type": "int"} for k in range(500)]
schema = {"type": "record", "name": "Big%d" % i, "fields": fields}
print(json.dumps({"schema": json.dumps(schema)}))
EOF
}

# Register into subjects big-1, big-2, ... until an answer is not 200.
acked=()          # "subject id" of every acknowledged registration
fail_status= fail_body=
for i in $(seq 1 60); do
	body "$i"
	resp=$(http POST "/subjects/big-$i/versions" "$tmp/body.json")
	st=$(printf '%s' "$resp" | tail -n1)
	b=$(printf '%s' "$resp" | sed '$d')
	if [ "$st" != 200 ]; then
		fail_status=$st
		fail_body=$b
		break
	fi
	id=$(printf '%s' "$b" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	acked+=("big-$i $id")
done
echo "# ${#acked[@]} registrations acknowledged before: $fail_status $fail_body"
check "the disk fills up after some registrations (${#acked[@]} acknowledged)" \
	test -n "$fail_status" -a "${#acked[@]}" -gt 0
case "$fail_status" in 5??) ok "the failing registration is answered 5xx ($fail_status)" ;;
	*) nok "the failing registration is answered 5xx (got ${fail_status:-none})" ;; esac
check "its answer is Confluent JSON with error_code 50001 mentioning space" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if d.get("error_code") == 50001 and "no space left on device" in d.get("message", "") else 1)' "$fail_body"

# What the failed pack left free may still hold a small commit: fill it
# (same file system, outside the store) so that every write fails.
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
is_nospace() {   # is_nospace STATUS BODY: 500 with 50001 and the reason
	[ "$1" = 500 ] && printf '%s' "$2" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d.get("error_code") == 50001 and "no space left on device" in d.get("message", "") else 1)'
}
printf '{"compatibility":"BACKWARD"}' >"$tmp/cfg.json"
resp=$(http PUT "/config/big-1" "$tmp/cfg.json")
check "a config change on the full disk: 500 / 50001, no space ($(printf '%s' "$resp" | tr '\n' ' '))" \
	is_nospace "$(printf '%s' "$resp" | tail -n1)" "$(printf '%s' "$resp" | sed '$d')"
check "... and it was not applied (GET /config/big-1 is 404)" \
	test "$(http GET /config/big-1 | tail -n1)" = 404
resp=$(http DELETE "/subjects/big-1/versions/1")
check "a delete on the full disk: 500 / 50001, no space ($(printf '%s' "$resp" | tr '\n' ' '))" \
	is_nospace "$(printf '%s' "$resp" | tail -n1)" "$(printf '%s' "$resp" | sed '$d')"

all_readable() {
	local e s id b
	for e in "${acked[@]}"; do
		s=${e% *}
		id=${e#* }
		b=$(http GET "/subjects/$s/versions/1" | sed '$d')
		printf '%s' "$b" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d.get("id") == int(sys.argv[1]) and len(d.get("schema", "")) > 150000 else 1)' "$id" || return 1
		[ "$(http GET "/schemas/ids/$id" | tail -n1)" = 200 ] || return 1
	done
}
check "every acknowledged registration reads back (by subject and by id)" all_readable
ids_dense() {
	local e k=1
	for e in "${acked[@]}"; do
		[ "${e#* }" = "$k" ] || return 1
		k=$((k + 1))
	done
}
check "acknowledged ids are dense: 1..${#acked[@]}" ids_dense

health=$(http GET /health)
check "/health is 200 and degraded with the reason: $(printf '%s' "$health" | head -n1)" python3 -c '
import json, sys
body, st = sys.argv[1].rsplit("\n", 1)
d = json.loads(body)
sys.exit(0 if st == "200" and d["status"] == "degraded" and "no space" in d.get("store", "") else 1)' "$health"
metrics=$(http GET /metrics | sed '$d')
check "/metrics: regit_store_disk_full 1" grep -qx 'regit_store_disk_full 1' <<<"$metrics"
check "/metrics: regit_store_write_failures_total{reason=\"no_space\"} 3 (registration, config, delete)" \
	grep -qx 'regit_store_write_failures_total{reason="no_space"} 3' <<<"$metrics"
no_tmp() { ! compgen -G "$store/objects/pack/tmp_*" >/dev/null; }
check "no temporary pack is left behind in the store" no_tmp
check "the server is still running" kill -0 "$pid"

# Free space without restarting the server.
rm -f "$mnt/filler"
if ! err=$(mount -o remount,size=64m "$mnt" 2>&1); then
	nok "remount the tmpfs with 64 MB: $err"
	finish
fi
ok "the tmpfs is remounted with 64 MB"
next=$(( ${#acked[@]} + 1 ))
body 1000
resp=$(http POST "/subjects/after-full/versions" "$tmp/body.json")
st=$(printf '%s' "$resp" | tail -n1)
b=$(printf '%s' "$resp" | sed '$d')
check "a registration succeeds once space is freed ($st ${b:0:60}...)" test "$st" = 200
check "it gets the next id, $next: no id skipped or reissued" python3 -c '
import json, sys
sys.exit(0 if json.load(sys.stdin).get("id") == int(sys.argv[1]) else 1)' "$next" <<<"$b"
health=$(http GET /health)
check "/health is ok again without a restart: $(printf '%s' "$health" | head -n1)" python3 -c '
import json, sys
body, st = sys.argv[1].rsplit("\n", 1)
d = json.loads(body)
sys.exit(0 if st == "200" and d["status"] == "ok" and "store" not in d else 1)' "$health"
metrics=$(http GET /metrics | sed '$d')
check "/metrics: regit_store_disk_full 0 again" grep -qx 'regit_store_disk_full 0' <<<"$metrics"
check "every earlier acknowledged registration still reads back" all_readable

kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rc=$?
pid=
# Under SANITIZE=1 a leak or an error makes the exit status non-zero.
check "the server stops cleanly on SIGTERM (status $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || tail -n 20 "$tmp/err" | sed 's/^/#   /'
fsck=$(git --git-dir="$store" fsck --strict 2>&1)
rc=$?
check "git fsck --strict on the store is clean" test "$rc" -eq 0
[ "$rc" -eq 0 ] || printf '%s\n' "$fsck" | head -10 | sed 's/^/#   /'
finish
