#!/usr/bin/env bash
# lint_cli.sh - `regit lint`: exit codes (0 clean or warnings only, 1 errors,
# 2 usage / missing path / nothing to lint / invalid schema or config),
# file:line:col positions, every output format, regit.yaml (paths, use,
# except, severity, ignore, naming; errors with their line), --init and
# --list-rules, the default paths at the repository root. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-$PWD/build/regit}
case "$REGIT" in /*) ;; *) REGIT="$PWD/$REGIT" ;; esac
PY=/usr/bin/python3
ROOT=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; sed 's/^/#   /' "$tmp/out" "$tmp/err" 2>/dev/null | head -20; fi; }

# A good event, and one with a misspelt default and no doc on one field.
cat >"$tmp/good.avsc" <<'JSON'
{"type": "record", "name": "OrderPlaced", "namespace": "com.example.orders",
 "doc": "An order was placed.", "regit.key": "order_id",
 "fields": [
  {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}, "doc": "Id."},
  {"name": "correlation_id", "type": "string", "doc": "Cause."},
  {"name": "schema_version", "type": "int", "default": 1, "doc": "Version."},
  {"name": "timestamp", "type": {"type": "long", "logicalType": "timestamp-millis"}, "doc": "When."},
  {"name": "order_id", "type": "string", "doc": "The order."}
 ]}
JSON
sed -e 's/"doc": "The order."}/"dafault": "x"}/' "$tmp/good.avsc" >"$tmp/typo.avsc"

# ---- the repository's own schemas ------------------------------------------

"$REGIT" lint >"$tmp/out" 2>"$tmp/err"
check "schemas/ lints clean with the defaults (exit 0)" \
	"[ $? -eq 0 ] && [ ! -s $tmp/out ] && grep -q 'clean (6 files)' $tmp/err"
( cd schemas/versions && "$REGIT" lint ) >"$tmp/out" 2>"$tmp/err"
check "default paths are at the repository root, wherever we stand" \
	"[ $? -eq 0 ] && grep -q 'clean (6 files)' $tmp/err"

# ---- files ------------------------------------------------------------------

"$REGIT" lint "$tmp/good.avsc" >"$tmp/out" 2>"$tmp/err"
check "good event: exit 0, no output" "[ $? -eq 0 ] && [ ! -s $tmp/out ]"

"$REGIT" lint "$tmp/typo.avsc" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "typo: exit 1" "[ $rc -eq 1 ]"
# Line 8: `  {"name": "order_id", "type": "string", "dafault": "x"}`; the value at column 53.
check "typo: UNKNOWN_ATTRIBUTE at file:8:53 with the suggestion" \
	"grep -qxF '$tmp/typo.avsc:8:53: error: [UNKNOWN_ATTRIBUTE] \`dafault\` is not an Avro attribute and Avro ignores it silently; did you mean \`default\`?' $tmp/out"
check "typo: DOC is a warning" "grep -q '^$tmp/typo.avsc:8:3: warning: \[DOC\] field \`order_id\`' $tmp/out"
check "typo: summary on stderr" "grep -q '1 error, 1 warning (1 file)' $tmp/err"

"$REGIT" lint "$tmp/no-such.avsc" >"$tmp/out" 2>"$tmp/err"
check "missing path: exit 2 with the path named" "[ $? -eq 2 ] && grep -q 'no-such.avsc: No such file' $tmp/err"
mkdir "$tmp/empty"
"$REGIT" lint "$tmp/empty" >"$tmp/out" 2>"$tmp/err"
check "nothing to lint: exit 2" "[ $? -eq 2 ] && grep -q 'no .avsc files' $tmp/err"
printf '{"type": "record", "name": "X", "fields": [{"name": "a"}]}\n' >"$tmp/invalid.avsc"
"$REGIT" lint "$tmp/invalid.avsc" "$tmp/good.avsc" >"$tmp/out" 2>"$tmp/err"
check "invalid schema: exit 2, INVALID_SCHEMA with a position" \
	"[ $? -eq 2 ] && grep -q '^$tmp/invalid.avsc:1:[0-9]*: error: \[INVALID_SCHEMA\]' $tmp/out"
"$REGIT" lint --format xml "$tmp/good.avsc" >"$tmp/out" 2>"$tmp/err"
check "unknown format: exit 2" "[ $? -eq 2 ]"
"$REGIT" lint --bogus >"$tmp/out" 2>"$tmp/err"
check "unknown option: exit 2" "[ $? -eq 2 ] && grep -q -- '^regit lint: unknown option .--bogus.; see .regit lint --help.$' $tmp/err"
"$REGIT" lint --help >"$tmp/out" 2>"$tmp/err"
check "--help: exit 0, usage on stdout" "[ $? -eq 0 ] && grep -q '^usage: regit lint' $tmp/out"

# ---- formats ----------------------------------------------------------------

"$REGIT" lint --format json "$tmp/typo.avsc" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "json: exit 1, findings with rule, severity, pointer, line" "[ $rc -eq 1 ] && $PY -c '
import json, sys
d = json.load(open(\"$tmp/out\"))
assert d[\"ok\"] is False and d[\"errors\"] == 1 and d[\"warnings\"] == 1 and d[\"files\"] == 1, d
f = [x for x in d[\"findings\"] if x[\"rule\"] == \"UNKNOWN_ATTRIBUTE\"][0]
assert f[\"severity\"] == \"error\" and f[\"path\"] == \"/fields/4/dafault\" and f[\"line\"] == 8 and f[\"column\"] == 53, f
'"
"$REGIT" lint --format json "$tmp/good.avsc" >"$tmp/out" 2>"$tmp/err"
check "json: clean run" "$PY -c 'import json; d = json.load(open(\"$tmp/out\")); assert d[\"ok\"] and d[\"findings\"] == []'"

"$REGIT" lint --format github "$tmp/typo.avsc" >"$tmp/out" 2>"$tmp/err"
check "github: ::error and ::warning annotations" \
	"grep -q '^::error file=.*typo.avsc,line=8,col=53,title=UNKNOWN_ATTRIBUTE::' $tmp/out && grep -q '^::warning file=.*title=DOC::' $tmp/out"

"$REGIT" lint --format junit "$tmp/typo.avsc" "$tmp/good.avsc" >"$tmp/out" 2>"$tmp/err"
check "junit: one test case per file, the failing one failed" "$PY -c '
import xml.etree.ElementTree as ET
r = ET.parse(\"$tmp/out\").getroot()
cases = r.findall(\".//testcase\")
assert len(cases) == 2, cases
assert r.get(\"failures\") == \"1\" and r.get(\"errors\") == \"0\"
assert [c for c in cases if c.find(\"failure\") is not None][0].get(\"name\").endswith(\"typo.avsc\")
'"

"$REGIT" lint --format sarif "$tmp/typo.avsc" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "sarif: exit 1, 2.1.0 with the rule table and located results" "[ $rc -eq 1 ] && $PY -c '
import json
d = json.load(open(\"$tmp/out\"))
assert d[\"version\"] == \"2.1.0\"
run = d[\"runs\"][0]
ids = [r[\"id\"] for r in run[\"tool\"][\"driver\"][\"rules\"]]
assert \"EVENT_ID\" in ids and \"UNKNOWN_ATTRIBUTE\" in ids, ids
res = [r for r in run[\"results\"] if r[\"ruleId\"] == \"UNKNOWN_ATTRIBUTE\"][0]
assert ids[res[\"ruleIndex\"]] == \"UNKNOWN_ATTRIBUTE\" and res[\"level\"] == \"error\"
reg = res[\"locations\"][0][\"physicalLocation\"][\"region\"]
assert reg == {\"startLine\": 8, \"startColumn\": 53}, reg
'"

# ---- --list-rules -----------------------------------------------------------

"$REGIT" lint --list-rules >"$tmp/out" 2>"$tmp/err"
check "--list-rules: every rule with category and severity" \
	"[ $? -eq 0 ] && grep -q '^EVENT_ID  *envelope  *error' $tmp/out && grep -q '^DOC  *documentation  *warning' $tmp/out"
"$REGIT" lint --list-rules --format json >"$tmp/out" 2>"$tmp/err"
check "--list-rules json: ids match docs/designing-events.md" "$PY -c '
import json, re
rules = json.load(open(\"$tmp/out\"))
doc = open(\"$ROOT/docs/designing-events.md\").read()
for r in rules:
    assert r[\"explanation\"] and r[\"category\"] and r[\"severity\"] in (\"error\", \"warning\", \"off\"), r
    assert (\"\`%s\`\" % r[\"id\"]) in doc, r[\"id\"] + \" is not documented\"
'"

# ---- regit.yaml -------------------------------------------------------------

repo=$tmp/repo
mkdir -p "$repo/events/shared" "$repo/schemas"
git -C "$repo" init -q
cp "$tmp/typo.avsc" "$repo/events/order.avsc"
sed -e 's/"regit.key": "order_id",//' "$tmp/good.avsc" >"$repo/events/shared/money.avsc"
( cd "$repo" && "$REGIT" lint ) >"$tmp/out" 2>"$tmp/err"
check "repository without regit.yaml and without schemas/ files: exit 2" "[ $? -eq 2 ]"

cat >"$repo/regit.yaml" <<'YAML'
paths: [events]
lint:
  except: [DOC]
  severity:
    UNKNOWN_ATTRIBUTE: warning
  ignore:
    PARTITION_KEY: ["events/shared/*"]
YAML
( cd "$repo/events" && "$REGIT" lint ) >"$tmp/out" 2>"$tmp/err"
check "regit.yaml: paths, except, severity, ignore (warnings only: exit 0)" \
	"[ $? -eq 0 ] && grep -q '^order.avsc:8:53: warning: \[UNKNOWN_ATTRIBUTE\]' $tmp/out && ! grep -q 'DOC\|PARTITION_KEY' $tmp/out"
( cd "$repo" && "$REGIT" lint --format github ) >"$tmp/out" 2>"$tmp/err"
check "github paths are relative to the repository root" \
	"grep -q '^::warning file=events/order.avsc,line=8,col=53,' $tmp/out"

cat >"$repo/other.yaml" <<'YAML'
lint:
  naming:
    fields: PascalCase
YAML
( cd "$repo" && "$REGIT" lint --config other.yaml events/order.avsc ) >"$tmp/out" 2>"$tmp/err"
check "--config FILE: naming convention applies" \
	"[ $? -eq 1 ] && grep -q 'FIELD_NAMING\] field \`event_id\` is not PascalCase' $tmp/out"

printf 'paths: [events]\nlint:\n  exept: [DOC]\n' >"$repo/regit.yaml"
( cd "$repo" && "$REGIT" lint ) >"$tmp/out" 2>"$tmp/err"
check "regit.yaml: unknown key is exit 2 with file:line:col" \
	"[ $? -eq 2 ] && grep -q 'regit.yaml:3:3: unknown key .exept. in lint' $tmp/err"
( cd "$repo" && "$REGIT" lint --config nope.yaml ) >"$tmp/out" 2>"$tmp/err"
check "--config of a missing file: exit 2" "[ $? -eq 2 ] && grep -q 'nope.yaml' $tmp/err"

rm "$repo/regit.yaml"
( cd "$repo/events" && "$REGIT" lint --init ) >"$tmp/out" 2>"$tmp/err"
check "--init writes regit.yaml at the repository root" \
	"[ $? -eq 0 ] && [ -f $repo/regit.yaml ] && grep -q '^lint:' $repo/regit.yaml"
( cd "$repo" && "$REGIT" lint --init ) >"$tmp/out" 2>"$tmp/err"
check "--init never overwrites: exit 2" "[ $? -eq 2 ] && grep -q 'exists' $tmp/err"
sed -i 's/^  - schemas$/  - events/' "$repo/regit.yaml"
( cd "$repo" && "$REGIT" lint ) >"$tmp/out" 2>"$tmp/err"
check "the --init file is valid and uses the defaults" \
	"[ $? -eq 1 ] && grep -q 'UNKNOWN_ATTRIBUTE' $tmp/out && grep -q 'PARTITION_KEY' $tmp/out"

# ---- schema references --------------------------------------------------------

# OrderShipped uses com.example.orders.Address by name (a Confluent schema
# reference); all.avsc is a union of the two events by name (one topic,
# several event types). Address is no event and its field has no doc.
mkdir -p "$tmp/lref/common" "$tmp/lref/events"
cat >"$tmp/lref/common/address.avsc" <<'JSON'
{"type": "record", "name": "Address", "namespace": "com.example.orders", "doc": "Where.",
 "fields": [{"name": "street", "type": "string"}]}
JSON
cp "$tmp/good.avsc" "$tmp/lref/events/placed.avsc"
sed -e 's/OrderPlaced/OrderShipped/; s/"An order was placed."/"An order was shipped."/' \
    -e 's/{"name": "order_id", "type": "string", "doc": "The order."}/{"name": "order_id", "type": "string", "doc": "The order."},\n  {"name": "ship_to", "type": "Address", "doc": "To."}/' \
	"$tmp/good.avsc" >"$tmp/lref/events/shipped.avsc"
echo '["com.example.orders.OrderPlaced", "com.example.orders.OrderShipped"]' >"$tmp/lref/events/all.avsc"

"$REGIT" lint "$tmp/lref/events/shipped.avsc" >"$tmp/out" 2>"$tmp/err"
check "references: an unresolved one is an invalid schema (exit 2) at its position" \
	"[ $? -eq 2 ] && grep -qF '$tmp/lref/events/shipped.avsc:9:31: error: [INVALID_SCHEMA] unknown type \"Address\" in namespace com.example.orders (no --reference file or other linted file defines it)' $tmp/out"
"$REGIT" lint --reference "$tmp/lref/common/address.avsc" "$tmp/lref/events/shipped.avsc" >"$tmp/out" 2>"$tmp/err"
check "references: --reference resolves it; the referenced type is not linted where it is used" \
	"[ $? -eq 0 ] && [ ! -s $tmp/out ] && grep -q 'clean (1 file)' $tmp/err"
"$REGIT" lint "$tmp/lref/common/address.avsc" >"$tmp/out" 2>"$tmp/err"
check "references: ... but in its own file (DOC on street)" \
	"[ $? -eq 1 ] && grep -q 'DOC\] field .street. of .Address.' $tmp/out"
"$REGIT" lint --reference "$tmp/lref/common/address.avsc" "$tmp/lref/events" >"$tmp/out" 2>"$tmp/err"
check "references: the other linted files resolve them too (a union of events by name)" \
	"[ $? -eq 0 ] && [ ! -s $tmp/out ] && grep -q 'clean (3 files)' $tmp/err"
"$REGIT" lint --reference "$tmp/lref/nosuch.avsc" "$tmp/lref/events" >"$tmp/out" 2>"$tmp/err"
check "references: a missing --reference file is exit 2, named" \
	"[ $? -eq 2 ] && grep -qF 'reference' $tmp/err && grep -qF '$tmp/lref/nosuch.avsc' $tmp/err"
"$REGIT" lint --help >"$tmp/out" 2>"$tmp/err"
check "references: lint --help documents --reference FILE" \
	"[ $? -eq 0 ] && grep -q -- '--reference FILE' $tmp/out && grep -q 'Schema references' $tmp/out"

echo "1..$n"
