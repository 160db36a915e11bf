#!/usr/bin/env bash
# check_cli.sh - `regit check` on files and on a throw-away git repository:
# verdicts, exit codes (0 compatible, 1 incompatible, 2 usage/invalid),
# file:line:col positions and every output format. Prints TAP lines.
#
# git is used here only to build the fixture history; regit itself reads
# the repository with libgit2.
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-$PWD/build/regit}
case "$REGIT" in /*) ;; *) REGIT="$PWD/$REGIT" ;; esac
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; sed 's/^/#   /' "$tmp/out" "$tmp/err" 2>/dev/null | head -20; fi; }

# ---- files ----------------------------------------------------------------

cat >"$tmp/v1.avsc" <<'JSON'
{"type": "record", "name": "User",
 "fields": [
  {"name": "id", "type": "int"},
  {"name": "email", "type": "string", "default": ""}
 ]}
JSON
# v2: id widened to long, email kept, nick added with a default.
cat >"$tmp/v2.avsc" <<'JSON'
{"type": "record", "name": "User",
 "fields": [
  {"name": "id", "type": "long"},
  {"name": "email", "type": "string", "default": ""},
  {"name": "nick", "type": "string", "default": "x"}
 ]}
JSON
# v3: email removed (it had a default: Avro allows it, strict does not).
cat >"$tmp/v3.avsc" <<'JSON'
{"type": "record", "name": "User",
 "fields": [
  {"name": "id", "type": "long"},
  {"name": "nick", "type": "string", "default": "x"}
 ]}
JSON

"$REGIT" check --level BACKWARD "$tmp/v2.avsc" "$tmp/v1.avsc" >"$tmp/out" 2>"$tmp/err"
check "files: compatible change exits 0 with no findings" "[ $? -eq 0 ] && [ ! -s $tmp/out ]"

"$REGIT" check "$tmp/v2.avsc" "$tmp/v1.avsc" >"$tmp/out" 2>"$tmp/err"
check "files: default level is FULL_TRANSITIVE (int -> long fails FORWARD)" \
	"[ $? -eq 1 ] && grep -q 'FULL_TRANSITIVE' $tmp/err"
# /fields/0/type of v2 is the "long" on line 3, column 26.
check "files: TYPE_MISMATCH at file:3:26 with both types named" \
	"grep -qxF '$tmp/v2.avsc:3:26: error: [TYPE_MISMATCH] field \`id\`: $tmp/v1.avsc reads int but the new schema writes long, which cannot be converted' $tmp/out"

"$REGIT" check "$tmp/v3.avsc" "$tmp/v2.avsc" >"$tmp/out" 2>"$tmp/err"
rc=$?
# "fields": [ on line 2: the array starts at column 12.
check "strict: removing a field with a default exits 1" "[ $rc -eq 1 ]"
check "strict: FIELD_REMOVED at file:2:12 naming the field and the old file" \
	"grep -qxF '$tmp/v3.avsc:2:12: error: [FIELD_REMOVED] field \`email\` was removed; consumers still on $tmp/v2.avsc read it' $tmp/out"
check "strict: exactly one finding" "[ \$(wc -l < $tmp/out) -eq 1 ]"

# Two fields removed from one record share rule and path (/fields): both
# must be reported, neither folded into the other as an "older version".
cat >"$tmp/two.avsc" <<'JSON'
{"type": "record", "name": "User",
 "fields": [
  {"name": "id", "type": "long"}
 ]}
JSON
"$REGIT" check "$tmp/two.avsc" "$tmp/v2.avsc" >"$tmp/out" 2>"$tmp/err"
check "strict: email and nick removed are two findings against one version" \
	"[ $? -eq 1 ] && grep -q 'field \`email\` was removed' $tmp/out && grep -q 'field \`nick\` was removed' $tmp/out && ! grep -q 'older version' $tmp/out"

"$REGIT" check --rules avro "$tmp/v3.avsc" "$tmp/v2.avsc" >"$tmp/out" 2>"$tmp/err"
check "--rules avro: the same removal is compatible" "[ $? -eq 0 ] && [ ! -s $tmp/out ]"

"$REGIT" check --rules=avro --level=NONE "$tmp/v1.avsc" "$tmp/v3.avsc" >"$tmp/out" 2>"$tmp/err"
check "--level=NONE accepts anything (option=value form)" "[ $? -eq 0 ]"

# Transitive: v3 -> v2 fine for Avro BACKWARD, but v1 wrote "int" ids that
# a "string" id cannot read; only the transitive level looks that far.
cat >"$tmp/v4.avsc" <<'JSON'
{"type": "record", "name": "User",
 "fields": [
  {"name": "id", "type": ["long", "string"]},
  {"name": "nick", "type": "string", "default": "x"}
 ]}
JSON
cat >"$tmp/v0.avsc" <<'JSON'
{"type": "record", "name": "User", "fields": [{"name": "id", "type": "boolean"}]}
JSON
"$REGIT" check --rules avro --level BACKWARD "$tmp/v4.avsc" "$tmp/v3.avsc" "$tmp/v0.avsc" >"$tmp/out" 2>"$tmp/err"
check "BACKWARD compares with the newest old version only" "[ $? -eq 0 ]"
"$REGIT" check --rules avro --level BACKWARD_TRANSITIVE "$tmp/v4.avsc" "$tmp/v3.avsc" "$tmp/v0.avsc" >"$tmp/out" 2>"$tmp/err"
check "BACKWARD_TRANSITIVE sees the oldest version" \
	"[ $? -eq 1 ] && grep -q 'MISSING_UNION_BRANCH.*$tmp/v0.avsc' $tmp/out"

"$REGIT" check "$tmp/v3.avsc" "$tmp/v2.avsc" "$tmp/v2.avsc" "$tmp/v2.avsc" >"$tmp/out" 2>"$tmp/err"
check "the same problem against several old versions is reported once" \
	"[ $? -eq 1 ] && [ \$(wc -l < $tmp/out) -eq 1 ] && grep -q 'FIELD_REMOVED.*(and 2 older versions)\$' $tmp/out"

# ---- formats ----------------------------------------------------------------

"$REGIT" check --format json "$tmp/v3.avsc" "$tmp/v2.avsc" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "json: exit 1" "[ $rc -eq 1 ]"
check "json: parses, compatible false, finding has rule/path/version/message/file/line/column" \
	"$PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d[\"compatible\"] is False
f = d[\"findings\"][0]
assert f[\"rule\"] == \"FIELD_REMOVED\" and f[\"path\"] == \"/fields\", f
assert f[\"version\"] == sys.argv[3] and f[\"file\"] == sys.argv[2], f
assert f[\"line\"] == 2 and f[\"column\"] == 12, f
assert \"email\" in f[\"message\"]
assert f[\"old_path\"] == \"/fields/1\" and f[\"old_line\"] == 4, f
' $tmp/out $tmp/v3.avsc $tmp/v2.avsc"
"$REGIT" check --format json "$tmp/v2.avsc" "$tmp/v1.avsc" --level BACKWARD >"$tmp/out" 2>"$tmp/err"
check "json: compatible is true with an empty list" \
	"[ $? -eq 0 ] && $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[\"compatible\"] is True and d[\"findings\"] == []' $tmp/out"

"$REGIT" check --format github "$tmp/v3.avsc" "$tmp/v2.avsc" >"$tmp/out" 2>"$tmp/err"
check "github: ::error annotation with file, line, col, title" \
	"[ $? -eq 1 ] && grep -qxF '::error file=$tmp/v3.avsc,line=2,col=12,title=FIELD_REMOVED::field \`email\` was removed; consumers still on $tmp/v2.avsc read it' $tmp/out"

"$REGIT" check --format junit "$tmp/v3.avsc" "$tmp/v2.avsc" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "junit: well-formed XML with one failing test case" \
	"[ $rc -eq 1 ] && $PY -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == \"testsuites\" and root.get(\"failures\") == \"1\"
cases = root.findall(\"./testsuite/testcase\")
assert len(cases) == 1 and cases[0].find(\"failure\").get(\"type\") == \"FIELD_REMOVED\"
assert \"email\" in cases[0].find(\"failure\").text
' $tmp/out"
"$REGIT" check --format junit --level BACKWARD "$tmp/v2.avsc" "$tmp/v1.avsc" >"$tmp/out" 2>"$tmp/err"
check "junit: passing test case when compatible" \
	"[ $? -eq 0 ] && $PY -c 'import sys, xml.etree.ElementTree as ET; r=ET.parse(sys.argv[1]).getroot(); assert r.get(\"failures\")==\"0\" and len(r.findall(\"./testsuite/testcase\"))==1' $tmp/out"

# ---- errors -----------------------------------------------------------------

printf '{"type": "record", "name": "User",\n "fields": [{"name": "id", "type": "nope"}]}\n' >"$tmp/bad.avsc"
"$REGIT" check "$tmp/bad.avsc" "$tmp/v1.avsc" >"$tmp/out" 2>"$tmp/err"
check "invalid new schema exits 2 with file:line:col" \
	"[ $? -eq 2 ] && grep -q '^$tmp/bad.avsc:2:[0-9]*: error: \[INVALID_SCHEMA\]' $tmp/out"
"$REGIT" check "$tmp/v1.avsc" "$tmp/bad.avsc" >"$tmp/out" 2>"$tmp/err"
check "invalid old schema exits 2" "[ $? -eq 2 ]"
"$REGIT" check "$tmp/v1.avsc" "$tmp/missing.avsc" >"$tmp/out" 2>"$tmp/err"
check "missing file exits 2 and names it" "[ $? -eq 2 ] && grep -q missing.avsc $tmp/out"
"$REGIT" check "$tmp/v1.avsc" >"$tmp/out" 2>"$tmp/err"
check "one file only is a usage error" "[ $? -eq 2 ] && grep -q 'need a new schema and at least one old one; see .regit check --help.' $tmp/err"
"$REGIT" check --level SIDEWAYS "$tmp/v1.avsc" "$tmp/v1.avsc" >"$tmp/out" 2>"$tmp/err"
check "unknown level is a usage error" "[ $? -eq 2 ] && grep -q SIDEWAYS $tmp/err"
"$REGIT" check --rules lax "$tmp/v1.avsc" "$tmp/v1.avsc" >"$tmp/out" 2>"$tmp/err"
check "unknown rules is a usage error" "[ $? -eq 2 ]"
"$REGIT" check --format xml "$tmp/v1.avsc" "$tmp/v1.avsc" >"$tmp/out" 2>"$tmp/err"
check "unknown format is a usage error" "[ $? -eq 2 ]"
"$REGIT" check --frobnicate "$tmp/v1.avsc" "$tmp/v1.avsc" >"$tmp/out" 2>"$tmp/err"
check "unknown option is a usage error" "[ $? -eq 2 ]"
"$REGIT" check --help >"$tmp/out" 2>"$tmp/err"
check "--help exits 0 and shows both forms" \
	"[ $? -eq 0 ] && grep -q -- '--against GITREF' $tmp/out && grep -q 'NEW.avsc OLD.avsc' $tmp/out"

# ---- git ----------------------------------------------------------------------

if ! command -v git >/dev/null 2>&1; then
	ok "git tests # SKIP git not installed"
	exit 0
fi
repo="$tmp/repo"
mkdir -p "$repo/schemas/nested" "$repo/other"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp"
g() { git -C "$repo" "$@" >/dev/null 2>&1; }
enum() { printf '{"type": "enum", "name": "Color",\n "symbols": [%s]%s}\n' "$1" "${2:+, \"default\": \"$2\"}"; }

g init -q -b main
# Commit 1: Color {A,B,C}.
enum '"A", "B", "C"' >"$repo/schemas/color.avsc"
cp "$tmp/v1.avsc" "$repo/schemas/nested/user.avsc"
cp "$tmp/v1.avsc" "$repo/schemas/gone.avsc"
g add -A && g commit -q -m one && g tag v1
# Commit 2 touches only another file: color.avsc's blob repeats.
echo x >"$repo/other/readme" && g add -A && g commit -q -m two
# Commit 3: Color {A,B} with default A: reads data of commit 1 (default absorbs C).
enum '"A", "B"' A >"$repo/schemas/color.avsc"
g add -A && g commit -q -m three
# Working tree: Color {A,B} without default: fine against HEAD, not against v1's C.
enum '"A", "B"' >"$repo/schemas/color.avsc"

cd "$repo"
"$REGIT" check --rules avro --level BACKWARD --against HEAD >"$tmp/out" 2>"$tmp/err"
check "git: BACKWARD against HEAD only: compatible" "[ $? -eq 0 ] && [ ! -s $tmp/out ]"
"$REGIT" check --rules avro --level BACKWARD_TRANSITIVE --against HEAD --format json >"$tmp/out" 2>"$tmp/err"
rc=$?
check "git: BACKWARD_TRANSITIVE follows history back to commit 1" "[ $rc -eq 1 ]"
check "git: one finding, identical blobs in a row read once, labelled by commit" \
	"$PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
fs = d[\"findings\"]
assert len(fs) == 1, fs
f = fs[0]
assert f[\"rule\"] == \"MISSING_ENUM_SYMBOLS\" and f[\"file\"] == \"schemas/color.avsc\", f
assert f[\"version\"].startswith(\"commit \") and f[\"old_index\"] == 1, f
assert f[\"line\"] == 2 and f[\"column\"] == 13, f
assert \"\`C\`\" in f[\"message\"], f
' $tmp/out"

"$REGIT" check --rules avro --level BACKWARD_TRANSITIVE --against HEAD~1 >"$tmp/out" 2>"$tmp/err"
check "git: --against HEAD~1 (color identical to v1's history)" \
	"[ $? -eq 1 ] && grep -q '^schemas/color.avsc:2:13: error: \[MISSING_ENUM_SYMBOLS\]' $tmp/out"

"$REGIT" check --rules avro --level BACKWARD --against v1 >"$tmp/out" 2>"$tmp/err"
check "git: a tag works as GITREF" "[ $? -eq 1 ] && grep -q 'consumers\\|v1' $tmp/out"

# Delete a schema and add a new one.
rm "$repo/schemas/gone.avsc"
cp "$tmp/v1.avsc" "$repo/schemas/brand-new.avsc"
enum '"A", "B"' A >"$repo/schemas/color.avsc"
"$REGIT" check --against HEAD >"$tmp/out" 2>"$tmp/err"
rc=$?
check "git: a deleted schema file is a finding (exit 1)" \
	"[ $rc -eq 1 ] && grep -q '^schemas/gone.avsc: error: \[SCHEMA_DELETED\]' $tmp/out"
check "git: the new file is fine" "! grep -q brand-new $tmp/out"
"$REGIT" check --against HEAD --format github >"$tmp/out" 2>"$tmp/err"
check "git: github annotation for a deleted file (no line)" \
	"grep -qF '::error file=schemas/gone.avsc,title=SCHEMA_DELETED::' $tmp/out"
git -C "$repo" checkout -q -- schemas/gone.avsc

"$REGIT" check --against HEAD >"$tmp/out" 2>"$tmp/err"
check "git: unchanged tree plus a new file: exit 0" "[ $? -eq 0 ] && [ ! -s $tmp/out ]"

# Strict rules on a nested path, reported relative to a subdirectory.
cp "$tmp/v3.avsc" "$repo/schemas/nested/user.avsc"
( cd "$repo/schemas" && "$REGIT" check --against main nested ) >"$tmp/out" 2>"$tmp/err"
check "git: PATH argument and subdirectory: path relative to where we stand" \
	"[ $? -eq 1 ] && grep -q '^nested/user.avsc:2:12: error: \[FIELD_REMOVED\]' $tmp/out"
( cd "$repo/schemas" && "$REGIT" check --against main --format github nested/user.avsc ) >"$tmp/out" 2>"$tmp/err"
check "git: github paths are relative to the repository root" \
	"grep -q '^::error file=schemas/nested/user.avsc,line=2,col=12,' $tmp/out"
"$REGIT" check --against main --format junit >"$tmp/out" 2>"$tmp/err"
check "git: junit has a test case per schema file" \
	"$PY -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
names = sorted(c.get(\"name\") for c in r.findall(\"./testsuite/testcase\"))
assert names == [\"schemas/brand-new.avsc\", \"schemas/color.avsc\", \"schemas/gone.avsc\", \"schemas/nested/user.avsc\"], names
assert r.get(\"failures\") == \"1\", r.attrib
' $tmp/out"

printf '{"type": "enum", "name": "Color", "symbols": []' >"$repo/schemas/color.avsc"
"$REGIT" check --against HEAD >"$tmp/out" 2>"$tmp/err"
check "git: invalid working-tree schema exits 2" "[ $? -eq 2 ] && grep -q 'schemas/color.avsc.*INVALID_SCHEMA' $tmp/out"
git -C "$repo" checkout -q -- schemas

"$REGIT" check --against no-such-branch >"$tmp/out" 2>"$tmp/err"
check "git: unknown revision exits 2" "[ $? -eq 2 ] && grep -q no-such-branch $tmp/err"
( cd "$tmp" && "$REGIT" check --against HEAD ) >"$tmp/out" 2>"$tmp/err"
check "git: outside a repository exits 2" "[ $? -eq 2 ]"
"$REGIT" check --against HEAD ../outside >"$tmp/out" 2>"$tmp/err"
check "git: a PATH outside the repository exits 2" "[ $? -eq 2 ] && grep -q outside $tmp/err"
# A CI gate fails closed: a run that checks nothing is an error, not "compatible".
"$REGIT" check --against HEAD schemaz >"$tmp/out" 2>"$tmp/err"
check "git: a misspelt PATH exits 2 (it checked nothing)" \
	"[ $? -eq 2 ] && grep -q 'schemaz: no such file or directory' $tmp/err"
mkdir -p "$repo/docs-empty" && touch "$repo/docs-empty/README"
"$REGIT" check --against HEAD docs-empty >"$tmp/out" 2>"$tmp/err"
check "git: a PATH with no .avsc file exits 2" \
	"[ $? -eq 2 ] && grep -q 'docs-empty: no .avsc file there' $tmp/err"
rm -rf "$repo/docs-empty"
cp "$tmp/v3.avsc" "$repo/schemas/nested/user.avsc"
( cd "$repo/schemas/nested" && "$REGIT" check --against main ) >"$tmp/out" 2>"$tmp/err"
check "git: the default schemas/ is the repository's, wherever we stand" \
	"[ $? -eq 1 ] && grep -q 'user.avsc:2:12: error: \[FIELD_REMOVED\]' $tmp/out"
git -C "$repo" checkout -q -- schemas

# ---- regit.yaml -------------------------------------------------------------

git -C "$repo" checkout -q -- schemas
cp "$tmp/v2.avsc" "$repo/schemas/nested/user.avsc"   # int -> long: BACKWARD only
"$REGIT" check --against HEAD schemas/nested >"$tmp/out" 2>"$tmp/err"
check "regit.yaml absent: FULL_TRANSITIVE rejects int -> long" "[ $? -eq 1 ]"
cat >"$repo/regit.yaml" <<'YAML'
paths: [schemas/nested]
check:
  level: FULL_TRANSITIVE
  paths:
    "schemas/nested/*": {level: BACKWARD}
YAML
( cd "$repo/other" && "$REGIT" check --against HEAD ) >"$tmp/out" 2>"$tmp/err"
check "regit.yaml: paths (repository-relative) and a per-glob level" \
	"[ $? -eq 0 ] && grep -q 'compatible (levels and rules per regit.yaml, 1 file)' $tmp/err"
"$REGIT" check --against HEAD --level FULL >"$tmp/out" 2>"$tmp/err"
check "regit.yaml: --level on the command line wins" \
	"[ $? -eq 1 ] && grep -q 'TYPE_MISMATCH' $tmp/out"
printf 'check:\n  levle: NONE\n' >"$repo/regit.yaml"
"$REGIT" check --against HEAD >"$tmp/out" 2>"$tmp/err"
check "regit.yaml: an unknown key exits 2 with its line" \
	"[ $? -eq 2 ] && grep -q 'regit.yaml:2:3: unknown key .levle. in check' $tmp/err"
rm -f "$repo/regit.yaml"

# ---- schema references --------------------------------------------------------

# order.avsc uses com.acme.Address by name (a Confluent schema reference);
# address.avsc uses com.acme.Country the same way (a chain).
refs="$tmp/refs"
mkdir -p "$refs"
cat >"$refs/country.avsc" <<'JSON'
{"type": "enum", "name": "Country", "namespace": "com.acme", "symbols": ["DE", "FR"]}
JSON
cat >"$refs/address.avsc" <<'JSON'
{"type": "record", "name": "Address", "namespace": "com.acme",
 "fields": [{"name": "street", "type": "string"}, {"name": "country", "type": "Country"}]}
JSON
cat >"$refs/order1.avsc" <<'JSON'
{"type": "record", "name": "Order", "namespace": "com.acme",
 "fields": [{"name": "id", "type": "long"},
  {"name": "ship_to", "type": "Address"}]}
JSON
cat >"$refs/order2.avsc" <<'JSON'
{"type": "record", "name": "Order", "namespace": "com.acme",
 "fields": [{"name": "id", "type": "long"},
  {"name": "ship_to", "type": "com.acme.Address"},
  {"name": "note", "type": "string", "default": ""}]}
JSON
cat >"$refs/order3.avsc" <<'JSON'
{"type": "record", "name": "Order", "namespace": "com.acme",
 "fields": [{"name": "id", "type": "long"},
  {"name": "ship_to", "type": "com.acme.Address"},
  {"name": "bill_to", "type": "com.acme.Address"}]}
JSON
# The old version inlines its own Address (and Country): nothing is imported
# into it, so the reference file's Address is not "defined twice".
cat >"$refs/order0.avsc" <<'JSON'
{"type": "record", "name": "Order", "namespace": "com.acme",
 "fields": [{"name": "id", "type": "long"},
  {"name": "ship_to", "type": {"type": "record", "name": "Address",
   "fields": [{"name": "street", "type": "string"},
    {"name": "country", "type": {"type": "enum", "name": "Country", "symbols": ["DE", "FR"]}}]}}]}
JSON

"$REGIT" check "$refs/order2.avsc" "$refs/order1.avsc" >"$tmp/out" 2>"$tmp/err"
check "references: an unresolved one is exit 2 at file:line:col, saying no --reference file defines it" \
	"[ $? -eq 2 ] && grep -qF '$refs/order2.avsc:3:31: error: [INVALID_SCHEMA] unknown type \"com.acme.Address\" (no --reference file defines it)' $tmp/out"
"$REGIT" check --reference "$refs/address.avsc" --reference "$refs/country.avsc" \
	"$refs/order2.avsc" "$refs/order1.avsc" >"$tmp/out" 2>"$tmp/err"
check "references: --reference files resolve them, chained and in any order" \
	"[ $? -eq 0 ] && [ ! -s $tmp/out ] && grep -q 'compatible' $tmp/err"
"$REGIT" check --reference="$refs/country.avsc" --reference "$refs/address.avsc" \
	"$refs/order3.avsc" "$refs/order2.avsc" >"$tmp/out" 2>"$tmp/err"
check "references: a change is still checked (bill_to added without a default)" \
	"[ $? -eq 1 ] && grep -qF '$refs/order3.avsc:4:3: error: [REQUIRED_FIELD_ADDED] field \`bill_to\`' $tmp/out"
"$REGIT" check --reference "$refs/address.avsc" --reference "$refs/country.avsc" \
	"$refs/order2.avsc" "$refs/order0.avsc" >"$tmp/out" 2>"$tmp/err"
check "references: an old version defining the type itself is compared with the referenced one" \
	"[ $? -eq 0 ] && [ ! -s $tmp/out ]"
"$REGIT" check --reference "$refs/address.avsc" "$refs/order2.avsc" "$refs/order1.avsc" >"$tmp/out" 2>"$tmp/err"
check "references: a reference file with an unresolved reference names it (exit 2)" \
	"[ $? -eq 2 ] && grep -qF 'reference $refs/address.avsc:' $tmp/err && grep -q 'unknown type \"Country\"' $tmp/err"
"$REGIT" check --reference "$refs/nosuch.avsc" "$refs/order2.avsc" "$refs/order1.avsc" >"$tmp/out" 2>"$tmp/err"
check "references: a missing --reference file is exit 2, named" \
	"[ $? -eq 2 ] && grep -qF 'reference' $tmp/err && grep -qF '$refs/nosuch.avsc' $tmp/err"
"$REGIT" check --help >"$tmp/out" 2>"$tmp/err"
check "references: check --help documents --reference FILE" \
	"[ $? -eq 0 ] && grep -q -- '--reference FILE' $tmp/out && grep -q 'Schema references' $tmp/out"

# --against: the other checked files are the references, the working tree's
# for the new versions and the ref's for the old ones.
rrepo="$tmp/refrepo"
mkdir -p "$rrepo/schemas/common"
rg() { git -C "$rrepo" "$@" >/dev/null 2>&1; }
rg init -q -b main
cp "$refs/country.avsc" "$refs/address.avsc" "$rrepo/schemas/common/"
cp "$refs/order1.avsc" "$rrepo/schemas/order.avsc"
rg add -A && rg commit -q -m one
cp "$refs/order2.avsc" "$rrepo/schemas/order.avsc"
( cd "$rrepo" && "$REGIT" check --against main ) >"$tmp/out" 2>"$tmp/err"
check "references --against: resolved from the other schema files" \
	"[ $? -eq 0 ] && [ ! -s $tmp/out ] && grep -q 'compatible (FULL_TRANSITIVE, strict rules, 3 files)' $tmp/err"
sed -i 's/"type": "string"}/"type": "string"}, {"name": "zip", "type": "string"}/' "$rrepo/schemas/common/address.avsc"
( cd "$rrepo" && "$REGIT" check --against main ) >"$tmp/out" 2>"$tmp/err"
check "references --against: a change in a referenced file is found where it is used too (old side from main)" \
	"[ $? -eq 1 ] && grep -q '^schemas/common/address.avsc:.*\[REQUIRED_FIELD_ADDED\] field .zip.' $tmp/out && grep -q '^schemas/order.avsc:.*\[REQUIRED_FIELD_ADDED\] field .ship_to.zip.' $tmp/out"
rg checkout -q -- schemas/common
sed -i 's/com.acme.Address/com.acme.Adress/' "$rrepo/schemas/order.avsc"
( cd "$rrepo" && "$REGIT" check --against main ) >"$tmp/out" 2>"$tmp/err"
check "references --against: a misspelt one is exit 2 (no other schema file defines it)" \
	"[ $? -eq 2 ] && grep -qF 'unknown type \"com.acme.Adress\" (no --reference file or other schema file defines it)' $tmp/out"
