#!/usr/bin/env bash
# codegen_evolve.sh - schema-evolution decoders vs the spec and Avro-C.
#
# For each tests/codegen/evolution/<case>/{writer,reader}.avsc: generate the
# reader's code with the writer compiled in (`regit gen --reader R:100
# --writer W:1`), check it compiles with -pedantic under gcc and clang, build
# tests/codegen/evolve.c against it, write random writer data with Avro-C,
# let python3-avro (the specification's resolution, including reader-added
# fields with defaults, which Avro-C cannot do) and Avro-C's resolved writer
# (where it accepts the pair) say what the reader should see, and compare.
# The expected values are python3-avro's only: Avro-C's resolver departs from
# the specification, so without python3-avro each case's decoding checks are
# one visible skip (scripts/install-deps --test installs it).
# Also: a reader field without default that the writer lacks is refused at
# generation time (exit 1), and `regit check` and `regit gen` give the same
# verdict on alias and namespace pairs. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."

BUILD_DIR=${REGIT_BUILD:-$PWD/build}
REGIT=${REGIT_BIN:-$BUILD_DIR/regit}
OUT=$BUILD_DIR/gen-evolve
N=${CODEGEN_ITER:-40}
PEDANTIC="-std=c11 -Wall -Wextra -Werror -pedantic"
SAN=""
if [ "${SANITIZE:-}" = 1 ]; then
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
fi
CCMD=${CC:-cc}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
rm -rf "$OUT"
mkdir -p "$OUT"

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

have_oracle=1
$PY -c 'import avro.io' 2>/dev/null || have_oracle=0

for c in tests/codegen/evolution/*/; do
	name=$(basename "$c")
	dir=$OUT/$name
	mkdir -p "$dir/data"
	if ! "$REGIT" gen -o "$dir" --reader "$c/reader.avsc:100" --writer "$c/writer.avsc:1" \
		>"$dir/files" 2>"$dir/gen.err"; then
		notok "$name: regit gen: $(cat "$dir/gen.err")"
		continue
	fi
	gname=$(sed -n 's|.*/\([^/]*\)\.c$|\1|p' "$dir/files" | head -1)
	for cc in gcc clang; do
		if ! command -v $cc >/dev/null 2>&1; then
			ok "$name: evolution code compiles warning-free with $cc -pedantic # skip $cc not installed (scripts/install-deps --test)"
			continue
		fi
		if $cc $PEDANTIC -c "$dir/$gname.c" -o "$dir/$gname.$cc.o" 2>"$dir/$cc.err"; then
			ok "$name: evolution code compiles warning-free with $cc -pedantic"
		else
			notok "$name: evolution code compiles warning-free with $cc -pedantic"
			sed 's/^/# /' "$dir/$cc.err" | head -20
		fi
	done
	if ! $CCMD $PEDANTIC -O1 -g $SAN -I"$dir" -Itests/codegen -DGEN_HEADER="\"$gname.h\"" \
		-DGEN_NAME="$gname" tests/codegen/evolve.c "$dir/$gname.c" -o "$dir/evolve" -lavro \
		2>"$dir/build.err"; then
		notok "$name: evolve driver builds"
		sed 's/^/# /' "$dir/build.err" | head -20
		continue
	fi
	# The expected readings come from python3-avro only. Avro-C's resolver
	# departs from the specification (evolve.c counts where), so its output
	# is never used as the expected value: without the oracle the decoding
	# checks are one visible skip per case.
	if [ $have_oracle = 0 ]; then
		ok "$name: decoding vs the specification, Avro-C and frames # skip python3-avro not installed (scripts/install-deps --test)"
		continue
	fi
	if ! "$dir/evolve" gen "$c/writer.avsc" "$c/reader.avsc" 7 "$N" "$dir/data" \
		>"$dir/gen.out" 2>&1; then
		notok "$name: Avro-C writes the writer data (evolve gen)"
		sed 's/^/# /' "$dir/gen.out" | head -20
		continue
	fi
	cat "$dir/gen.out"
	if ! $PY tests/codegen/resolve_oracle.py "$c/writer.avsc" "$c/reader.avsc" "$dir/data" "$N" \
		2>"$dir/oracle.err"; then
		notok "$name: python3-avro oracle (tests/codegen/resolve_oracle.py) runs"
		sed 's/^/# /' "$dir/oracle.err" | head -20
		continue
	fi
	# evolve check exits 1 when a check failed; it must still have said
	# which one, else (a crash, a sanitizer abort) that is one more failure.
	"$dir/evolve" check "$dir/data" "$N" >"$dir/check.out" 2>&1
	rc=$?
	bad=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "${line#ok [0-9]* - }" ;;
		"not ok "*) notok "${line#not ok [0-9]* - }"; bad=1 ;;
		*) echo "$line" ;;
		esac
	done <"$dir/check.out"
	[ $rc -ne 0 ] && [ $bad = 0 ] && notok "$name: evolve check exited $rc without a failed check"
done

# A reader field with no default that the writer lacks cannot be compiled.
bad=$OUT/nodefault
mkdir -p "$bad"
printf '{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}' >"$bad/w.avsc"
printf '{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]}' >"$bad/r.avsc"
"$REGIT" gen -o "$bad" --reader "$bad/r.avsc" --writer "$bad/w.avsc:1" >/dev/null 2>"$bad/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "no default" "$bad/err"; then
	ok "reader field without default missing from the writer: exit 1 with a reason"
else
	notok "reader field without default missing from the writer: exit $rc: $(cat "$bad/err")"
fi
"$REGIT" gen -o "$bad" --reader "$bad/r.avsc" --writer "$bad/w.avsc" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && ok "--writer without an id is a usage error" || notok "--writer without an id: exit $rc"

# `regit check --rules avro` and `regit gen --writer` take every resolution
# decision from one module (compat/resolve.h), so on each pair they must
# give the same verdict (exit 0 readable, 1 not) - and the right one, per
# the specification's "Aliases": aliases are full names, relative ones
# relative to the namespace of the reader type that declares them.
agree=$OUT/agree
mkdir -p "$agree"
rec() { # NAME NAMESPACE ALIASES-JSON
	printf '{"type":"record","name":"%s"%s%s,"fields":[{"name":"x","type":"int"}]}' "$1" \
		"${2:+,\"namespace\":\"$2\"}" "${3:+,\"aliases\":$3}"
}
same_verdict() { # CASE EXPECTED READER WRITER
	printf '%s' "$3" >"$agree/$1.r.avsc"
	printf '%s' "$4" >"$agree/$1.w.avsc"
	"$REGIT" check --level BACKWARD --rules avro "$agree/$1.r.avsc" "$agree/$1.w.avsc" \
		>"$agree/$1.check" 2>&1
	crc=$?
	rm -rf "$agree/$1.gen"
	"$REGIT" gen -o "$agree/$1.gen" --reader "$agree/$1.r.avsc:100" \
		--writer "$agree/$1.w.avsc:1" >/dev/null 2>"$agree/$1.generr"
	grc=$?
	if [ $crc -eq "$2" ] && [ $grc -eq "$2" ]; then
		ok "check and gen agree: $1 (exit $2)"
	else
		notok "check and gen agree: $1: expected exit $2, check $crc, gen $grc: $(cat "$agree/$1.generr")"
		sed 's/^/# /' "$agree/$1.check" | head -5
	fi
}
same_verdict alias_is_a_full_name 1 "$(rec New a '["b.Old"]')" "$(rec Old c)"
same_verdict alias_names_writer 0 "$(rec New a '["b.Old"]')" "$(rec Old b)"
same_verdict relative_alias_new_namespace 1 "$(rec New n2 '["Old"]')" "$(rec Old n1)"
same_verdict relative_alias_same_namespace 0 "$(rec New n2 '["Old"]')" "$(rec Old n2)"
same_verdict short_name_any_namespace 0 "$(rec R a)" "$(rec R b)"
same_verdict alias_in_union_branch 1 \
	"{\"type\":\"record\",\"name\":\"Outer\",\"fields\":[{\"name\":\"v\",\"type\":[\"null\",$(rec New a '["b.Old"]')]}]}" \
	"{\"type\":\"record\",\"name\":\"Outer\",\"fields\":[{\"name\":\"v\",\"type\":$(rec Old c)}]}"
same_verdict relative_alias_nested 0 \
	"{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"n2\",\"fields\":[{\"name\":\"v\",\"type\":$(rec New '' '["Old"]')}]}" \
	"{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"n2\",\"fields\":[{\"name\":\"v\",\"type\":$(rec Old)}]}"
