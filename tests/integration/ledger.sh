#!/usr/bin/env bash
# ledger.sh - issue #12: a store is an append-only ledger of what the
# registry served. A real `regit serve`, real `git push` to its store:
#  - the pre-receive hook `regit serve` installs refuses a force-push to an
#    older commit, an empty tree, an in-place edit of a version's text, a
#    renumbered version, a hard-deleted id re-added with another schema,
#    with the finding in git's stderr;
#  - the same heads put in place behind git's back (update-ref in the bare
#    repository, no hook) are caught by the server: /health 503 with the
#    reason, metrics and log say so, reads keep answering from the served
#    state, writes are 5xx, and no id is issued twice;
#  - resetting the branch to the served head makes /health 200 again
#    without a restart; a restart on a bad head serves the served state;
#  - good pushes (new versions, soft then hard delete in one push) pass;
#  - `regit verify` exit codes and output.
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
fails=0
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

for tool in git curl; do
	if ! command -v "$tool" >/dev/null; then
		echo "not ok 1 - $tool is required"
		echo "1..1"
		exit 1
	fi
done

export HOME="$tmp" XDG_CONFIG_HOME="$tmp" GIT_CONFIG_NOSYSTEM=1
git config --global user.name tester
git config --global user.email tester@example.com
git config --global init.defaultBranch main

store="$tmp/store.git"
CT='Content-Type: application/vnd.schemaregistry.v1+json'
port=

start() {   # start [BINARY]
	local bin=${1:-$REGIT}
	"$bin" serve --listen 127.0.0.1:0 --store "$store" --compat BACKWARD --rules avro \
		>"$tmp/out" 2>>"$tmp/err" &
	pid=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$tmp/out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/out")
	[ -n "$port" ]
}
stop() {
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
# http METHOD PATH [BODY]: prints the body, then the status on its own line
http() {
	if [ $# -ge 3 ]; then
		curl -s -X "$1" -H "$CT" -d "$3" -w '\n%{http_code}' "http://127.0.0.1:$port$2"
	else
		curl -s -X "$1" -w '\n%{http_code}' "http://127.0.0.1:$port$2"
	fi
}
status() { http "$@" | tail -n1; }
body() { http "$@" | sed '$d'; }
rec() {   # rec NAME [FIELD]: a record schema as a registration body
	local f=""
	[ $# -ge 2 ] && f="{\\\"name\\\":\\\"$2\\\",\\\"type\\\":\\\"int\\\",\\\"default\\\":0}"
	echo "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"$1\\\",\\\"fields\\\":[$f]}\"}"
}
register() { body POST "/subjects/$1/versions" "$2" | sed -n 's/.*"id":\([0-9]*\).*/\1/p'; }
wait_health() {   # wait_health CODE: up to 6 s
	for _ in $(seq 60); do
		[ "$(status GET /health)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
head_of() { git --git-dir="$store" rev-parse "${1:-main}"; }
served() { git --git-dir="$store" rev-parse refs/regit/served 2>/dev/null; }

if ! start; then
	nok "server started: $(cat "$tmp/err")"
	echo "1..$n"
	exit 1
fi
ok "server started"

check "ids 1, 2, 3 for three subjects" test \
	"$(register s1 "$(rec A)") $(register s2 "$(rec B)") $(register s3 "$(rec C)")" = "1 2 3"
first=$(git --git-dir="$store" rev-list --reverse main | head -n1)
good=$(head_of)
check "refs/regit/served is the head the registry wrote" test "$(served)" = "$good"
hook="$store/hooks/pre-receive"
check "serve installed an executable pre-receive hook naming this binary by absolute path" \
	bash -c "test -x '$hook' && grep -qF \"REGIT='$REGIT'\" '$hook'"

git clone -q "$store" "$tmp/work"
W() { git -C "$tmp/work" "$@"; }

# push_refused NAME PATTERN: push the work clone's HEAD; the hook must refuse it
push_refused() {
	local out
	out=$(W push -f origin HEAD:main 2>&1)
	local rc=$?
	check "$1: git push is refused (exit $rc)" test "$rc" -ne 0
	if grep -q "pre-receive hook declined" <<<"$out" && grep -qE "$2" <<<"$out"; then
		ok "$1: the pusher sees the finding: $(grep -m1 -oE "$2" <<<"$out")"
	else
		nok "$1: the pusher sees the finding /$2/ (got: $(tr '\n' ' ' <<<"$out"))"
	fi
	check "$1: the branch did not move" test "$(head_of)" = "$good"
}

# bypass NAME PATTERN: put the work clone's HEAD in place without hooks; the
# server refuses it, keeps serving, refuses writes, issues no id twice; a
# reset to the served head heals it without a restart.
bypass() {
	local name=$1 pat=$2 bad rej0 rej1 h
	bad=$(W rev-parse HEAD)
	W push -q "$store" "HEAD:refs/bypass/tmp" --no-verify 2>/dev/null ||
		git --git-dir="$store" fetch -q "$tmp/work" "+HEAD:refs/bypass/tmp"
	rej0=$(body GET /metrics | sed -n 's/^regit_store_rejections_total \([0-9]*\).*/\1/p')
	git --git-dir="$store" update-ref refs/heads/main "$bad"
	git --git-dir="$store" update-ref -d refs/bypass/tmp
	check "$name, behind git's back: /health turns 503" wait_health 503
	h=$(body GET /health)
	if grep -qE "$pat" <<<"$h"; then ok "$name: /health says why"; else nok "$name: /health says why (got $h)"; fi
	rej1=$(body GET /metrics | sed -n 's/^regit_store_rejections_total \([0-9]*\).*/\1/p')
	check "$name: regit_store_rejections_total counts it ($rej0 -> $rej1), regit_store_ok 0" \
		bash -c "[ '${rej1:-0}' -gt '${rej0:-0}' ] && curl -s http://127.0.0.1:$port/metrics | grep -q '^regit_store_ok 0'"
	check "$name: regit_store_ledger_rejections_total counts it as a ledger break" \
		bash -c "curl -s http://127.0.0.1:$port/metrics | grep -qx 'regit_store_ledger_rejections_total [1-9][0-9]*'"
	check "$name: the log says why" grep -qE "$pat" "$tmp/err"
	check "$name: reads answer from the served state (id 2, s3 v1)" test \
		"$(status GET /schemas/ids/2) $(status GET /subjects/s3/versions/1)" = "200 200"
	check "$name: writes are refused with a 5xx" bash -c \
		"[ \$(curl -s -o /dev/null -w '%{http_code}' -H '$CT' -d '{\"schema\":\"\\\"long\\\"\"}' \
		http://127.0.0.1:$port/subjects/w/versions) -ge 500 ]"
	git --git-dir="$store" update-ref refs/heads/main "$(served)"
	check "$name: reset to the served head: /health 200 again, no restart" wait_health 200
	W reset -q --hard "$good"
}

# 1. force-push of the first commit (the issue's reproduction)
W reset -q --hard "$first"
push_refused "force-push to an older commit" "does not descend from the served head"
bypass "force-push to an older commit" "does not descend from the served head"
nextid=$(register s4 "$(rec D)")
check "after all that the next id is 4, not 2" test "$nextid" = 4
good=$(head_of)
W fetch -q origin && W reset -q --hard origin/main

# 2. a commit whose tree is empty
W rm -rq . && W commit -qm "empty tree"
push_refused "empty tree" "next id went back from 5 to 1"
bypass "empty tree" "next id went back"

# 3. in-place edit of a version's text (id 2 would decode with another schema)
sed -i 's/"B"/"Bogus"/' "$tmp/work/subjects/s2/v1.avsc"
W commit -qam "edit s2 v1 in place"
push_refused "in-place edit of a version's text" "Id 2 changed its schema"
bypass "in-place edit" "Id 2 changed its schema"

# 4. renumbered versions: an id changed under a version, a version moved
sed -i 's/"id": 3/"id": 7/' "$tmp/work/subjects/s3/v1.json"
W commit -qam "s3 v1 gets id 7"
push_refused "id of a version renumbered" "renumbered from id 3 to id 7"
W reset -q --hard "$good"
W mv subjects/s3/v1.avsc subjects/s3/v2.avsc && W mv subjects/s3/v1.json subjects/s3/v2.json
sed -i 's/"version": 1/"version": 2/' "$tmp/work/subjects/s3/v2.json"
W commit -qam "s3 v1 becomes v2"
push_refused "version number renumbered" "Version 1 of subject \"s3\" \(id 3\) was removed while live"
bypass "version renumbered" "was removed while live"

# 5. a hard-deleted id re-added with different content
id5=$(register s5 "$(rec E)")
check "s5 registered as id 5" test "$id5" = 5
check "soft then hard delete of s5 (API)" test \
	"$(status DELETE /subjects/s5) $(status DELETE '/subjects/s5?permanent=true')" = "200 200"
check "id 5 is gone" test "$(status GET /schemas/ids/5)" = 404
good=$(head_of)
W fetch -q origin && W reset -q --hard origin/main
mkdir -p "$tmp/work/subjects/s6"
printf '{"type": "record", "name": "Other", "fields": []}\n' >"$tmp/work/subjects/s6/v1.avsc"
printf '{"subject": "s6", "version": 1, "id": 5, "deleted": false, "ts": 0, "references": []}\n' \
	>"$tmp/work/subjects/s6/v1.json"
W add -A && W commit -qm "id 5 again, another schema"
push_refused "hard-deleted id re-added with different content" "Id 5 is issued again"
bypass "hard-deleted id re-added" "Id 5 is issued again"
check "the next registration gets id 6" test "$(register s7 "$(rec G)")" = 6
good=$(head_of)
W fetch -q origin && W reset -q --hard origin/main

# 6. pushes the registry accepts still land: a new version by hand, and a
#    soft delete followed by a hard delete in one push
mkdir -p "$tmp/work/subjects/s8"
printf '{"type": "record", "name": "H", "fields": []}\n' >"$tmp/work/subjects/s8/v1.avsc"
printf '{"subject": "s8", "version": 1, "id": 100, "deleted": false, "ts": 0, "references": []}\n' \
	>"$tmp/work/subjects/s8/v1.json"
W add -A && W commit -qm "s8 v1 by hand"
sed -i 's/"deleted": false/"deleted": true/' "$tmp/work/subjects/s1/v1.json"
W commit -qam "soft-delete s1 v1"
W rm -q subjects/s1/v1.avsc subjects/s1/v1.json && W commit -qm "hard-delete s1 v1"
out=$(W push origin HEAD:main 2>&1)
check "a good push (new version; soft then hard delete) passes the hook" test $? = 0
check "... and is served: s8 id 100, s1 gone, /health 200" bash -c \
	"sleep 1.5; [ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/schemas/ids/100) \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/subjects/s1/versions) \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/health)\" = '200 404 200' ]"
check "refs/regit/served follows the accepted push" test "$(served)" = "$(head_of)"
check "pushing to refs/regit/served is refused" bash -c "! git -C '$tmp/work' push -q origin HEAD~2:refs/regit/served 2>/dev/null"
good=$(head_of)

# 7. a bad head that lands while no server runs; the restart (from a moved
#    binary) serves the served state, and the hook follows the binary
stop
W reset -q --hard "$first"
W push -q "$store" +HEAD:refs/bypass/tmp 2>/dev/null
git --git-dir="$store" update-ref refs/heads/main "$(W rev-parse HEAD)"
git --git-dir="$store" update-ref -d refs/bypass/tmp
mkdir -p "$tmp/moved"
cp "$REGIT" "$tmp/moved/regit"
if start "$tmp/moved/regit"; then ok "restart on a rolled-back head"; else nok "restart on a rolled-back head: $(tail -3 "$tmp/err")"; fi
check "restart: /health 503 naming the rollback" bash -c \
	"curl -s http://127.0.0.1:$port/health | grep -q 'does not descend from the served head'"
check "restart: the served state answers (id 3, id 6)" test \
	"$(status GET /schemas/ids/3) $(status GET /schemas/ids/6)" = "200 200"
check "restart: writes are 5xx, no id reissued" bash -c \
	"[ \$(curl -s -o /dev/null -w '%{http_code}' -H '$CT' -d '{\"schema\":\"\\\"long\\\"\"}' \
	http://127.0.0.1:$port/subjects/w/versions) -ge 500 ]"
check "the hook now names the moved binary" grep -qF "REGIT='$tmp/moved/regit'" "$hook"
git --git-dir="$store" update-ref refs/heads/main "$good"
check "reset to the served head after the restart: 200" wait_health 200
check "next id after everything: 101 (never reissued)" test "$(register s9 "$(rec I)")" = 101
rm -f "$tmp/moved/regit"
W fetch -q origin && W reset -q --hard origin/main
W commit -q --allow-empty -m "nothing"
out=$(W push origin HEAD:main 2>&1)
check "with the binary gone the hook lets a push through, saying it did not check" bash -c \
	"[ $? = 0 ] && grep -q 'is gone' <<<'$out'"
stop

# 8. regit verify
v="$tmp/verify.out"
"$REGIT" verify "$store" >"$v" 2>"$tmp/verify.err"
check "regit verify: the store's whole history passes (exit 0)" test $? = 0
check "regit verify: says how many commits it checked" grep -qE '[0-9]+ commits checked, 0 refused' "$tmp/verify.err"
empty=$(git --git-dir="$store" mktree </dev/null)
bad=$(git --git-dir="$store" commit-tree "$empty" -p main -m "empty tree")
git --git-dir="$store" update-ref refs/heads/main "$bad"
"$REGIT" verify "$store" >"$v" 2>"$tmp/verify.err"
check "regit verify: a refused commit exits 1" test $? = 1
check "regit verify: the finding names the store, the commit and the rule" \
	grep -qE "^$store@${bad:0:12}: error: The next id went back" "$v"
"$REGIT" verify --format json "$store" >"$v" 2>/dev/null
check "regit verify --format json: ok false, the commit, the message" bash -c \
	"grep -q '\"ok\": false' '$v' && grep -q '\"commit\": \"$bad\"' '$v' && grep -q 'next id went back' '$v'"
"$REGIT" verify --from "$good" --to "$good" "$store" >/dev/null 2>&1
check "regit verify --from REV --to REV: nothing to check, exit 0" test $? = 0
"$REGIT" verify --from main~1 "$store" >"$v" 2>/dev/null
check "regit verify --from main~1: checks only the range, exit 1" bash -c \
	"[ \$(wc -l <'$v') = 1 ] && grep -q '${bad:0:12}' '$v'"
git --git-dir="$store" update-ref refs/heads/main "$good"
"$REGIT" verify --from nosuchrev "$store" >/dev/null 2>"$tmp/verify.err"
check "regit verify: an unknown revision exits 2" test $? = 2
"$REGIT" verify "$tmp/nothere" >/dev/null 2>"$tmp/verify.err"
check "regit verify: a path that is no repository exits 2 (and is not created)" bash -c \
	"[ $? = 2 ] && [ ! -e '$tmp/nothere' ]"
"$REGIT" verify --bogus >/dev/null 2>&1
check "regit verify: bad usage exits 2" test $? = 2
"$REGIT" verify "$tmp/work" >/dev/null 2>&1
check "regit verify: a non-bare clone of the store works" test $? = 0

echo "1..$n"
[ "$fails" = 0 ]
