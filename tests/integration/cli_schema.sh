#!/usr/bin/env bash
# cli_schema.sh - `regit validate` and `regit fmt` against real files:
# exit codes, the file:line:col error format, and the output forms.
# Prints TAP lines ("ok N - ..." / "not ok N - ...").
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-build/regit}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

good=tests/data/avro/interop.avsc
bad=tests/compat/schemas/invalid/enum_symbol_duplicate.avsc

"$REGIT" validate "$good" tests/data/avro/weather.avsc schemas/*.avsc >"$tmp/out" 2>"$tmp/err"
check "validate: valid files exit 0" "[ $? -eq 0 ] && [ ! -s $tmp/err ]"

"$REGIT" validate "$good" "$bad" >"$tmp/out" 2>"$tmp/err"
check "validate: an invalid file exits 2" "[ $? -eq 2 ]"
check "validate: file:line:col: error: message (at pointer)" \
	"grep -qxF '$bad:1:46: error: duplicate enum symbol \"A\" (at /symbols/2)' $tmp/err"
check "validate: only the invalid file is reported" "[ \$(wc -l < $tmp/err) -eq 1 ]"

# An invalid decimal is ignored with a warning (the specification; Java and
# python-avro warn too): validate and check succeed and say so on stderr.
dec=tests/compat/schemas/valid/decimal_ignored_scale_above_precision.avsc
"$REGIT" validate "$dec" >"$tmp/out" 2>"$tmp/err"
check "validate: an invalid decimal is a warning, exit 0" \
	"[ $? -eq 0 ] && grep -qF '$dec: warning: decimal logical type ignored: scale must be an integer from 0 to the precision (4) at /fields/0/type/scale' $tmp/err"
"$REGIT" check "$dec" "$dec" >"$tmp/out" 2>"$tmp/err"
check "check: an invalid decimal is a warning, exit 0" \
	"[ $? -eq 0 ] && grep -qF 'warning: decimal logical type ignored' $tmp/err"

cat >"$tmp/multi.avsc" <<'JSON'
{"type": "record", "name": "R",
 "fields": [
   {"name": "a", "type": "int"},
   {"name": "b", "type": ["null", "string"], "default": "oops"}
 ]}
JSON
"$REGIT" validate "$tmp/multi.avsc" 2>"$tmp/err"
check "validate: default error points at line 4" \
	"[ $? -eq 2 ] && grep -q '^$tmp/multi.avsc:4:[0-9]*: error: .*first branch (null) (at /fields/1/default)\$' $tmp/err"

printf '{"type": "record",\n "name": "R", "fields": [}\n' >"$tmp/syntax.avsc"
"$REGIT" validate "$tmp/syntax.avsc" 2>"$tmp/err"
check "validate: syntax errors have line and column" \
	"[ $? -eq 2 ] && grep -q '^$tmp/syntax.avsc:2:[0-9]*: error: invalid JSON' $tmp/err"

"$REGIT" validate "$tmp/missing.avsc" 2>"$tmp/err"
check "validate: missing file exits 2 with its name" \
	"[ $? -eq 2 ] && grep -q 'missing.avsc' $tmp/err"

"$REGIT" validate 2>"$tmp/err"
check "validate: no files is a usage error" "[ $? -eq 2 ] && grep -q 'no schema files given; see .regit validate --help.' $tmp/err"
"$REGIT" validate --bogus "$good" 2>"$tmp/err"
check "validate: unknown option exits 2" "[ $? -eq 2 ]"
"$REGIT" validate --help >"$tmp/out"
check "validate --help" "[ $? -eq 0 ] && grep -q 'usage: regit validate' $tmp/out"

"$REGIT" fmt "$good" >"$tmp/pretty.avsc"
check "fmt: pretty exits 0" "[ $? -eq 0 ] && [ \$(wc -l < $tmp/pretty.avsc) -gt 20 ]"
"$REGIT" fmt "$tmp/pretty.avsc" >"$tmp/pretty2.avsc"
check "fmt: pretty is a fixed point" "cmp -s $tmp/pretty.avsc $tmp/pretty2.avsc"
"$REGIT" fmt --compact "$good" >"$tmp/compact"
check "fmt --compact: one line" "[ \$(wc -l < $tmp/compact) -eq 1 ]"
check "fmt --compact: Avro Java order" \
	"head -c 80 $tmp/compact | grep -qF '{\"type\":\"record\",\"name\":\"Interop\",\"namespace\":\"org.apache.avro\",\"fields\":['"
"$REGIT" fmt - <"$good" >"$tmp/stdin"
check "fmt: - reads standard input" "cmp -s $tmp/pretty.avsc $tmp/stdin"

"$REGIT" fmt --canonical tests/data/avro/weather.avsc >"$tmp/canon"
check "fmt --canonical" \
	"grep -qxF '{\"name\":\"test.Weather\",\"type\":\"record\",\"fields\":[{\"name\":\"station\",\"type\":\"string\"},{\"name\":\"time\",\"type\":\"long\"},{\"name\":\"temp\",\"type\":\"int\"}]}' $tmp/canon"
"$REGIT" fmt --fingerprint sha256 tests/data/avro/weather.avsc >"$tmp/sha"
want=$(tr -d '\n' <"$tmp/canon" | sha256sum | cut -d' ' -f1)
check "fmt --fingerprint sha256 is SHA-256 of the canonical form" "grep -qx '$want' $tmp/sha"
printf '"int"' >"$tmp/int.avsc"
"$REGIT" fmt --fingerprint=rabin "$tmp/int.avsc" >"$tmp/rabin"
# 8247732601305521295 from the Avro spec test data (canonical-form.jsonl case 004).
check "fmt --fingerprint rabin" "grep -qx '$(printf '%016x' 8247732601305521295)' $tmp/rabin"

"$REGIT" fmt "$bad" >"$tmp/out" 2>"$tmp/err"
check "fmt: invalid schema exits 2 with location" \
	"[ $? -eq 2 ] && [ ! -s $tmp/out ] && grep -q '^$bad:1:46: error: ' $tmp/err"
"$REGIT" fmt --fingerprint md5 "$good" 2>"$tmp/err"
check "fmt: unknown fingerprint exits 2" "[ $? -eq 2 ] && grep -q md5 $tmp/err"
"$REGIT" fmt --compact --canonical "$good" 2>/dev/null
check "fmt: two modes is a usage error" "[ $? -eq 2 ]"
"$REGIT" fmt "$good" "$good" 2>/dev/null
check "fmt: two files is a usage error" "[ $? -eq 2 ]"
"$REGIT" fmt 2>/dev/null
check "fmt: no file is a usage error" "[ $? -eq 2 ]"
"$REGIT" fmt "$tmp/missing.avsc" 2>"$tmp/err"
check "fmt: missing file exits 2" "[ $? -eq 2 ] && grep -q 'missing.avsc' $tmp/err"
"$REGIT" fmt --help >"$tmp/out"
check "fmt --help" "[ $? -eq 0 ] && grep -q 'usage: regit fmt' $tmp/out"

echo "1..$n"
