#!/usr/bin/env bash
# codegen_registry.sh - `regit gen --subject S --registry URL` against the real
# `regit serve` (random loopback port, temporary store).
#
# Registers three versions of an Order subject (tests/codegen/registry/
# v1..v3.avsc; an unrelated subject first so schema ids differ from version
# numbers), generates the evolution decoders from the registry, compiles them
# warning-free (gcc and clang, -pedantic) with tests/codegen/registry.c,
# encodes values with each old writer schema (python3-avro), frames them with
# the ids the registry gave, and checks what the generated dispatcher decodes:
# the reader's defaults for fields a writer lacks, writer-only fields
# skipped, int widened to long, an unknown enum symbol read as the enum's
# default, and an unknown id rejected. The same expectations are checked
# against python3-avro's own schema resolution. Also: --reader FILE (with and
# without an id), registry errors (unreachable, unknown subject, bad
# credentials: exit 2 with a message, nothing written), an unresolvable
# version (exit 1 naming it), soft-deleted versions (kept as writers unless
# --live-only), and -o creating missing directories.
set -u
cd "$(dirname "$0")/../.."

BUILD_DIR=${REGIT_BUILD:-$PWD/build}
REGIT=${REGIT_BIN:-$BUILD_DIR/regit}
PEDANTIC="-std=c11 -Wall -Wextra -Werror -pedantic"
SAN=""
if [ "${SANITIZE:-}" = 1 ]; then
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
fi
CCMD=${CC:-cc}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
CASES=tests/codegen/registry
TMP=$(mktemp -d)
PIDS=()
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
unset REGIT_REGISTRY_AUTH REGIT_REGISTRY_URL

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
# notok_run DESC: a failed test with the last run's exit code and stderr
notok_run() { notok "$1: exit $RC"; echo "$ERR" | head -5 | sed 's/^/#   /'; }
check() { if [ "$1" = 0 ]; then ok "$2"; else notok "$2"; fi; }

# run ARGS...: $RC, $ERR (stdout in $TMP/out)
run() {
	"$REGIT" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	ERR=$(cat "$TMP/err")
}

# expect_fail DESC RC SUBSTRING: the last run's exit code and a piece of stderr
expect_fail() {
	if [ "$RC" = "$2" ] && [[ "$ERR" == *"$3"* ]]; then
		ok "$1"
	else
		notok_run "$1 (want exit $2 with '$3')"
	fi
}

# start_server NAME ARGS...: sets URL (and PIDS); returns 1 when it does not start
start_server() {
	local name=$1 port= pid
	shift
	"$REGIT" serve --listen 127.0.0.1:0 --store "$TMP/$name.git" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1 100); do
		port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/$name.out" 2>/dev/null | head -1)
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$port" ] || { sed 's/^/#   /' "$TMP/$name.err"; return 1; }
	URL=http://127.0.0.1:$port
}

# register SUBJECT FILE: prints the id the registry gave
register() {
	"$REGIT" register --registry "$URL" --subject "$1" "$2" 2>&1 |
		sed -n 's/^registered .* (id \([0-9]*\))$/\1/p'
}

# ---- -o DIR is created like mkdir -p (no registry needed) ---------------------
run gen -o "$TMP/made/a/b/c" "$CASES/v1.avsc"
[ "$RC" = 0 ] && [ -f "$TMP/made/a/b/c/order.h" ] && [ -f "$TMP/made/a/b/c/regit_avro.h" ]
check $? "gen -o creates missing parent directories"
run gen -o "$TMP/made/a/b/c/" "$CASES/v2.avsc"
[ "$RC" = 0 ] && grep -q currency "$TMP/made/a/b/c/order.h"
check $? "gen -o into an existing directory (trailing slash) overwrites"
: >"$TMP/afile"
run gen -o "$TMP/afile" "$CASES/v1.avsc"
expect_fail "gen -o naming a file: exit 2" 2 "not a directory"
run gen -o "$TMP/afile/sub" "$CASES/v1.avsc"
expect_fail "gen -o below a file: exit 2" 2 "$TMP/afile"
run gen -o "$TMP/never" "$CASES/missing.avsc"
[ "$RC" = 2 ] && [ ! -e "$TMP/never" ]
check $? "a failing gen creates no directory"
printf '{"type":"enum","name":"E","symbols":[]}' >"$TMP/empty_enum.avsc"
run gen -o "$TMP/made/partial" "$CASES/v1.avsc" "$TMP/empty_enum.avsc"
[ "$RC" = 2 ] && [[ "$ERR" == *"no symbols"* ]] && [ ! -e "$TMP/made/partial" ]
check $? "a schema that fails in the generator (after a good one) writes nothing, not even regit_avro.h"
mkdir -p "$TMP/made/existing"
run gen -o "$TMP/made/existing" "$CASES/v1.avsc" "$TMP/empty_enum.avsc"
[ "$RC" = 2 ] && [ -z "$(ls -A "$TMP/made/existing")" ]
check $? "... and leaves an existing directory untouched"

# ---- usage ------------------------------------------------------------------
run gen --registry http://127.0.0.1:1 "$CASES/v1.avsc"
expect_fail "--registry without --subject: exit 2" 2 "need --subject"
run gen --subject s "$CASES/v1.avsc"
expect_fail "--subject with a SCHEMA argument: exit 2" 2 "no SCHEMA arguments"
run gen --subject ""
expect_fail "empty --subject: exit 2" 2 "subject"
run gen --subject s --format json
expect_fail "--format is not a gen option: exit 2" 2 "unknown option"

# ---- unreachable registry -----------------------------------------------------
run gen -o "$TMP/unreach" --registry http://127.0.0.1:1 --timeout 5 --subject orders-value
[ "$RC" = 2 ] && [[ "$ERR" == *"cannot reach registry"* ]] && [ ! -e "$TMP/unreach" ]
check $? "unreachable registry: exit 2, 'cannot reach registry', nothing written"
[ "$RC" = 2 ] || echo "$ERR" | head -3 | sed 's/^/#   /'

if ! start_server main --compat BACKWARD --rules avro; then
	notok "regit serve starts"
	exit 1
fi
ok "regit serve starts at $URL"

# ---- three versions, ids offset by an unrelated subject -----------------------
printf '{"type":"record","name":"Other","fields":[{"name":"x","type":"int"}]}' >"$TMP/other.avsc"
register other-value "$TMP/other.avsc" >/dev/null
ID1=$(register orders-value "$CASES/v1.avsc")
ID2=$(register orders-value "$CASES/v2.avsc")
ID3=$(register orders-value "$CASES/v3.avsc")
if [ -n "$ID1" ] && [ -n "$ID2" ] && [ -n "$ID3" ] && [ "$ID1" != 1 ] &&
   [ "$ID1" != "$ID2" ] && [ "$ID2" != "$ID3" ]; then
	ok "registered 3 versions of orders-value (ids $ID1 $ID2 $ID3)"
else
	notok "registered 3 versions of orders-value (ids '$ID1' '$ID2' '$ID3')"
	exit 1
fi
IDX=$((ID3 + 100))

# ---- writer data, framed with the registry's ids ------------------------------
have_avro=1
$PY -c 'import avro.io' 2>/dev/null || have_avro=0
DATA=$TMP/data
mkdir -p "$DATA"
# frame NAME SCHEMA ID DATUM_JSON: DATA/NAME.bin = 0, id (big-endian), Avro payload
cat >"$TMP/frame.py" <<'EOF'
import io, json, struct, sys
import avro.io, avro.schema
out, schema_path, sid, datum = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
schema = avro.schema.parse(open(schema_path).read())
buf = io.BytesIO()
avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buf))
open(out, "wb").write(b"\0" + struct.pack(">I", sid) + buf.getvalue())
EOF
# resolve SCHEMA_W SCHEMA_R FILE: the specification's reading, in registry.c's format
cat >"$TMP/resolve.py" <<'EOF'
import io, json, struct, sys
import avro.io, avro.schema
w = avro.schema.parse(open(sys.argv[1]).read())
r = avro.schema.parse(open(sys.argv[2]).read())
data = open(sys.argv[3], "rb").read()
sid = struct.unpack(">I", data[1:5])[0]
v = avro.io.DatumReader(w, r).read(avro.io.BinaryDecoder(io.BytesIO(data[5:])))
tags = ",".join("%s:%s" % kv for kv in v["tags"].items())
coupon = "null" if v["coupon"] is None else v["coupon"]
print("REGIT_AVRO_OK schema_id=%d id=%d amount=%d currency=%s status=%s tags={%s} coupon=%s"
      % (sid, v["id"], v["amount"], v["currency"], v["status"], tags, coupon))
EOF
frame() { $PY "$TMP/frame.py" "$DATA/$1.bin" "$2" "$3" "$4"; }

if [ $have_avro = 1 ]; then
	frame a "$CASES/v1.avsc" "$ID1" '{"id": 1, "amount": 100, "note": "skip me"}'
	frame b "$CASES/v2.avsc" "$ID2" '{"id": 2, "amount": -7, "currency": "CHF", "status": "LOST"}'
	frame c "$CASES/v2.avsc" "$ID2" '{"id": 3, "amount": 2147483647, "currency": "USD", "status": "PAID"}'
	frame d "$CASES/v3.avsc" "$ID3" '{"id": 4, "amount": 1099511627776, "currency": "GBP", "status": "REFUNDED", "tags": {"k": "v"}, "coupon": "X1"}'
	frame e "$CASES/v3.avsc" "$IDX" '{"id": 5, "amount": 1, "currency": "", "status": "NEW", "tags": {}, "coupon": null}'
	cat >"$TMP/expected" <<EOF
REGIT_AVRO_OK schema_id=$ID1 id=1 amount=100 currency=EUR status=NEW tags={src:v3} coupon=null
REGIT_AVRO_OK schema_id=$ID2 id=2 amount=-7 currency=CHF status=NEW tags={src:v3} coupon=null
REGIT_AVRO_OK schema_id=$ID2 id=3 amount=2147483647 currency=USD status=PAID tags={src:v3} coupon=null
REGIT_AVRO_OK schema_id=$ID3 id=4 amount=1099511627776 currency=GBP status=REFUNDED tags={k:v} coupon=X1
REGIT_AVRO_EUNKNOWN_SCHEMA schema_id=$IDX
EOF
	# The hand-written expectations are python3-avro's resolution too, except
	# b: python3-avro 1.11 predates the enum default rule (Avro 1.9 spec: a
	# writer symbol the reader lacks reads as the reader enum's default) and
	# throws instead.
	{
		$PY "$TMP/resolve.py" "$CASES/v1.avsc" "$CASES/v3.avsc" "$DATA/a.bin"
		$PY "$TMP/resolve.py" "$CASES/v2.avsc" "$CASES/v3.avsc" "$DATA/c.bin"
		$PY "$TMP/resolve.py" "$CASES/v3.avsc" "$CASES/v3.avsc" "$DATA/d.bin"
	} >"$TMP/oracle" 2>&1
	if sed -n '1p;3p;4p' "$TMP/expected" | diff - "$TMP/oracle" >"$TMP/oracle.diff"; then
		ok "python3-avro's schema resolution agrees with the expected readings"
	else
		notok "python3-avro's schema resolution disagrees with the expected readings"
		sed 's/^/#   /' "$TMP/oracle.diff" | head -12
	fi
else
	ok "python3-avro's schema resolution agrees with the expected readings # skip python3-avro not installed (scripts/install-deps --test)"
fi

# build_and_decode DESC DIR: compile DIR/order.c with registry.c and compare
# its decoding of the frames with the expectations
build_and_decode() {
	local desc=$1 dir=$2 cc
	for cc in gcc clang; do
		if ! command -v $cc >/dev/null 2>&1; then
			ok "$desc: generated code compiles warning-free with $cc -pedantic # skip $cc not installed (scripts/install-deps --test)"
			continue
		fi
		if $cc $PEDANTIC -c "$dir/order.c" -o "$dir/order.$cc.o" 2>"$dir/$cc.err"; then
			ok "$desc: generated code compiles warning-free with $cc -pedantic"
		else
			notok "$desc: generated code compiles warning-free with $cc -pedantic"
			sed 's/^/#   /' "$dir/$cc.err" | head -10
		fi
	done
	if ! $CCMD $PEDANTIC -O1 -g $SAN -I"$dir" tests/codegen/registry.c "$dir/order.c" \
		-o "$dir/decode" 2>"$dir/build.err"; then
		notok "$desc: decoder test program builds"
		sed 's/^/#   /' "$dir/build.err" | head -10
		return
	fi
	if [ $have_avro = 0 ]; then
		ok "$desc: frames of versions 1-3 decode by id # skip python3-avro not installed, no writer data (scripts/install-deps --test)"
		return
	fi
	"$dir/decode" "$DATA"/a.bin "$DATA"/b.bin "$DATA"/c.bin "$DATA"/d.bin "$DATA"/e.bin \
		>"$dir/got" 2>&1
	if diff "$TMP/expected" "$dir/got" >"$dir/diff"; then
		ok "$desc: frames of versions 1-3 decode by id (defaults, skips, promotion, enum default); unknown id rejected"
	else
		notok "$desc: decoded frames differ"
		sed 's/^/#   /' "$dir/diff" | head -12
	fi
}

# ---- reader = latest version ---------------------------------------------------
G1=$TMP/gen/latest/nested
run gen -o "$G1" --registry "$URL" --subject orders-value
if [ "$RC" = 0 ] && [ -f "$G1/order.c" ]; then
	ok "gen --registry --subject (reader: the latest version) writes order.h/.c"
	ndec=$(grep -c "^/\* Decoder for writer schema id" "$G1/order.c")
	grep -q "case ${ID3}u:" "$G1/order.c" && [ "$ndec" = 2 ] &&
		grep -q "subject orders-value version 1 (id $ID1)" "$G1/order.c"
	check $? "latest version ($ID3) decodes with the plain decoder; versions 1 and 2 get resolvers labelled by subject/version/id"
	build_and_decode "latest" "$G1"
else
	notok_run "gen --registry --subject"
fi

# ---- reader from a file without an id: takes the matching version's id --------
G2=$TMP/gen/file
run gen -o "$G2" --reader "$CASES/v3.avsc" --registry "$URL" --subject orders-value
if [ "$RC" = 0 ]; then
	ndec=$(grep -c "^/\* Decoder for writer schema id" "$G2/order.c")
	grep -q "case ${ID3}u:" "$G2/order.c" && [ "$ndec" = 2 ]
	check $? "--reader v3.avsc (no id) takes id $ID3 of the same registered schema"
	build_and_decode "--reader file" "$G2"
else
	notok_run "gen --reader FILE --subject"
fi

# A reader id that the registry gives a different schema would misread frames.
run gen -o "$TMP/gen/wrongid" --reader "$CASES/v3.avsc:$ID1" --registry "$URL" --subject orders-value
expect_fail "--reader FILE:ID where ID is another registered schema: exit 2" 2 "different schema"

# ---- soft-deleted versions: their ids may still be in topics --------------------
# Version 2 is soft-deleted: by default its decoder stays (frames b and c still
# decode), labelled as soft-deleted; --live-only leaves it out.
del() {
	curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/subjects/$1/versions/$2"
}
if command -v curl >/dev/null 2>&1 && [ "$(del orders-value 2)" = 200 ]; then
	G3=$TMP/gen/deleted
	run gen -o "$G3" --registry "$URL" --subject orders-value
	if [ "$RC" = 0 ]; then
		ndec=$(grep -c "^/\* Decoder for writer schema id" "$G3/order.c")
		[ "$ndec" = 2 ] && grep -q "case ${ID2}u:" "$G3/order.c" &&
			grep -q "version 2 (id $ID2, soft-deleted)" "$G3/order.c"
		check $? "a soft-deleted version keeps its decoder (id $ID2, labelled soft-deleted)"
		build_and_decode "soft-deleted v2" "$G3"
	else
		notok_run "gen --subject with a soft-deleted version"
	fi
	run gen -o "$TMP/gen/live" --live-only --registry "$URL" --subject orders-value
	[ "$RC" = 0 ] && ! grep -q "case ${ID2}u:" "$TMP/gen/live/order.c" &&
		[ "$(grep -c "^/\* Decoder for writer schema id" "$TMP/gen/live/order.c")" = 1 ]
	check $? "--live-only leaves the soft-deleted version out"
	run gen -o "$TMP/gen/liveonly" --live-only "$CASES/v1.avsc"
	expect_fail "--live-only without --subject: exit 2" 2 "need --subject"
else
	notok "soft-deleting orders-value version 2 (curl)"
fi

# ---- registry errors: exit 2, a clear message, nothing written ----------------
run gen -o "$TMP/gen/nosubject" --registry "$URL" --subject no-such-subject
[ "$RC" = 2 ] && [[ "$ERR" == *"not found"* ]] && [ ! -e "$TMP/gen/nosubject" ]
check $? "unknown subject: exit 2, 'not found', nothing written"
[ "$RC" = 2 ] || echo "$ERR" | head -3 | sed 's/^/#   /'

# ---- a version the reader cannot read: exit 1, naming it ----------------------
printf '{"type":"record","name":"R","fields":[{"name":"x","type":"string"}]}' >"$TMP/r1.avsc"
printf '{"type":"record","name":"R","fields":[{"name":"x","type":"string"},{"name":"y","type":"int"}]}' >"$TMP/r2.avsc"
"$REGIT" config --registry "$URL" --subject loose-value NONE >/dev/null 2>&1
RID1=$(register loose-value "$TMP/r1.avsc")
RID2=$(register loose-value "$TMP/r2.avsc")
run gen -o "$TMP/gen/loose" --registry "$URL" --subject loose-value
expect_fail "a version the latest cannot read (no default for y): exit 1 naming it" 1 \
	"writer schema id $RID1 (subject loose-value version 1 (id $RID1))"
[ -n "$RID2" ] || notok "loose-value version 2 registered"
# With every version soft-deleted there is no reader to default to.
if command -v curl >/dev/null 2>&1 && [ "$(del loose-value 1)" = 200 ] &&
   [ "$(del loose-value 2)" = 200 ]; then
	run gen -o "$TMP/gen/alldel" --registry "$URL" --subject loose-value
	expect_fail "every version soft-deleted and no --reader: exit 2" 2 "every version is soft-deleted"
	run gen -o "$TMP/gen/alldel2" --reader "$TMP/r2.avsc" --registry "$URL" --subject loose-value
	[ "$RC" = 1 ] && [[ "$ERR" == *"version 1 (id $RID1, soft-deleted)"* ]]
	check $? "soft-deleted versions are still writers: the unreadable one is named (exit 1)"
else
	notok "soft-deleting loose-value versions (curl)"
fi

# ---- a version with a schema reference: gen asks for it resolved ---------------
# (GET /schemas/ids/{id}?format=resolved inlines the referenced type)
ADDR='{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"street","type":"string"}]}'
CUST='{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"addr","type":"shop.Address"}]}'
body() {
	python3 -c 'import json, sys
b = {"schema": sys.argv[1]}
if len(sys.argv) > 2:
    b["references"] = [{"name": "shop.Address", "subject": sys.argv[2], "version": 1}]
print(json.dumps(b))' "$@"
}
post() {
	curl -s -o /dev/null -w '%{http_code}' -X POST \
		-H 'Content-Type: application/vnd.schemaregistry.v1+json' --data "$2" \
		"$URL/subjects/$1/versions"
}
if command -v curl >/dev/null 2>&1 && [ "$(post address-value "$(body "$ADDR")")" = 200 ] &&
   [ "$(post customer-value "$(body "$CUST" address-value)")" = 200 ]; then
	run gen -o "$TMP/gen/ref" --registry "$URL" --subject customer-value
	[ "$RC" = 0 ] && grep -q "street" "$TMP/gen/ref/customer.h" &&
		gcc $PEDANTIC -c "$TMP/gen/ref/customer.c" -o "$TMP/gen/ref/customer.o" 2>"$TMP/ref.err"
	check $? "a version with a schema reference generates (the registry inlines Address)"
	[ "$RC" = 0 ] || echo "$ERR" | head -3 | sed 's/^/#   /'
else
	notok "registering a schema with a reference (curl)"
fi

# ---- authentication ----------------------------------------------------------------
if printf 'rpw\n' | "$REGIT" passwd "$TMP/users" reader read >/dev/null 2>&1 &&
   printf 'wpw\n' | "$REGIT" passwd "$TMP/users" writer write >/dev/null 2>&1 &&
   start_server auth --compat BACKWARD --rules avro --auth "$TMP/users"; then
	"$REGIT" register --registry "$URL" --user writer:wpw --subject orders-value \
		"$CASES/v1.avsc" >/dev/null 2>&1
	run gen -o "$TMP/gen/noauth" --registry "$URL" --subject orders-value
	[ "$RC" = 2 ] && [[ "$ERR" == *"401"* || "$ERR" == *"nauthori"* ]] && [ ! -e "$TMP/gen/noauth" ]
	check $? "no credentials: exit 2 with the 401 message, nothing written"
	[ "$RC" = 2 ] || echo "$ERR" | head -3 | sed 's/^/#   /'
	run gen -o "$TMP/gen/badauth" --registry "$URL" --user reader:wrong --subject orders-value
	[ "$RC" = 2 ] && [[ "$ERR" == *"401"* || "$ERR" == *"nauthori"* ]]
	check $? "wrong password: exit 2 with the 401 message"
	REGIT_REGISTRY_AUTH=reader:rpw run gen -o "$TMP/gen/auth" --registry "$URL" \
		--subject orders-value
	[ "$RC" = 0 ] && [ -f "$TMP/gen/auth/order.c" ]
	check $? "read role via \$REGIT_REGISTRY_AUTH: gen works"
else
	notok "server with --auth starts"
fi
