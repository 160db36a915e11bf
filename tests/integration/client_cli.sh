#!/usr/bin/env bash
# client_cli.sh - the registry client commands (register, get, subjects,
# versions, test, config, delete) against the real `regit serve` on a random
# loopback port with a temporary store: outputs, exit codes (0 ok, 1 the
# answer is no, 2 usage/invalid/server/network) and error messages.
#
# Set CLIENT_TEST_REGISTRY=URL to run against an already running, empty
# registry instead of starting one (for development).
set -u
cd "$(dirname "$0")/../.."

REGIT_BIN=${REGIT_BIN:-$PWD/build/regit}
TMP=$(mktemp -d)
N=0
SRV_PID=
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
unset REGIT_REGISTRY_AUTH

cleanup() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
	fi
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

# expect DESC RC [OUT_EXACT]: check the last run's exit code (and stdout)
expect() {
	local desc=$1 rc=$2
	if [ "$RC" != "$rc" ]; then
		not_ok "$desc (exit $RC, want $rc)"
		echo "#   stdout: $OUT" | head -5
		echo "#   stderr: $ERR" | head -5
		return 1
	fi
	if [ $# -ge 3 ] && [ "$OUT" != "$3" ]; then
		not_ok "$desc (stdout differs)"
		printf '#   got:  %s\n#   want: %s\n' "$OUT" "$3"
		return 1
	fi
	ok "$desc"
}

# expect_no DESC TEXT: neither stdout nor stderr of the last run holds TEXT
expect_no() {
	case "$OUT$ERR" in
	*"$2"*) not_ok "$1 ('$2' printed)"; echo "#   stderr: $ERR" | head -5 ;;
	*) ok "$1" ;;
	esac
}

# warnings WORD: how many stderr lines of the last run are warnings about WORD
warnings() { printf '%s\n' "$ERR" | grep -c "warning: .*$1"; }

# expect_err DESC RC SUBSTRING: exit code and a piece of stderr
expect_err() {
	local desc=$1 rc=$2 pat=$3
	if [ "$RC" != "$rc" ]; then
		not_ok "$desc (exit $RC, want $rc)"
		echo "#   stderr: $ERR" | head -5
		return 1
	fi
	case "$ERR" in
	*"$pat"*) ok "$desc" ;;
	*) not_ok "$desc (stderr lacks '$pat')"; echo "#   stderr: $ERR" | head -5 ;;
	esac
}

# json_get EXPR: evaluate a Python expression on the JSON in $OUT (as j)
json_get() {
	printf '%s' "$OUT" | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)" 2>&1
}

if [ -n "${CLIENT_TEST_REGISTRY:-}" ]; then
	URL=$CLIENT_TEST_REGISTRY
else
	"$REGIT_BIN" serve --listen 127.0.0.1:0 --store "$TMP/store.git" \
		>"$TMP/serve.out" 2>"$TMP/serve.err" &
	SRV_PID=$!
	port=
	for _ in $(seq 1 100); do
		port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/serve.out" 2>/dev/null | head -1)
		[ -n "$port" ] && break
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		not_ok "server starts"
		sed 's/^/#   /' "$TMP/serve.err"
		exit 1
	fi
	URL=http://127.0.0.1:$port
	ok "server starts on port $port"
fi
export REGIT_REGISTRY_URL=$URL

# ---- schema files ----------------------------------------------------------
V1=$TMP/v1.avsc V2=$TMP/v2.avsc V3=$TMP/v3.avsc BAD=$TMP/bad.avsc
cat >"$V1" <<'EOF'
{"type": "record", "name": "Order", "namespace": "shop",
 "fields": [{"name": "id", "type": "long"}]}
EOF
cat >"$V2" <<'EOF'
{"type": "record", "name": "Order", "namespace": "shop",
 "fields": [{"name": "id", "type": "long"},
            {"name": "note", "type": "string", "default": ""}]}
EOF
# Incompatible with both under any level and rules: id changes type.
cat >"$BAD" <<'EOF'
{"type": "record", "name": "Order", "namespace": "shop",
 "fields": [{"name": "id", "type": "string"},
            {"name": "note", "type": "string", "default": ""}]}
EOF
cp "$BAD" "$V3"
printf '{"type": "record",\n  "name": ' >"$TMP/broken.avsc"
echo '{"type": "record", "name": "1bad", "fields": []}' >"$TMP/invalid.avsc"

S='orders/v1 é?&#%2F'     # every character a URL would misread

# ---- help and usage ----------------------------------------------------------
for c in register get lookup subjects versions test config delete; do
	run $c --help
	if [ "$RC" = 0 ] && [[ "$OUT" == usage:\ regit\ $c* ]]; then
		ok "$c --help"
	else
		not_ok "$c --help (exit $RC)"
	fi
done
run register "$V1"
expect_err "register without --subject is a usage error" 2 "--subject"
run register --subject "$S"
expect_err "register without a file is a usage error" 2 "missing the schema file"
run get --subject "$S" --bogus
expect_err "unknown option is a usage error" 2 "unknown option '--bogus'"
run get --subject "$S" --version 0
expect_err "version 0 is a usage error" 2 "--version"
run get --id 1 --subject "$S"
expect_err "--id with --subject is a usage error" 2 "not both"
run subjects --format yaml
expect_err "unknown --format is a usage error" 2 "text or json"
run subjects --timeout -1
expect_err "negative --timeout is a usage error" 2 "--timeout"
run subjects --registry ftp://example
expect_err "non-http registry URL is refused" 2 "http://"

# ---- empty registry ----------------------------------------------------------
run subjects
expect "subjects on an empty registry: nothing, exit 0" 0 ""
run subjects --format json
expect "subjects --format json on an empty registry" 0 "[]"
run versions --subject "$S"
expect_err "versions of an unknown subject: exit 1, 40401" 1 "40401"
run get --subject "$S"
expect_err "get of an unknown subject: exit 1, 40401" 1 "40401"

# ---- register ----------------------------------------------------------------
run register --subject "$S" "$V1"
if [ "$RC" = 0 ] && [[ "$OUT" =~ ^registered\ .*\ version\ 1\ \(id\ ([0-9]+)\)$ ]]; then
	ID1=${BASH_REMATCH[1]}
	ok "register v1 prints version 1 and its id ($ID1)"
else
	ID1=0
	not_ok "register v1 (exit $RC: $OUT $ERR)"
fi
run register --subject "$S" --format json "$V1"
expect "register again is idempotent (json: same id, version 1)" 0 \
	"{\"subject\":\"$S\",\"id\":$ID1,\"version\":1}"
run register --subject "$S" --format json "$V2"
if [ "$RC" = 0 ] && [ "$(json_get 'j["version"], j["id"] != '"$ID1")" = "2 True" ]; then
	ID2=$(json_get 'j["id"]')
	ok "register compatible v2: version 2, new id"
else
	ID2=0
	not_ok "register v2 (exit $RC: $OUT $ERR)"
fi
run register --subject "$S" "$BAD"
expect_err "register an incompatible schema: exit 1, 409xx" 1 "incompatible: 409"
run register --subject "$S" "$TMP/broken.avsc"
expect_err "register a file that is not JSON: exit 2, file:line:col" 2 "broken.avsc:2:"
run register --subject "$S" "$TMP/invalid.avsc"
expect_err "register an invalid Avro schema: exit 2, checked locally with a position" 2 \
	"invalid.avsc:1:"
run register --subject "$S" "$TMP/missing.avsc"
expect_err "register a missing file: exit 2" 2 "missing.avsc"
run register --subject other-value "$V1"
expect "register the same schema under another subject" 0 \
	"registered other-value version 1 (id $ID1)"

# ---- get -------------------------------------------------------------------------
run get --subject "$S"
if [ "$RC" = 0 ] && [ "$(json_get '[f["name"] for f in j["fields"]]')" = "['id', 'note']" ]; then
	ok "get latest prints v2 as JSON"
else
	not_ok "get latest (exit $RC: $OUT $ERR)"
fi
if [ "$(printf '%s\n' "$OUT" | wc -l)" -gt 3 ]; then
	ok "get pretty-prints (several lines)"
else
	not_ok "get pretty-prints ($OUT)"
fi
run get --subject "$S" --version 1 --raw
if [ "$RC" = 0 ] && [ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ] &&
   [ "$(json_get '[f["name"] for f in j["fields"]]')" = "['id']" ]; then
	ok "get --version 1 --raw prints v1 on one line"
else
	not_ok "get --version 1 --raw (exit $RC: $OUT $ERR)"
fi
run get --subject "$S" --version 1 --format json
if [ "$RC" = 0 ] && [ "$(json_get 'j["subject"] == "'"$S"'", j["version"], j["id"]')" = "True 1 $ID1" ]; then
	ok "get --format json is the registry's entity"
else
	not_ok "get --format json (exit $RC: $OUT $ERR)"
fi
run get --id "$ID2" --format json
if [ "$RC" = 0 ] && [ "$(json_get '"note" in j["schema"]')" = True ]; then
	ok "get --id prints the schema with that id"
else
	not_ok "get --id (exit $RC: $OUT $ERR)"
fi
run get --id 999999
expect_err "get an unknown id: exit 1, 40403" 1 "40403"
run get --subject "$S" --version 7
expect_err "get an unknown version: exit 1, 40402" 1 "40402"

# ---- lookup ------------------------------------------------------------------------
# The same schema with other whitespace and key order is still found.
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), indent=4, sort_keys=True))' \
	"$V1" >"$TMP/v1-reordered.avsc"
run lookup --subject "$S" "$TMP/v1-reordered.avsc"
expect "lookup finds v1 by canonical form" 0 "$S version 1 (id $ID1)"
run lookup --subject "$S" --format json "$V2"
expect "lookup --format json" 0 "{\"subject\":\"$S\",\"version\":2,\"id\":$ID2}"
run lookup --subject "$S" "$BAD"
expect_err "lookup of an unregistered schema: exit 1, 40403" 1 "40403"
run lookup --subject nope "$V1"
expect_err "lookup under an unknown subject: exit 1, 40401" 1 "40401"
run lookup --subject "$S"
expect_err "lookup without a file is a usage error" 2 "missing the schema file"

# ---- subjects and versions -----------------------------------------------------
run subjects
expect "subjects lists both, sorted" 0 "$(printf '%s\n' other-value "$S" | LC_ALL=C sort)"
run subjects --prefix 'orders/'
expect "subjects --prefix filters (prefix encoded too)" 0 "$S"
run subjects --format json --prefix other
expect "subjects --format json" 0 '["other-value"]'
run versions --subject "$S"
expect "versions lists 1 and 2" 0 "$(printf '1\n2')"
run versions --subject "$S" --format json
expect "versions --format json" 0 "[1,2]"

# ---- test --------------------------------------------------------------------------
run test --subject "$S" "$V2"
expect "test a registered schema: compatible, exit 0" 0 "$V2: compatible with $S"
run test --subject "$S" "$BAD"
if [ "$RC" = 1 ] && [[ "$OUT" == "$BAD: incompatible with $S"* ]] &&
   [ "$(printf '%s\n' "$OUT" | wc -l)" -ge 2 ]; then
	ok "test an incompatible schema: exit 1 with the registry's findings"
else
	not_ok "test incompatible (exit $RC: $OUT $ERR)"
fi
# Findings as `check` prints them: FILE:LINE:COL: error: [RULE] ... (SUBJECT version N),
# at a real position of the file, not the registry's raw {errorType:'...'} strings.
finding=$(printf '%s\n' "$OUT" | sed -n 2p)
if [[ "$finding" =~ ^"$BAD":([0-9]+):([0-9]+):\ error:\ \[[A-Z_]+\]\ .*\("$S"\ version\ [0-9]+\)$ ]] &&
   [ "${BASH_REMATCH[1]}" -le "$(wc -l <"$BAD")" ] && [[ "$OUT" != *"errorType"* ]] &&
   [[ "$ERR" == *"problem"*"rules)"* ]]; then
	ok "test prints findings at FILE:LINE:COL like check, with a summary on stderr"
else
	not_ok "test findings style (exit $RC: $OUT | $ERR)"
fi
run test --subject "$S" --format json "$BAD"
if [ "$RC" = 1 ] && [ "$(json_get 'j["compatible"], len(j["messages"]) > 0, len(j["findings"]) > 0 and all(f["line"] > 0 and f["rule"] for f in j["findings"])')" = "False True True" ]; then
	ok "test --format json: compatible false with messages and positioned findings"
else
	not_ok "test --format json (exit $RC: $OUT $ERR)"
fi
run test --subject "$S" --version 1 --format json "$V2"
expect "test --version 1 against one version" 0 \
	'{"compatible":true,"new_subject":false,"findings":[],"messages":[]}'
run test --subject "$S" --version 9 "$V2"
expect_err "test against a missing version: exit 1 (the answer is no), 40402" 1 "40402"
# A CI gate fails closed: a misspelt subject must not pass as "compatible".
run test --subject brand-new "$BAD"
expect_err "test against a subject with no versions: exit 1, says so" 1 "has no versions"
run test --subject brand-new --allow-new "$BAD"
expect "test --allow-new accepts a subject with no versions" 0 \
	"$BAD: brand-new has no versions: nothing to test against (--allow-new: fine)"
run test --subject brand-new --allow-new --format json "$BAD"
if [ "$RC" = 0 ] && [ "$(json_get 'j["compatible"], j["new_subject"]')" = "True True" ]; then
	ok "test --format json says new_subject"
else
	not_ok "test --format json new_subject (exit $RC: $OUT $ERR)"
fi

# ---- config -------------------------------------------------------------------------
run config
if [ "$RC" = 0 ] && [[ "$OUT" =~ ^[A-Z_]+$ ]]; then
	GLOBAL=$OUT
	ok "config shows the global level ($GLOBAL)"
else
	GLOBAL=BACKWARD
	not_ok "config global (exit $RC: $OUT $ERR)"
fi
run config --subject "$S"
expect "a subject without a level shows the global one, marked" 0 "$GLOBAL (global)"
run config --subject "$S" --format json
expect "config --format json says inherited" 0 \
	"{\"compatibilityLevel\":\"$GLOBAL\",\"inherited\":true}"
run config --subject "$S" none
expect "config sets a subject level (any case in, upper case out)" 0 "NONE"
run config --subject "$S"
expect "config shows the subject's own level" 0 "NONE"
run register --subject "$S" "$V3"
if [ "$RC" = 0 ] && [[ "$OUT" == "registered $S version 3 (id "* ]]; then
	ok "with NONE the incompatible schema registers as version 3"
else
	not_ok "register under NONE (exit $RC: $OUT $ERR)"
fi
run config --subject "$S" SIDEWAYS
expect_err "an invalid level: exit 2, 42203" 2 "42203"
run config --subject "$S" --rules avro
expect "config --rules keeps the level" 0 "NONE; rules avro"
run config --subject "$S" --unset
expect "config --unset removes the subject config" 0 "removed the config of $S (was NONE)"
run config --subject "$S" --rules avro --format json
expect "a subject with only rules inherits the level" 0 \
	"{\"compatibilityLevel\":\"$GLOBAL\",\"inherited\":true,\"rules\":\"avro\",\"rulesInherited\":false}"
run config --subject "$S" --unset
expect "config --unset of a rules-only config" 0 "removed the config of $S"
run config --subject "$S" --rules maybe
expect_err "--rules other than strict|avro is a usage error" 2 "strict or avro"
run config --subject "$S" --unset
expect_err "config --unset with nothing to remove: exit 1" 1 "404"
run config --subject "$S" FULL --unset
expect_err "LEVEL with --unset is a usage error" 2 "not both"
# The lint policy ("regit.lint"): set, shown, applied, kept when the level changes.
LX=lint-policy-value
run config --subject "$LX" --lint enforce
expect "config --lint enforce: shown with the inherited level" 0 "$GLOBAL (global); lint enforce"
run config --subject "$LX" --format json
expect "config --format json has lint and lintInherited" 0 \
	"{\"compatibilityLevel\":\"$GLOBAL\",\"inherited\":true,\"lint\":\"enforce\",\"lintInherited\":false}"
run config --subject "$LX"
expect "config shows the subject's lint policy" 0 "$GLOBAL (global); lint enforce"
run register --subject "$LX" "$V1"
expect_err "under enforce a schema with lint errors is refused (42201)" 2 "42201"
run config --subject "$LX" FULL
expect "a LEVEL alone keeps the lint policy" 0 "FULL; lint enforce"
run config --subject "$LX" --lint=warn
expect "config --lint=warn changes it" 0 "FULL; lint warn"
run register --subject "$LX" "$V1"
if [ "$RC" = 0 ] && [[ "$OUT" == "registered $LX version 1 (id "* ]]; then
	ok "under warn the same schema registers"
else
	not_ok "register under lint warn (exit $RC: $OUT $ERR)"
fi
# (gone again, so that the listings below see only their own subjects)
run delete --subject "$LX"
run delete --subject "$LX" --permanent
run config --subject "$LX" --lint maybe
expect_err "--lint other than off|warn|enforce is a usage error" 2 "off, warn or enforce, not 'maybe'"
run config --subject "$LX" --lint off --unset
expect_err "--lint with --unset is a usage error" 2 "not both"
run config --lint off
expect "config --lint off sets the global policy" 0 "$GLOBAL; lint off"
run config --subject "$LX" --unset
run config --subject "$LX"
expect "a subject without its own policy shows the global one, marked" 0 "$GLOBAL (global); lint off (global)"

# ---- delete ---------------------------------------------------------------------------
run delete --subject "$S" --version 1
expect "soft delete of version 1" 0 "deleted $S version 1"
run versions --subject "$S"
expect "versions hides the soft-deleted version" 0 "$(printf '2\n3')"
run versions --subject "$S" --deleted
expect "versions --deleted shows it" 0 "$(printf '1\n2\n3')"
run get --subject "$S" --version 1 --deleted --raw
expect "get --deleted finds the soft-deleted version" 0 "$(cd "$TMP" && "$REGIT_BIN" get --id "$ID1" --raw)"
run delete --subject "$S" --version 1
expect_err "soft delete again: exit 1, 40406" 1 "40406"
run delete --subject "$S" --version 1 --permanent --format json
expect "permanent delete of a soft-deleted version" 0 \
	"{\"subject\":\"$S\",\"versions\":[1],\"permanent\":true}"
run versions --subject "$S" --deleted
expect "the version is gone even with --deleted" 0 "$(printf '2\n3')"
run delete --subject "$S" --version latest --permanent
expect "--permanent on a live latest version: soft, then hard, of version 3" 0 \
	"deleted $S version 3 permanently"
run delete --subject "$S"
expect "soft delete of the subject" 0 "deleted $S version 2"
run subjects
expect "subjects hides the soft-deleted subject" 0 "other-value"
run subjects --deleted
expect "subjects --deleted shows it" 0 "$(printf '%s\n' other-value "$S" | LC_ALL=C sort)"
run delete --subject "$S" --permanent
expect "permanent delete of the soft-deleted subject" 0 "deleted $S version 2 permanently"
run subjects --deleted
expect "the subject is gone" 0 "other-value"
run delete --subject "$S"
expect_err "delete of an unknown subject: exit 1, 40401" 1 "40401"
run delete --subject other-value --permanent --format json
expect "delete --permanent of a live subject in one step" 0 \
	'{"subject":"other-value","versions":[1],"permanent":true}'

# ---- schema references -------------------------------------------------------
ADDR=$TMP/addr.avsc CUST=$TMP/cust.avsc
cat >"$ADDR" <<'EOF'
{"type": "record", "name": "Address", "namespace": "shop",
 "fields": [{"name": "city", "type": "string"}]}
EOF
cat >"$CUST" <<'EOF'
{"type": "record", "name": "Customer", "namespace": "shop",
 "fields": [{"name": "addr", "type": "Address"}]}
EOF
run register --subject ref:addr --format json "$ADDR"
addr_id=$(json_get 'j["id"]')
run register --subject ref-cust "$CUST"
expect_err "register without the --reference: unknown type, located in the file" 2 \
	"cust.avsc:2:38: error: unknown type"
run register --subject ref-cust --reference shop.Address=ref:addr:latest --format json "$CUST"
expect "register --reference NAME=SUBJECT:latest (subject with a colon)" 0
cust_id=$(json_get 'j["id"]')
run get --subject ref-cust --format json
[ "$(json_get 'j["references"]')" = "[{'name': 'shop.Address', 'subject': 'ref:addr', 'version': 1}]" ] &&
	ok "get --format json keeps the references, latest resolved to 1" ||
	not_ok "references: $OUT"
run get --subject ref-cust
expect_err "get of a schema with references warns that it does not stand alone" 0 \
	"shop.Address=ref:addr:1"
run get --subject ref-cust --resolved
expect "get --resolved" 0
[ -z "$ERR" ] && ok "get --resolved: no warning" || not_ok "get --resolved printed: $ERR"
printf '%s\n' "$OUT" >"$TMP/cust-old.avsc"
run check "$TMP/cust-old.avsc" "$TMP/cust-old.avsc"
expect "get --resolved > old.avsc && check new old works" 0
run get --id "$cust_id" --resolved --raw
case "$OUT" in
*'"type":{"type":"record","name":"Address"'*) ok "get --id --resolved inlines the referenced type" ;;
*) not_ok "get --id --resolved: $OUT" ;;
esac
run get --subject ref-cust --resolved --format json
[ "$(json_get '"Address" in j["schema"] and len(j["references"]) == 1')" = True ] &&
	ok "get --resolved --format json: resolved text, references kept" ||
	not_ok "get --resolved --format json: $OUT"
run register --subject ref-cust --reference shop.Address=ref:addr:1 "$CUST"
expect "register again with the version number: the same version" 0 \
	"registered ref-cust version 1 (id $cust_id)"
run lookup --subject ref-cust --reference shop.Address=ref:addr:1 "$CUST"
expect "lookup --reference finds it" 0 "ref-cust version 1 (id $cust_id)"
run test --subject ref-cust --reference shop.Address=ref:addr:1 "$CUST"
expect "test --reference" 0
run register --subject ref-cust --reference shop.Address=ref:addr:9 "$CUST"
expect_err "a missing referenced version: exit 2, named" 2 "shop.Address=ref:addr:9: 40402"
run register --subject ref-cust --reference shop.Address=nope:1 "$CUST"
expect_err "a missing referenced subject: exit 2, named" 2 "shop.Address=nope:1: 40401"
for bad in shop.Address=ref-addr =ref:addr:1 shop.Address=:1 shop.Address=ref:addr:0 shop.Address=ref:addr:x; do
	run register --subject ref-cust --reference "$bad" "$CUST"
	expect_err "--reference '$bad' is a usage error" 2 "--reference"
done
[ "$addr_id" != "$cust_id" ] && ok "referenced and referencing schemas have their own ids" ||
	not_ok "ids $addr_id $cust_id"
run delete --subject ref:addr --permanent
expect_err "a referenced subject cannot be deleted" 2 "42206"
run delete --subject ref-cust --permanent
expect "the referencing subject goes first" 0
run delete --subject ref:addr --permanent
expect "then the referenced one" 0

# ---- subjects that try to be paths ---------------------------------------------------
i=0
for name in '..' '.' 'a/../b' '%2e%2e' 'sp ace+plus' 'ünï/cödé' 'x?deleted=true' 'tab	in'; do
	i=$((i + 1))
	run register --subject "$name" --format json "$V1"
	if [ "$name" = 'tab	in' ]; then
		# Control characters are invalid subjects (42208) on Confluent.
		expect_err "subject with a control character is refused" 2 "422"
		continue
	fi
	if [ "$RC" != 0 ]; then
		not_ok "register subject '$name' (exit $RC: $ERR)"
		continue
	fi
	run get --subject "$name" --format json
	if [ "$RC" = 0 ] && [ "$(json_get 'j["subject"]')" = "$name" ]; then
		ok "subject '$name' round-trips"
	else
		not_ok "subject '$name' round-trips (exit $RC: $OUT $ERR)"
	fi
done
run subjects
expect "subjects lists the odd names exactly" 0 \
	"$(printf '%s\n' '..' '.' 'a/../b' '%2e%2e' 'sp ace+plus' 'ünï/cödé' 'x?deleted=true' | LC_ALL=C sort)"

# ---- environment, network errors -------------------------------------------------------
run versions --subject '..' --registry "$URL/"
expect "--registry with a trailing slash works" 0 "1"
REGIT_REGISTRY_URL= run versions --subject '..' --registry "$URL"
expect "--registry works without the variable" 0 "1"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
run subjects --registry "http://127.0.0.1:$port"
expect_err "closed port: exit 2, cannot reach" 2 "cannot reach registry"
REGIT_REGISTRY_URL="http://127.0.0.1:$port" run subjects
expect_err "REGIT_REGISTRY_URL is used when --registry is absent" 2 "127.0.0.1:$port"
# issue #17: the password of a URL's userinfo is never printed
run subjects --registry "http://alice:S3cretPW@127.0.0.1:$port"
expect_err "URL credentials: the error shows the URL redacted" 2 "http://alice:***@127.0.0.1:$port"
expect_no "URL credentials: the password is not printed (refused)" S3cretPW
run subjects --registry "ftp://alice:S3cretPW@127.0.0.1:$port"
expect_err "URL credentials: an invalid URL is quoted redacted" 2 "ftp://alice:***@"
expect_no "URL credentials: the password is not printed (invalid URL)" S3cretPW
REGIT_REGISTRY_URL="http://alice:S3cretPW@127.0.0.1:$port" run subjects
expect_no "URL credentials: nor when the URL comes from REGIT_REGISTRY_URL" S3cretPW
# Basic credentials over plain http:// to another host: one warning. The
# address is TEST-NET-1 (RFC 5737), so nothing answers; only stderr matters.
REGIT_REGISTRY_AUTH=u:p run subjects --registry http://192.0.2.1:1 --timeout 0.3
if [ "$RC" = 2 ] && [ "$(warnings unencrypted)" = 1 ]; then
	ok "credentials over http:// to another host: one warning"
else
	not_ok "clear-text warning (exit $RC): $ERR"
fi
run subjects --registry http://alice:S3cretPW@192.0.2.1:1 --timeout 0.3
if [ "$(warnings unencrypted)" = 1 ]; then
	ok "URL credentials over http:// to another host: warned"
else
	not_ok "clear-text warning for URL credentials: $ERR"
fi
expect_no "URL credentials: the warning does not print the password" S3cretPW
run subjects --registry http://192.0.2.1:1 --timeout 0.3
[ "$(warnings unencrypted)" = 0 ] && ok "no credentials: no clear-text warning" ||
	not_ok "warned without credentials: $ERR"
for u in "http://127.0.0.1:$port" "http://127.3.2.1:$port" "http://localhost:$port" "http://[::1]:$port"; do
	REGIT_REGISTRY_AUTH=u:p run subjects --registry "$u"
	[ "$(warnings unencrypted)" = 0 ] && ok "credentials to loopback $u: no warning" ||
		not_ok "warned for loopback $u: $ERR"
done
# A listener that never answers: the timeout ends the wait.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); time.sleep(10)
' >"$TMP/hang.port" &
hang=$!
for _ in $(seq 1 50); do [ -s "$TMP/hang.port" ] && break; sleep 0.1; done
start=$(date +%s%N)
run subjects --registry "http://127.0.0.1:$(cat "$TMP/hang.port")" --timeout 0.5
elapsed=$((($(date +%s%N) - start) / 1000000))
kill "$hang" 2>/dev/null
wait "$hang" 2>/dev/null
if [ "$RC" = 2 ] && [[ "$ERR" == *"in time"* ]] && [ "$elapsed" -lt 5000 ]; then
	ok "--timeout bounds a hanging registry (${elapsed} ms)"
else
	not_ok "--timeout (exit $RC, ${elapsed} ms: $ERR)"
fi

# ---- authentication ------------------------------------------------------------------
# regit passwd and serve --auth are the product: their absence is a failure.
# Only against an outside registry (CLIENT_TEST_REGISTRY, development) are
# these checks skipped, visibly.
if [ -n "${CLIENT_TEST_REGISTRY:-}" ]; then
	ok "authentication # skip CLIENT_TEST_REGISTRY is set: no server of our own to start with --auth"
elif ! "$REGIT_BIN" passwd --help >/dev/null 2>&1; then
	not_ok "regit passwd --help succeeds (the authentication checks need it)"
elif ! "$REGIT_BIN" serve --help 2>&1 | grep -q -- '--auth'; then
	not_ok "regit serve --help lists --auth (the authentication checks need it)"
else
	printf 'rpw\n' | "$REGIT_BIN" passwd "$TMP/users" reader read >/dev/null 2>&1
	printf 'wpw\n' | "$REGIT_BIN" passwd "$TMP/users" writer write >/dev/null 2>&1
	"$REGIT_BIN" serve --listen 127.0.0.1:0 --store "$TMP/auth.git" --auth "$TMP/users" \
		>"$TMP/auth.out" 2>"$TMP/auth.err" &
	AUTH_PID=$!
	aport=
	for _ in $(seq 1 100); do
		aport=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/auth.out" 2>/dev/null | head -1)
		[ -n "$aport" ] && break
		kill -0 "$AUTH_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$aport" ]; then
		not_ok "server with --auth starts"
		sed 's/^/#   /' "$TMP/auth.err"
	else
		AURL=http://127.0.0.1:$aport
		run subjects --registry "$AURL"
		expect_err "no credentials: exit 2 with a hint" 2 "REGIT_REGISTRY_AUTH"
		run subjects --registry "$AURL" --user reader:wrong
		expect_err "wrong password: exit 2, 401" 2 "401"
		run register --registry "$AURL" --user writer:wpw --subject s "$V1"
		expect "--user with the write role registers" 0 "registered s version 1 (id 1)"
		REGIT_REGISTRY_AUTH=reader:rpw run versions --registry "$AURL" --subject s
		expect "REGIT_REGISTRY_AUTH is used for reads" 0 "1"
		REGIT_REGISTRY_AUTH=reader:rpw run register --registry "$AURL" --subject s "$V2"
		expect_err "the read role cannot register: exit 2, 403" 2 "403"
		REGIT_REGISTRY_AUTH=reader:rpw run register --registry "$AURL" --user writer:wpw \
			--subject s "$V2"
		expect "--user wins over the variable" 0 "registered s version 2 (id 2)"
		[ "$(warnings 'visible to other local users')" = 1 ] &&
			ok "--user USER:PASS warns that it is visible" || not_ok "--user warning: $ERR"
		REGIT_REGISTRY_AUTH=reader:rpw run versions --registry "$AURL" --subject s
		[ -z "$ERR" ] && ok "REGIT_REGISTRY_AUTH: no warning" || not_ok "variable warned: $ERR"

		# --user-file FILE, --user-file - and --user -: the first line is USER:PASS
		# (run is a function: stdin comes by redirection, not through a pipe)
		printf 'reader:rpw\nignored\n' >"$TMP/cred"
		chmod 600 "$TMP/cred"
		run versions --registry "$AURL" --subject s --user-file "$TMP/cred"
		expect "--user-file authenticates" 0 "$(printf '1\n2')"
		[ -z "$ERR" ] && ok "--user-file with mode 600: no warning" || not_ok "--user-file warned: $ERR"
		run versions --registry "$AURL" --subject s --user-file="$TMP/cred"
		expect "--user-file=FILE authenticates" 0 "$(printf '1\n2')"
		chmod 644 "$TMP/cred"
		run versions --registry "$AURL" --subject s --user-file "$TMP/cred"
		expect "--user-file readable by others still works" 0 "$(printf '1\n2')"
		[ "$(warnings 'readable by other users')" = 1 ] && ok "... with a warning to chmod 600" ||
			not_ok "no mode warning: $ERR"
		run register --registry "$AURL" --subject s2 --user-file - "$V1" < <(printf 'writer:wpw\r\n')
		expect "--user-file - reads stdin (CRLF)" 0 "registered s2 version 1 (id 1)"
		run versions --registry "$AURL" --subject s2 --user - < <(printf 'reader:rpw')
		expect "--user - reads stdin (no newline)" 0 "1"
		[ -z "$ERR" ] && ok "--user -: no warning" || not_ok "--user - warned: $ERR"
		printf 'reader:wrong-S3cretPW\n' >"$TMP/cred"
		run versions --registry "$AURL" --subject s --user-file "$TMP/cred"
		expect_err "--user-file with a wrong password: exit 2, 401" 2 "401"
		expect_no "--user-file: the password is not printed" S3cretPW
		run subjects --registry "$AURL" --user-file - <<<no-colon
		expect_err "--user-file: a first line without a colon is refused" 2 "USER:PASS"
		run subjects --registry "$AURL" --user-file "$TMP/missing"
		expect_err "--user-file: a missing file is an error" 2 "$TMP/missing"
		run subjects --registry "$AURL" --user-file "$TMP/cred" --user reader:rpw
		expect_err "--user and --user-file together: usage error" 2 "twice"
		# credentials in the URL authenticate; a failing request hides them
		run versions --registry "http://reader:rpw@127.0.0.1:$aport" --subject s
		expect "URL credentials authenticate" 0 "$(printf '1\n2')"
		run register --registry "http://reader:S3cretPW@127.0.0.1:$aport" --subject s "$V2"
		expect_err "URL credentials, wrong password: exit 2, 401" 2 "401"
		expect_no "URL credentials: the password is not printed (401)" S3cretPW
		# delete --permanent by a user who may not hard-delete: refused
		# before anything happens, and it says so
		run delete --registry "$AURL" --user-file - --subject s --version 2 --permanent \
			< <(printf 'writer:wpw\n')
		expect_err "delete --permanent as a write user: exit 2, 403, nothing deleted" 2 \
			"nothing was deleted"
		run versions --registry "$AURL" --user-file - --subject s < <(printf 'reader:rpw\n')
		expect "... and version 2 is still live, not soft-deleted" 0 "$(printf '1\n2')"
	fi
	kill "$AUTH_PID" 2>/dev/null
	wait "$AUTH_PID" 2>/dev/null
fi

if [ -n "$SRV_PID" ]; then
	kill -TERM "$SRV_PID"
	wait "$SRV_PID"
	rc=$?
	SRV_PID=
	[ "$rc" = 0 ] && ok "server stops cleanly" || not_ok "server exit status $rc"
fi
