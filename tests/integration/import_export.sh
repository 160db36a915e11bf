#!/usr/bin/env bash
# import_export.sh - `regit import` and `regit export` between real `regit
# serve` processes on random loopback ports, each with a temporary store:
# the source (with --auth) holds references, soft-deleted versions, a
# version gap, a soft-deleted subject, subject configs and modes; the
# copies must keep every id, version and reference, put the target's mode
# back, copy nothing on a rerun, stop on an id conflict naming both
# schemas, honour --subject-prefix, and never show or misdirect passwords.
set -u
cd "$(dirname "$0")/../.."

REGIT_BIN=${REGIT_BIN:-$PWD/build/regit}
TMP=$(mktemp -d)
N=0
PIDS=()
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
unset REGIT_REGISTRY_AUTH REGIT_IMPORT_FROM_AUTH REGIT_REGISTRY_URL

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); echo "not ok $N - $*"; }

# run CMD...: $OUT, $ERR, $RC
run() {
	"$REGIT_BIN" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# expect DESC RC: the last run's exit code
expect() {
	if [ "$RC" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1 (exit $RC, want $2)"
		printf '%s\n' "$OUT" | head -5 | sed 's/^/#   stdout: /'
		printf '%s\n' "$ERR" | head -5 | sed 's/^/#   stderr: /'
	fi
}

# has DESC TEXT...: stdout or stderr of the last run holds every TEXT
has() {
	local desc=$1 t
	shift
	for t in "$@"; do
		case "$OUT$ERR" in
		*"$t"*) ;;
		*) not_ok "$desc (lacks '$t')"
		   printf '%s\n' "$OUT$ERR" | head -8 | sed 's/^/#   /'
		   return 1 ;;
		esac
	done
	ok "$desc"
}

# lacks DESC TEXT: neither stdout nor stderr holds TEXT
lacks() {
	case "$OUT$ERR" in
	*"$2"*) not_ok "$1 ('$2' printed)" ;;
	*) ok "$1" ;;
	esac
}

# start NAME [serve options...]: a server on a free port; sets URL_<NAME>
start() {
	local name=$1 port= pid
	shift
	"$REGIT_BIN" serve --listen 127.0.0.1:0 --store "$TMP/$name.git" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1 100); do
		port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/$name.out" 2>/dev/null | head -1)
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		not_ok "server $name starts"
		sed 's/^/#   /' "$TMP/$name.err"
		exit 1
	fi
	printf -v "URL_$name" '%s' "http://127.0.0.1:$port"
}

# commits NAME: how many commits the store of server NAME has
commits() { git --git-dir "$TMP/$1.git" rev-list --count --all; }

# dump URL [USER:PASS]: the registry's content, one JSON line per version:
# [subject, version, id, deleted, references, schema], plus one each for
# the subject's config and mode - what an import must reproduce
dump() {
	python3 - "$@" <<'PY'
import base64, json, sys, urllib.parse, urllib.request
url = sys.argv[1]
auth = sys.argv[2] if len(sys.argv) > 2 else None
def get(path):
    req = urllib.request.Request(url + path)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise
q = urllib.parse.quote
for s in get("/subjects?deleted=true"):
    live = set(get("/subjects/%s/versions" % q(s, safe="")) or [])
    for v in get("/subjects/%s/versions?deleted=true" % q(s, safe="")):
        e = get("/subjects/%s/versions/%d?deleted=true" % (q(s, safe=""), v))
        print(json.dumps([s, v, e["id"], v not in live, e.get("references", []), e["schema"]]))
    print(json.dumps([s, "config", get("/config/%s" % q(s, safe=""))]))
    print(json.dumps([s, "mode", get("/mode/%s" % q(s, safe=""))]))
PY
}

# ---- the source: --auth, admin to fill it, reader to copy from it ------------
printf 'apw\n' | "$REGIT_BIN" passwd "$TMP/users" admin admin >/dev/null 2>&1
printf 'S3cretRPW\n' | "$REGIT_BIN" passwd "$TMP/users" reader read >/dev/null 2>&1
start SRC --auth "$TMP/users"
start DST
start CONFLICT
start PREFIX
start FAIL
start RESTORE
start BIG
start BIGCOPY
ok "eight servers start"
SRC=$URL_SRC DST=$URL_DST

cat >"$TMP/addr1.avsc" <<'EOF'
{"type": "record", "name": "Address", "namespace": "shop",
 "fields": [{"name": "city", "type": "string"}]}
EOF
cat >"$TMP/addr2.avsc" <<'EOF'
{"type": "record", "name": "Address", "namespace": "shop",
 "fields": [{"name": "city", "type": "string"},
            {"name": "zip", "type": "string", "default": ""}]}
EOF
cat >"$TMP/addr3.avsc" <<'EOF'
{"type": "record", "name": "Address", "namespace": "shop",
 "fields": [{"name": "city", "type": "string"},
            {"name": "zip", "type": "string", "default": ""},
            {"name": "country", "type": "string", "default": "NL"}]}
EOF
cat >"$TMP/cust.avsc" <<'EOF'
{"type": "record", "name": "Customer", "namespace": "shop",
 "fields": [{"name": "addr", "type": "Address"}]}
EOF
cat >"$TMP/order.avsc" <<'EOF'
{"type": "record", "name": "Order", "namespace": "shop",
 "fields": [{"name": "id", "type": "long"}]}
EOF
cat >"$TMP/order2.avsc" <<'EOF'
{"type": "record", "name": "Order", "namespace": "shop",
 "fields": [{"name": "id", "type": "long"}, {"name": "n", "type": "int", "default": 0}]}
EOF
cat >"$TMP/gone.avsc" <<'EOF'
{"type": "enum", "name": "Gone", "symbols": ["A"]}
EOF
cat >"$TMP/mine.avsc" <<'EOF'
{"type": "fixed", "name": "Mine", "size": 4}
EOF

export REGIT_REGISTRY_AUTH=admin:apw
fill_ok=1
f() { "$REGIT_BIN" "$@" --registry "$SRC" >/dev/null 2>"$TMP/fill.err" || { fill_ok=0; cat "$TMP/fill.err"; }; }
f register --subject addr "$TMP/addr1.avsc"                      # id 1, v1
f register --subject addr "$TMP/addr2.avsc"                      # id 2, v2
f register --subject cust-value --reference shop.Address=addr:2 "$TMP/cust.avsc"   # id 3
f register --subject 'orders value/x' "$TMP/order.avsc"          # id 4, v1
f register --subject 'orders value/x' "$TMP/order2.avsc"         # id 5, v2
f register --subject gone "$TMP/gone.avsc"                       # id 6
f delete --subject addr --version 1                              # soft-deleted, under no referrer
f delete --subject 'orders value/x' --version 1 --permanent      # a gap: only v2 stays
f delete --subject gone                                          # a whole subject soft-deleted
f config --subject cust-value FULL
f config --subject 'orders value/x' NONE
f config --subject 'orders value/x' --rules avro
f config BACKWARD
CT='Content-Type: application/json'
# put URL BODY [USER:PASS] / post URL BODY [USER:PASS]: curl, failing on an error status
put() { curl -s -f ${3:+-u "$3"} -X PUT -H "$CT" -d "$2" "$1" >/dev/null || fill_ok=0; }
post() { curl -s -f ${3:+-u "$3"} -H "$CT" -d "$2" "$1" >/dev/null || fill_ok=0; }
put "$SRC/mode/cust-value" '{"mode":"READONLY"}' admin:apw
# Ids need not follow references: imported into the source, place (id 90,
# version 5) references zone (id 100), so a copy by id alone would fail.
put "$SRC/mode?force=true" '{"mode":"IMPORT"}' admin:apw
post "$SRC/subjects/zone/versions" \
	'{"schema":"{\"type\":\"enum\",\"name\":\"Zone\",\"namespace\":\"geo\",\"symbols\":[\"N\",\"S\"]}","id":100,"version":1}' admin:apw
post "$SRC/subjects/place/versions" \
	'{"schema":"{\"type\":\"record\",\"name\":\"Place\",\"namespace\":\"geo\",\"fields\":[{\"name\":\"z\",\"type\":\"Zone\"}]}","references":[{"name":"geo.Zone","subject":"zone","version":1}],"id":90,"version":5}' admin:apw
put "$SRC/mode" '{"mode":"READWRITE"}' admin:apw
[ "$fill_ok" = 1 ] && ok "the source is filled" || not_ok "filling the source"
unset REGIT_REGISTRY_AUTH
dump "$SRC" admin:apw >"$TMP/src.dump"

# ---- usage ----------------------------------------------------------------------
run import --registry "$DST"
expect "import without --from: exit 2" 2
has "... says what is missing" "--from SOURCE_URL is required"
run import --help
expect "import --help" 0
has "import --help lists the options" --from-user-file --subject-prefix REGIT_IMPORT_FROM_AUTH --dry-run
run export
expect "export without DIR: exit 2" 2
run export --help
expect "export --help" 0

# ---- credentials ------------------------------------------------------------------
REGIT_REGISTRY_AUTH=reader:S3cretRPW run import --from "$SRC" --registry "$DST"
expect "the target's credentials are never sent to the source: 401" 2
has "... the error names the source" "source $SRC" 401
run import --from "$SRC" --registry "$DST" --from-user reader:WrongPW123
expect "a wrong source password: exit 2" 2
lacks "... and it is not printed" WrongPW123
has "... --from-user warns that it is visible" "visible to other local users"
run import --from "http://reader:WrongPW123@${SRC#http://}" --registry "$DST"
expect "a wrong password in the source URL: exit 2" 2
lacks "... and the URL is shown redacted" WrongPW123
REGIT_IMPORT_FROM_AUTH=reader:S3cretRPW run import --from "$SRC" --registry http://127.0.0.1:1
expect "an unreachable target: exit 2" 2
has "... named as the target" "target http://127.0.0.1:1"
[ "$(commits DST)" = 0 ] && ok "nothing reached the target" || not_ok "target has $(commits DST) commits"

# ---- the copy ---------------------------------------------------------------------
before=$(commits DST)
REGIT_IMPORT_FROM_AUTH=reader:S3cretRPW run import --from "$SRC" --registry "$DST" --dry-run
expect "import --dry-run" 0
has "... lists what it would do" "would copy addr version 1 (id 1)" "would soft-delete gone version 1"
[ "$(commits DST)" = "$before" ] && ok "... and writes nothing" || not_ok "dry run wrote"

REGIT_IMPORT_FROM_AUTH=reader:S3cretRPW run import --from "$SRC" --registry "$DST"
expect "import with \$REGIT_IMPORT_FROM_AUTH" 0
has "... copies every version, soft-deleted ones too" \
	"copied addr version 1 (id 1)" "copied cust-value version 1 (id 3)" \
	"copied orders value/x version 2 (id 5)" "soft-deleted addr version 1" \
	"soft-deleted gone version 1" "target mode back to READWRITE"
lacks "... the source password is not printed" S3cretRPW
# references before their referrers: addr v2 (id 2) is copied before cust-value (id 3)
order=$(printf '%s\n' "$OUT" | grep -n '^copied' | tr '\n' ' ')
case "$order" in
*"addr version 2"*"cust-value"*"place version 5 (id 90)"*) ;;
*) not_ok "copy order: $order" ;;
esac
case "$order" in
*"zone version 1 (id 100)"*"place version 5 (id 90)"*) ok "a referenced version is copied before its referrer, else by id" ;;
*) not_ok "copy order: $order" ;;
esac
dump "$DST" >"$TMP/dst.dump"
if diff "$TMP/src.dump" "$TMP/dst.dump" >"$TMP/diff"; then
	ok "the target has the same subjects, versions, ids, deleted flags, references, schemas, configs and modes"
else
	not_ok "source and target differ"
	sed 's/^/#   /' "$TMP/diff" | head -20
fi
[ "$(curl -s "$DST/mode")" = '{"mode":"READWRITE"}' ] && ok "the target's global mode is back to READWRITE" ||
	not_ok "target mode: $(curl -s "$DST/mode")"
[ "$(curl -s "$DST/config")" = '{"compatibilityLevel":"BACKWARD"}' ] &&
	ok "the global config is copied" || not_ok "global config: $(curl -s "$DST/config")"

# ---- a rerun ------------------------------------------------------------------------
printf 'reader:S3cretRPW\n' >"$TMP/from-cred"
chmod 600 "$TMP/from-cred"
before=$(commits DST)
run import --from "$SRC" --registry "$DST" --from-user-file "$TMP/from-cred"
expect "a rerun (--from-user-file)" 0
has "... copies nothing" "copied 0 versions (0 soft-deleted), 7 already there, 0 configs and 0 modes set"
[ "$(commits DST)" = "$before" ] && ok "... and writes no commit" || not_ok "rerun wrote $(( $(commits DST) - before )) commits"

REGIT_REGISTRY_AUTH=admin:apw "$REGIT_BIN" register --registry "$SRC" --subject addr "$TMP/addr3.avsc" >/dev/null 2>&1
fill_ok=1
put "$DST/mode/addr" '{"mode":"READONLY"}'
run import --from "$SRC" --registry "$DST" --from-user-file "$TMP/from-cred" --format json
expect "a rerun after the source changed, into a READONLY subject" 0
[ "$OUT" = '{"copied":1,"soft_deleted":0,"present":7,"configs":0,"modes":0,"dry_run":false}' ] &&
	ok "... copies only the new version (json summary)" || not_ok "summary: $OUT"
[ "$(curl -s "$DST/mode/addr")" = '{"mode":"READONLY"}' ] && ok "... and puts the subject's mode back" ||
	not_ok "subject mode: $(curl -s "$DST/mode/addr")"
curl -s -f -X DELETE "$DST/mode/addr" >/dev/null || fill_ok=0
[ "$fill_ok" = 1 ] || not_ok "setting the target's subject mode"
dump "$SRC" admin:apw >"$TMP/src.dump"
dump "$DST" | grep -v '^\["new",' >"$TMP/dst.dump"
diff -q "$TMP/src.dump" "$TMP/dst.dump" >/dev/null && ok "... and the copies agree again" ||
	not_ok "source and target differ after the rerun"
run register --registry "$DST" --subject new "$TMP/mine.avsc"
expect "the target takes new schemas" 0
has "... with ids after the imported ones" "(id 102)"

# ---- an id conflict -----------------------------------------------------------------
"$REGIT_BIN" register --registry "$URL_CONFLICT" --subject mine "$TMP/mine.avsc" >/dev/null 2>&1
before=$(commits CONFLICT)
run import --from "$SRC" --registry "$URL_CONFLICT" --from-user-file "$TMP/from-cred"
expect "an id the target uses for another schema: exit 1" 1
has "... the error names both schemas" "id 1 is subject 'addr' version 1 in the source" \
	"subject 'mine' version 1 in the target"
[ "$(commits CONFLICT)" = "$before" ] && ok "... and nothing was written" ||
	not_ok "the conflicting import wrote"
[ "$(curl -s "$URL_CONFLICT/mode")" = '{"mode":"READWRITE"}' ] && ok "... the mode is untouched" ||
	not_ok "mode: $(curl -s "$URL_CONFLICT/mode")"

# ---- a failure half-way ------------------------------------------------------
# The target has addr version 1 (same id, same schema) and a live schema
# referencing it, so the soft delete that catches up with the source fails
# after the new versions are in: the mode must still be put back.
fill_ok=1
put "$URL_FAIL/mode" '{"mode":"IMPORT"}'
post "$URL_FAIL/subjects/addr/versions" \
	'{"schema":"{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"shop\",\"fields\":[{\"name\":\"city\",\"type\":\"string\"}]}","id":1,"version":1}'
post "$URL_FAIL/subjects/holder/versions" \
	'{"schema":"{\"type\":\"record\",\"name\":\"H\",\"fields\":[{\"name\":\"a\",\"type\":\"shop.Address\"}]}","references":[{"name":"shop.Address","subject":"addr","version":1}],"id":500,"version":1}'
put "$URL_FAIL/mode" '{"mode":"READONLY"}'
[ "$fill_ok" = 1 ] && ok "a target with a live referrer of addr version 1" || not_ok "filling FAIL"
run import --from "$SRC" --registry "$URL_FAIL" --from-user-file "$TMP/from-cred"
expect "the soft delete is refused: exit 2" 2
has "... with the target's reason" "42206"
has "... after copying the new versions" "copied addr version 2 (id 2)"
[ "$(curl -s "$URL_FAIL/mode")" = '{"mode":"READONLY"}' ] && ok "... and the target's mode is put back" ||
	not_ok "mode after the failure: $(curl -s "$URL_FAIL/mode")"

# ---- interrupted --------------------------------------------------------------
# SIGINT while copying: the request in flight finishes, the mode goes back,
# and a rerun completes the copy.
python3 - "$URL_BIG" <<'PY' && ok "a source with 150 subjects" || not_ok "filling BIG"
import json, sys, urllib.request
for i in range(150):
    body = json.dumps({"schema": json.dumps({"type": "fixed", "name": "F%d" % i, "size": i + 1})})
    req = urllib.request.Request(sys.argv[1] + "/subjects/s%03d/versions" % i, body.encode(),
                                 {"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
PY
"$REGIT_BIN" import --from "$URL_BIG" --registry "$URL_BIGCOPY" >"$TMP/big.out" 2>"$TMP/big.err" &
big=$!
for _ in $(seq 1 400); do
	[ "$(curl -s "$URL_BIGCOPY/mode")" = '{"mode":"IMPORT"}' ] && break
	sleep 0.02
done
kill -INT "$big"
wait "$big"
RC=$? OUT=$(cat "$TMP/big.out") ERR=$(cat "$TMP/big.err")
expect "SIGINT during an import: exit 2" 2
has "... says so" "interrupted by signal 2; a rerun continues" "target mode back to READWRITE"
[ "$(curl -s "$URL_BIGCOPY/mode")" = '{"mode":"READWRITE"}' ] && ok "... and the mode is READWRITE again" ||
	not_ok "mode after SIGINT: $(curl -s "$URL_BIGCOPY/mode")"
copied=$(printf '%s\n' "$OUT" | grep -c '^copied s')
[ "$copied" -lt 150 ] && ok "... before everything was copied ($copied of 150)" ||
	not_ok "the import finished before the signal ($copied)"
run import --from "$URL_BIG" --registry "$URL_BIGCOPY" --format json
[ "$(printf '%s' "$OUT" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["copied"] + j["present"], j["present"])')" = "150 $copied" ] &&
	ok "a rerun copies the rest" || not_ok "rerun after SIGINT: $OUT (copied before: $copied)"

# ---- --subject-prefix ---------------------------------------------------------------
run import --from "$SRC" --registry "$URL_PREFIX" --from-user-file "$TMP/from-cred" --subject-prefix cust
expect "import --subject-prefix cust" 0
run subjects --registry "$URL_PREFIX" --deleted
[ "$OUT" = "$(printf 'addr\ncust-value')" ] &&
	ok "... copies the matching subjects and the ones they reference" || not_ok "subjects: $OUT"
[ "$(curl -s "$URL_PREFIX/config")" = '{"compatibilityLevel":"FULL_TRANSITIVE"}' ] &&
	ok "... and leaves the global config alone" || not_ok "global config: $(curl -s "$URL_PREFIX/config")"
[ "$(curl -s "$URL_PREFIX/mode/cust-value")" = '{"mode":"READONLY"}' ] &&
	ok "... with the subject's mode" || not_ok "subject mode: $(curl -s "$URL_PREFIX/mode/cust-value")"

# ---- export -------------------------------------------------------------------------
run export "$TMP/exp" --registry "$SRC" --user-file "$TMP/from-cred"
expect "export DIR" 0
has "... says what it wrote" "exported 6 subjects, 8 versions to $TMP/exp"
[ -f "$TMP/exp/subjects/addr/v1.avsc" ] && [ -f "$TMP/exp/subjects/orders%20value%2Fx/v2.avsc" ] &&
	[ ! -e "$TMP/exp/subjects/orders%20value%2Fx/v1.avsc" ] && [ -f "$TMP/exp/subjects/gone/v1.avsc" ] &&
	ok "... one .avsc per version, soft-deleted ones too, subject names encoded" ||
	{ not_ok "exported files"; find "$TMP/exp" | sed 's/^/#   /'; }
run check "$TMP/exp/subjects/addr/v3.avsc" "$TMP/exp/subjects/addr/v2.avsc"
expect "... files regit check reads" 0
check=$(python3 - "$TMP/exp/manifest.json" "$TMP/src.dump" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
rows = {}
for line in open(sys.argv[2]):
    row = json.loads(line)
    if isinstance(row[1], int):
        rows[(row[0], row[1])] = (row[2], row[3])
got = {}
for sub in m["subjects"]:
    for v in sub["versions"]:
        got[(sub["subject"], v["version"])] = (v["id"], v["deleted"])
by = {s["subject"]: s for s in m["subjects"]}
refs = by["cust-value"]["versions"][0].get("references")
print(got == rows, refs == [{"name": "shop.Address", "subject": "addr", "version": 2}],
      by["cust-value"].get("mode"), by["cust-value"]["config"]["compatibilityLevel"],
      m["config"]["compatibilityLevel"], "apw" in open(sys.argv[1]).read())
PY
)
[ "$check" = "True True READONLY FULL BACKWARD False" ] &&
	ok "manifest.json: every id and deleted flag, references, subject and global config and mode" ||
	not_ok "manifest: $check"
run import --from "$TMP/exp" --registry "$URL_RESTORE"
expect "import --from DIR: an export restored into an empty registry" 0
dump "$URL_RESTORE" >"$TMP/restore.dump"
if diff "$TMP/src.dump" "$TMP/restore.dump" >"$TMP/diff"; then
	ok "... with the same subjects, versions, ids, deleted flags, references, schemas, configs and modes"
else
	not_ok "source and restored copy differ"
	sed 's/^/#   /' "$TMP/diff" | head -20
fi
run import --from "$TMP/exp" --registry "$URL_RESTORE" --format json
[ "$OUT" = '{"copied":0,"soft_deleted":0,"present":8,"configs":0,"modes":0,"dry_run":false}' ] &&
	ok "... and again: nothing to copy" || not_ok "second restore: $OUT"
run import --from "$TMP/exp" --registry "$URL_RESTORE" --subject-prefix cust
expect "import --from DIR --subject-prefix: usage error" 2
mkdir "$TMP/bad"
printf '{"format": 1, "subjects": [{"subject": "a", "versions": [{"version": 1}]}]}\n' >"$TMP/bad/manifest.json"
run import --from "$TMP/bad" --registry "$URL_RESTORE"
expect "import --from DIR with a malformed manifest: exit 2" 2
has "... names the file and the entry" "$TMP/bad/manifest.json: subject 'a': version entry 0"
run import --from "$TMP/nothing" --registry "$URL_RESTORE"
expect "import --from a directory without a manifest: exit 2" 2
has "... says so" "not a \`regit export\` directory"

run export "$TMP/exp" --registry "$SRC" --user-file "$TMP/from-cred"
expect "export into a non-empty directory: exit 2" 2
has "... says why" "not empty"
run export "$TMP/exp2" --registry "$SRC" --user-file "$TMP/from-cred" --subject-prefix cust --format json
expect "export --subject-prefix" 0
[ "$OUT" = "{\"dir\":\"$TMP/exp2\",\"subjects\":2,\"versions\":4}" ] && ok "... the prefix and what it references" ||
	not_ok "export --subject-prefix: $OUT"

echo "1..$N"
