#!/usr/bin/env bash
# decode.sh - `regit decode` against the real `regit serve` (random loopback
# port, temporary store), on messages written by the code `regit gen`
# generates (tests/decode/produce.c, versions 1 and 2 of user.created) and by
# the npm Confluent serializers (tests/interop/decode_produce.js, with the
# pinned packages of tests/interop's lockfile, installed with `npm ci` as
# interop.sh does).
#
# Checks: every input format (raw files, hex, base64 and json-lines on stdin
# and from files), --fields (top level, dotted, through a union wrapper,
# missing), resolution to a reader (--reader FILE and --subject/--version:
# v1 events read as v2 get the defaults), per-message failures (bad magic, truncated, unknown id, trailing bytes,
# bad hex, a tombstone in json-lines) each one line on stderr naming the
# position with exit 1 while the other messages still print, and usage and
# registry errors (exit 2).
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
# run ARGS... [<stdin]: $RC, $OUT, $ERR
run() {
	"$REGIT" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}
# expect DESC RC EXPECTED_STDOUT: exit code and exact stdout
expect() {
	if [ "$RC" = "$2" ] && [ "$OUT" = "$3" ]; then
		ok "$1"
	else
		notok "$1 (want exit $2)"
		echo "#   exit $RC"
		echo "$OUT" | head -5 | sed 's/^/#   out: /'
		echo "$3" | head -5 | sed 's/^/#   want: /'
		echo "$ERR" | head -5 | sed 's/^/#   err: /'
	fi
}
# has_err DESC SUBSTRING
has_err() {
	if [[ "$ERR" == *"$2"* ]]; then ok "$1"; else notok "$1 (stderr lacks '$2')"; echo "$ERR" | head -5 | sed 's/^/#   /'; fi
}

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
register() {
	"$REGIT" register --registry "$URL" --subject "$1" "$2" 2>&1 |
		sed -n 's/^registered .* (id \([0-9]*\))$/\1/p'
}

# ---- usage (no registry needed) ----------------------------------------------
run decode --input-format xml
[ "$RC" = 2 ] && [[ "$ERR" == *"--input-format"* ]]
if [ $? = 0 ]; then ok "unknown --input-format: exit 2"; else notok "unknown --input-format: exit 2 (got $RC)"; fi
run decode --reader x.avsc --subject s
[ "$RC" = 2 ]; if [ $? = 0 ]; then ok "--reader with --subject: exit 2"; else notok "--reader with --subject: exit 2 (got $RC)"; fi
run decode --reader "$TMP/missing.avsc"
[ "$RC" = 2 ]; if [ $? = 0 ]; then ok "a missing --reader file: exit 2"; else notok "a missing --reader file: exit 2 (got $RC)"; fi
printf '00000000010200\n' >"$TMP/one.hex"
run decode --registry http://127.0.0.1:1 --timeout 5 --input-format hex "$TMP/one.hex"
[ "$RC" = 2 ] && [[ "$ERR" == *"cannot reach registry"* ]]
if [ $? = 0 ]; then ok "unreachable registry: exit 2"; else notok "unreachable registry: exit 2 (got $RC: $ERR)"; fi

if ! start_server main --compat BACKWARD; then
	notok "regit serve starts"
	exit 1
fi
ok "regit serve starts at $URL"

printf '{"type":"record","name":"Other","fields":[{"name":"x","type":"int"}]}' >"$TMP/other.avsc"
OTHER=$(register other-value "$TMP/other.avsc")
ID1=$(register user.created-value schemas/versions/user.created.v1.avsc)
ID2=$(register user.created-value schemas/user.created.avsc)
if [ -n "$OTHER" ] && [ -n "$ID1" ] && [ -n "$ID2" ] && [ "$ID1" != "$ID2" ]; then
	ok "registered user.created v1 (id $ID1) and v2 (id $ID2)"
else
	notok "registered user.created v1 and v2 ('$OTHER' '$ID1' '$ID2')"
	exit 1
fi
R=(--registry "$URL")

# ---- messages from generated C code --------------------------------------------
built=1
for v in 1 2; do
	mkdir -p "$TMP/gen$v" "$TMP/msgs$v"
	src=schemas/user.created.avsc
	def=
	[ $v = 1 ] && { src=schemas/versions/user.created.v1.avsc; def=-DV1; }
	if ! "$REGIT" gen -o "$TMP/gen$v" "$src" >/dev/null 2>"$TMP/gen.err" ||
	   ! $CCMD $PEDANTIC -O1 -g $SAN $def -I"$TMP/gen$v" tests/decode/produce.c \
		"$TMP/gen$v/user_created.c" -o "$TMP/produce$v" 2>"$TMP/cc.err"; then
		built=0
		cat "$TMP/gen.err" "$TMP/cc.err" | head -10 | sed 's/^/#   /'
	fi
done
if [ $built = 1 ]; then ok "generated producers for v1 and v2 build (-pedantic)"; else notok "generated producers build"; exit 1; fi
"$TMP/produce2" "$ID2" 3 "$TMP/msgs2" >"$TMP/v2.hex" &&
"$TMP/produce1" "$ID1" 2 "$TMP/msgs1" >"$TMP/v1.hex"
if [ $? = 0 ] && [ "$(wc -l <"$TMP/v2.hex")" = 3 ]; then ok "producers wrote frames"; else notok "producers wrote frames"; exit 1; fi

E0='"event_id":"6c1f2a4e-0000-4000-8000-000000000000","correlation_id":"corr-42"'
V2_0='{'$E0',"schema_version":2,"timestamp":1732600000000,"user_id":"9d2b7c10-0000-4000-8000-000000000001","email":"ada@example.com","name":"Ada é","locale":"de-CH","plan":{"com.example.users.Plan":"TEAM"},"source":{"string":"web"}}'
run decode "${R[@]}" --input-format hex <"$TMP/v2.hex"
FIRST=$(head -1 <<<"$OUT")
if [ "$RC" = 0 ] && [ "$FIRST" = "$V2_0" ] && [ "$(wc -l <<<"$OUT")" = 3 ]; then
	ok "hex on stdin: v2 events as Avro JSON (unions wrapped, UTF-8 kept)"
else
	notok "hex on stdin: exit $RC"; echo "#   $FIRST"; echo "#   want $V2_0"; echo "$ERR" | head -3 | sed 's/^/#   /'
fi
run decode "${R[@]}" --input-format hex --fields event_id,correlation_id,plan "$TMP/v2.hex"
expect "--fields from a hex file" 0 '{"event_id":"6c1f2a4e-0000-4000-8000-000000000000","correlation_id":"corr-42","plan":{"com.example.users.Plan":"TEAM"}}
{"event_id":"6c1f2a4e-0000-4000-8000-000000000001","correlation_id":"corr-42","plan":null}
{"event_id":"6c1f2a4e-0000-4000-8000-000000000002","correlation_id":"corr-42","plan":{"com.example.users.Plan":"TEAM"}}'
run decode "${R[@]}" --fields source.string,nope,email.x "$TMP/msgs2/msg-0.bin"
expect "raw file; --fields through a union wrapper, missing fields null" 0 \
	'{"source.string":"web","nope":null,"email.x":null}'
run decode "${R[@]}" --fields event_id "$TMP/msgs2/msg-0.bin" "$TMP/msgs1/msg-1.bin"
expect "raw: one message per FILE, v1 and v2 writers" 0 \
	'{"event_id":"6c1f2a4e-0000-4000-8000-000000000000"}
{"event_id":"6c1f2a4e-0000-4000-8000-000000000001"}'
run decode "${R[@]}" --fields name <"$TMP/msgs1/msg-0.bin"
expect "raw on stdin" 0 '{"name":"Ada é"}'

# base64 (standard, and URL-safe without padding) and json-lines
python3 -c 'import base64, sys
for h in sys.stdin.read().split():
    print(base64.b64encode(bytes.fromhex(h)).decode())' <"$TMP/v1.hex" >"$TMP/v1.b64"
tr '+/' '-_' <"$TMP/v1.b64" | tr -d '=' >"$TMP/v1.b64url"
run decode "${R[@]}" --input-format base64 --fields correlation_id,schema_version "$TMP/v1.b64" "$TMP/v1.b64url"
expect "base64, standard and URL-safe" 0 "$(printf '%s\n' '{"correlation_id":"corr-42","schema_version":1}' \
	'{"correlation_id":"corr-42","schema_version":1}' '{"correlation_id":"corr-42","schema_version":1}' \
	'{"correlation_id":"corr-42","schema_version":1}')"
{
	echo '{"topic":"users","partition":0,"offset":7,"value":"'"$(head -1 "$TMP/v1.b64")"'"}'
	echo
	echo '{"topic":"users","partition":0,"offset":8,"value":"'"$(head -1 "$TMP/v2.hex")"'","encoding":"hex"}'
	echo '{"topic":"users","partition":0,"offset":9,"value":null}'
	echo 'not json'
} >"$TMP/in.jsonl"
run decode "${R[@]}" --input-format json-lines --fields schema_version "$TMP/in.jsonl"
expect "json-lines: base64 and hex values; blank lines skipped" 1 '{"schema_version":1}
{"schema_version":2}'
has_err "json-lines: a tombstone names its line, topic and offset" "$TMP/in.jsonl:4 topic users partition 0 offset 9: \"value\" is null"
has_err "json-lines: a line that is not JSON names its line" "$TMP/in.jsonl:5: not a JSON object"

# ---- resolution to a reader -----------------------------------------------------
V1_AS_V2='{"event_id":"6c1f2a4e-0000-4000-8000-000000000000","correlation_id":"corr-42","schema_version":1,"timestamp":1732600000000,"user_id":"9d2b7c10-0000-4000-8000-000000000001","email":"ada@example.com","name":"Ada é","locale":"de-CH","plan":null,"source":null}'
run decode "${R[@]}" --input-format hex --reader schemas/user.created.avsc "$TMP/v1.hex"
[ "$RC" = 0 ] && [ "$(head -1 <<<"$OUT")" = "$V1_AS_V2" ]
if [ $? = 0 ]; then ok "--reader: v1 events read as v2 get the defaults"; else notok "--reader v2: exit $RC: $(head -1 <<<"$OUT") $ERR"; fi
run decode "${R[@]}" --input-format hex --subject user.created-value --fields plan,source "$TMP/v1.hex"
expect "--subject (latest = v2) as the reader" 0 '{"plan":null,"source":null}
{"plan":null,"source":null}'
run decode "${R[@]}" --input-format hex --subject user.created-value --version 1 --fields event_id,plan "$TMP/v2.hex"
expect "--subject --version 1: v2 events read as v1 drop the new fields" 0 \
	'{"event_id":"6c1f2a4e-0000-4000-8000-000000000000","plan":null}
{"event_id":"6c1f2a4e-0000-4000-8000-000000000001","plan":null}
{"event_id":"6c1f2a4e-0000-4000-8000-000000000002","plan":null}'
printf '{"type":"record","name":"UserCreated","namespace":"x","fields":[{"name":"n","type":"int"}]}' >"$TMP/bad_reader.avsc"
run decode "${R[@]}" --input-format hex --reader "$TMP/bad_reader.avsc" "$TMP/v1.hex"
[ "$RC" = 1 ] && [ -z "$OUT" ] && [ "$(wc -l <<<"$ERR")" = 2 ]
if [ $? = 0 ]; then ok "a reader the writer cannot satisfy: every message fails, exit 1"; else notok "bad reader: exit $RC: $ERR"; fi
has_err "... naming the field" "has no default"
run decode "${R[@]}" --subject no-such-subject "$TMP/msgs1/msg-0.bin"
[ "$RC" = 2 ]; if [ $? = 0 ]; then ok "--subject unknown: exit 2"; else notok "--subject unknown: exit 2 (got $RC)"; fi

# ---- bad messages among good ones -------------------------------------------------
GOOD=$(head -1 "$TMP/v2.hex")
IDX=$(printf '%08x' $((ID2 + 1000)))
{
	echo "$GOOD"
	echo "01${GOOD:2}"
	echo "${GOOD:0:20}"
	echo "00${IDX}${GOOD:10}"
	echo "${GOOD}00"
	echo "zz"
	echo "$GOOD"
	echo "00${IDX}00"
	echo "00ffffffff00"
} >"$TMP/mixed.hex"
run decode "${R[@]}" --input-format hex --fields correlation_id "$TMP/mixed.hex"
expect "bad messages: exit 1, the good ones printed" 1 '{"correlation_id":"corr-42"}
{"correlation_id":"corr-42"}'
[ "$(wc -l <<<"$ERR")" = 7 ]
if [ $? = 0 ]; then ok "one stderr line per bad message"; else notok "one stderr line per bad message"; echo "$ERR" | sed 's/^/#   /'; fi
has_err "bad magic names its line" "$TMP/mixed.hex:2: bad magic byte 0x01"
has_err "truncated names its line" "$TMP/mixed.hex:3: schema id $ID2: truncated"
has_err "unknown id names its line" "$TMP/mixed.hex:4: schema id $((ID2 + 1000)): unknown schema id"
has_err "trailing bytes name their line" "$TMP/mixed.hex:5: schema id $ID2: 1 trailing bytes"
has_err "bad hex names its line" "$TMP/mixed.hex:6: not a hex digit"
has_err "unknown id again (cached) names its line" "$TMP/mixed.hex:8: schema id $((ID2 + 1000)): unknown"
has_err "an id past 2^31-1 is unknown without asking" "$TMP/mixed.hex:9: schema id 4294967295: unknown schema id"
printf '\x00\x00' >"$TMP/short.bin"
run decode "${R[@]}" "$TMP/short.bin" "$TMP/msgs2/msg-1.bin" --fields event_id
[ "$RC" = 1 ] && [[ "$ERR" == *"$TMP/short.bin: truncated"* ]] && [ "$(wc -l <<<"$OUT")" = 1 ]
if [ $? = 0 ]; then ok "raw: a short file names the file, the next is printed"; else notok "raw short file: exit $RC: $ERR"; fi

# ---- --fields through an optional record (a hand-built frame) ---------------------
printf '{"type":"record","name":"Order","fields":[{"name":"shipping","type":["null",{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}]}]}' >"$TMP/order.avsc"
OID=$(register order-value "$TMP/order.avsc")
printf '00%08x02084265726e\n00%08x00\n' "$OID" "$OID" >"$TMP/order.hex"
run decode "${R[@]}" --input-format hex --fields shipping.city,shipping "$TMP/order.hex"
expect "--fields steps through a union wrapper into an optional record" 0 \
	'{"shipping.city":"Bern","shipping":{"Address":{"city":"Bern"}}}
{"shipping.city":null,"shipping":null}'

# ---- messages from the npm Confluent serializers ----------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	notok "node and npm are installed (scripts/install-deps --test)"
	exit 1
fi
if [ ! -d tests/interop/node_modules/@kafkajs/confluent-schema-registry ] ||
   [ ! -d tests/interop/node_modules/@confluentinc/schemaregistry ]; then
	echo "# installing interop clients (npm ci)"
	if ! (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
		notok "npm ci in tests/interop"
		exit 1
	fi
fi
if node tests/interop/decode_produce.js "$URL" >"$TMP/npm.hex" 2>"$TMP/npm.err" &&
   [ "$(wc -l <"$TMP/npm.hex")" = 3 ]; then
	ok "npm serializers produced 3 messages"
else
	notok "npm serializers produced 3 messages"
	head -5 "$TMP/npm.err" | sed 's/^/#   /'
	exit 1
fi
run decode "${R[@]}" --input-format hex "$TMP/npm.hex"
expect "@confluentinc/schemaregistry and @kafkajs messages decode" 0 \
'{"event_id":"e-1","correlation_id":"corr-9","weight":1.5,"count":3,"blob":"\u0000ÿA","state":"SENT","note":{"string":"fragile"},"attrs":{"a":1},"legs":[{"to":"Lyon"},{"to":"Bern"}]}
{"event_id":"e-2","correlation_id":"corr-9","weight":-0.25,"count":1099511627776,"blob":"","state":"NEW","note":null,"attrs":{},"legs":[]}
{"event_id":"e-3","correlation_id":"corr-7","weight":0.0,"count":-5,"blob":"hi","state":"NEW","note":null,"attrs":{"z":-1},"legs":[{"to":"Oslo"}]}'
run decode "${R[@]}" --input-format hex --fields correlation_id,legs "$TMP/npm.hex"
expect "--fields on npm messages" 0 '{"correlation_id":"corr-9","legs":[{"to":"Lyon"},{"to":"Bern"}]}
{"correlation_id":"corr-9","legs":[]}
{"correlation_id":"corr-7","legs":[{"to":"Oslo"}]}'
