#!/usr/bin/env bash
# codegen.sh - generated C codecs vs Avro-C, for example and random schemas.
#
# For schemas/*.avsc, tests/data/avro/interop.avsc, the non-record roots in
# tests/codegen/roots/ and seeded random schemas
# (tests/codegen/randschema.py): run `regit gen`, compile the result with
# -std=c11 -Wall -Wextra -Werror -pedantic under gcc AND clang, then build
# tests/codegen/driver.c against it and Avro-C (under the sanitizers when
# SANITIZE=1) and run it: byte identity with Avro-C's encoder, round trips,
# Avro-C reading our bytes, truncations and corruptions (see driver.c).
# The same schemas are generated with --json too (compiled the same way;
# the plain output must not mention jansson), and the driver then also
# compares NAME_to_json with Avro-C's avro_value_to_json and round-trips
# and corrupts the JSON.
# Schema evolution is checked by tests/integration/codegen_evolve.sh. Also:
# the fuzz targets' generated code (in the build directory, fuzz/module.mk)
# compiles the same way, and crafted hostile messages get the right errors.
# Prints TAP lines. CODEGEN_SEEDS overrides the random seeds.
set -u
cd "$(dirname "$0")/../.."

BUILD_DIR=${REGIT_BUILD:-$PWD/build}
REGIT=${REGIT_BIN:-$BUILD_DIR/regit}
OUT=$BUILD_DIR/gen-test
SEEDS=${CODEGEN_SEEDS:-"1 2 3 5 6 10 11 16 17 21 23 26 40 93"}
ITER=${CODEGEN_ITER:-25}
PEDANTIC="-std=c11 -Wall -Wextra -Werror -pedantic"
SAN=""
if [ "${SANITIZE:-}" = 1 ]; then
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
fi
CCMD=${CC:-cc}
rm -rf "$OUT"
mkdir -p "$OUT"

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
# have_cc CC DESC: CC is installed; if not, DESC is a visible skip (both
# compilers come with scripts/install-deps --test).
have_cc() {
	command -v "$1" >/dev/null 2>&1 && return 0
	ok "$2 # skip $1 not installed (scripts/install-deps --test)"
	return 1
}
# relay PROG ARGS...: run a test program and pass its TAP lines on,
# renumbered. A program that exits non-zero without a "not ok" line of its
# own (a crash, a sanitizer abort) is one more failure, not silence.
relay() {
	local line rc bad=0 log=$OUT/relay.log
	"$@" >"$log" 2>&1
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "${line#ok [0-9]* - }" ;;
		"not ok "*) notok "${line#not ok [0-9]* - }"; bad=1 ;;
		*) echo "$line" ;;
		esac
	done <"$log"
	if [ $rc -ne 0 ] && [ $bad = 0 ]; then
		notok "${1##*/} exited $rc without a failed check"
	fi
}

# compiles DIR NAME LABEL: DIR/NAME.c builds warning-free under gcc and clang.
compiles() {
	local dir=$1 name=$2 label=$3 cc
	for cc in gcc clang; do
		have_cc $cc "$name$label compiles warning-free with $cc -pedantic" || continue
		if $cc $PEDANTIC -O2 -c "$dir/$name.c" -o "$dir/$name.$cc.o" 2>"$dir/$cc.err"; then
			ok "$name$label compiles warning-free with $cc -pedantic"
		else
			notok "$name$label compiles warning-free with $cc -pedantic"
			sed 's/^/# /' "$dir/$cc.err" | head -20
		fi
	done
}

# check_schema FILE SEED
check_schema() {
	local file=$1 seed=$2 dir name
	dir="$OUT/$(basename "$file" .avsc)"
	mkdir -p "$dir"
	if ! "$REGIT" gen -o "$dir" "$file" >"$dir/files" 2>"$dir/gen.err"; then
		notok "regit gen $file: $(cat "$dir/gen.err")"
		return
	fi
	name=$(sed -n 's|.*/\([^/]*\)\.c$|\1|p' "$dir/files" | head -1)
	compiles "$dir" "$name" ""
	if grep -q -i jansson "$dir/$name.c" "$dir/$name.h" "$dir/regit_avro.h"; then
		notok "$name without --json does not use jansson"
	else
		ok "$name without --json does not use jansson"
	fi
	# With --json: the same codecs plus NAME_to_json/NAME_from_json; the
	# driver runs against this superset (binary and JSON checks).
	mkdir -p "$dir/json"
	if ! "$REGIT" gen --json -o "$dir/json" "$file" >/dev/null 2>"$dir/gen-json.err"; then
		notok "regit gen --json $file: $(cat "$dir/gen-json.err")"
		return
	fi
	compiles "$dir/json" "$name" " --json"
	if ! $CCMD $PEDANTIC -O1 -g $SAN -I"$dir/json" -DGEN_JSON -DGEN_HEADER="\"$name.h\"" \
		-DGEN_NAME="$name" tests/codegen/driver.c "$dir/json/$name.c" -o "$dir/driver" \
		-lavro -ljansson 2>"$dir/driver.err"; then
		notok "$name driver builds"
		sed 's/^/# /' "$dir/driver.err" | head -20
		return
	fi
	# The driver prints its own TAP lines; renumber them.
	relay "$dir/driver" "$file" "$seed" "$ITER"
}

# The runtime embedded in the binary is codegen/regit_avro.h. (The fuzz
# targets' generated code is not committed: fuzz/module.mk writes it into
# the build directory with the freshly built regit.)
regen=$OUT/regen
mkdir -p "$regen/json"
for s in schemas/user.created.avsc schemas/telemetry.batch.avsc; do
	"$REGIT" gen -o "$regen" "$s" >/dev/null 2>&1
done
"$REGIT" gen --json -o "$regen/json" tests/data/avro/interop.avsc >/dev/null 2>&1
if cmp -s "$regen/regit_avro.h" codegen/regit_avro.h; then
	ok "embedded runtime equals codegen/regit_avro.h"
else
	notok "embedded runtime differs from codegen/regit_avro.h: run codegen/embed-runtime"
fi

# The fuzz targets' generated code, as fuzz/module.mk wrote it for this
# build, compiles warning-free with -pedantic under both compilers too.
for f in "$BUILD_DIR"/fuzz/codegen/*.c "$BUILD_DIR"/fuzz/codegen/evolve/*.c \
	"$BUILD_DIR"/fuzz/codegen/json/*.c; do
	if [ ! -e "$f" ]; then
		notok "fuzz/module.mk generated $f"
		continue
	fi
	rel=${f#"$BUILD_DIR"/}
	for cc in gcc clang; do
		have_cc $cc "$rel compiles warning-free with $cc -pedantic" || continue
		if $cc $PEDANTIC -c "$f" -o "$OUT/fuzzgen.$cc.o" 2>"$OUT/fuzzgen.$cc.err"; then
			ok "$rel compiles warning-free with $cc -pedantic"
		else
			notok "$rel compiles warning-free with $cc -pedantic"
			sed 's/^/# /' "$OUT/fuzzgen.$cc.err" | head -20
		fi
	done
done

# Crafted hostile messages give the expected error codes.
if $CCMD $PEDANTIC -g $SAN -I"$regen" tests/codegen/hostile.c "$regen/user_created.c" \
	"$regen/telemetry_batch.c" -o "$OUT/hostile" 2>"$OUT/hostile.err"; then
	relay "$OUT/hostile"
else
	notok "hostile test builds"
	sed 's/^/# /' "$OUT/hostile.err" | head -20
fi

# The JSON codecs (--json) on crafted input and unrepresentable values.
if $CCMD $PEDANTIC -g $SAN -I"$regen/json" tests/codegen/hostile_json.c "$regen/json/interop.c" \
	-o "$OUT/hostile_json" -ljansson 2>"$OUT/hostile_json.err"; then
	relay "$OUT/hostile_json"
else
	notok "hostile_json test builds"
	sed 's/^/# /' "$OUT/hostile_json.err" | head -20
fi

# from_json fills fields left out with their schema defaults (the reader
# of tests/codegen/evolution/added_defaults has one of every kind); the
# expected text is written by hand from that schema.
dj=$OUT/json_defaults
mkdir -p "$dj"
if "$REGIT" gen --json -o "$dj" tests/codegen/evolution/added_defaults/reader.avsc >/dev/null \
	2>"$dj/build.err" &&
   $CCMD $PEDANTIC -g $SAN -I"$dj" -DGEN_HEADER='"event.h"' -DGEN_NAME=event \
	tests/codegen/json_echo.c "$dj/event.c" -o "$dj/echo" -ljansson 2>>"$dj/build.err"; then
	want='{"id": 5, "name": "anon\"ymous", "flag": true, "count": -7, "ratio": 0.25, "f32": 1.5, "raw": "\u0001ab", "email": null, "nick": {"string": "bob"}, "tags": ["a", "b"], "attrs": {"x": 1, "y": 2}, "color": "GREEN", "hash": "abcd", "addr": {"city": "Paris", "zip": 12345}, "choice": {"int": 42}, "empty": []}'
	echo_is() {   # echo_is INPUT WANT LABEL
		local got
		got=$("$dj/echo" "$1" 2>&1)
		if [ "$got" = "$2" ]; then
			ok "$3"
		else
			notok "$3"
			echo "# got:  $got"
			echo "# want: $2"
		fi
	}
	echo_is '{"id": 5}' "$want" "from_json gives left-out fields their defaults"
	echo_is '{"name": "x"}' "error REGIT_AVRO_EINVALID" \
		"from_json refuses a left-out field without default"
	echo_is '{"id": 5, "addr": {"zip": 1}}' "error REGIT_AVRO_EINVALID" \
		"from_json refuses a nested record without its required field"
else
	notok "json_echo builds"
	sed 's/^/# /' "$dj/build.err" | head -20
fi

# The examples build and talk through a pipe (v2 producer, v1+v2 consumer),
# generated the way examples/Makefile does it.
ex=$OUT/examples
mkdir -p "$ex/gen/producer" "$ex/gen/consumer"
if "$REGIT" gen -o "$ex/gen/producer" schemas/user.created.avsc:2 >/dev/null 2>"$ex/build.err" &&
   "$REGIT" gen -o "$ex/gen/consumer" --reader schemas/user.created.avsc:2 \
	--writer schemas/versions/user.created.v1.avsc:1 >/dev/null 2>>"$ex/build.err" &&
   $CCMD $PEDANTIC -O1 $SAN -I"$ex/gen/producer" -o "$ex/producer" examples/producer.c \
	"$ex/gen/producer/user_created.c" 2>>"$ex/build.err" &&
   $CCMD $PEDANTIC -O1 $SAN -I"$ex/gen/consumer" -o "$ex/consumer" examples/consumer.c \
	"$ex/gen/consumer/user_created.c" 2>>"$ex/build.err"; then
	got=$("$ex/producer" 6 2>/dev/null | "$ex/consumer" 2>/dev/null | grep -c '^id=2 user=')
	if [ "$got" = 6 ]; then
		ok "examples: producer | consumer passes 6 framed events"
	else
		notok "examples: consumer decoded $got of 6 events"
	fi
else
	notok "examples build"
	sed 's/^/# /' "$ex/build.err" | head -20
fi

# Non-record top-level schemas (tests/codegen/roots/) too.
for f in schemas/*.avsc tests/data/avro/interop.avsc tests/codegen/roots/*.avsc; do
	[ -e "$f" ] || continue
	check_schema "$f" 1
done

if command -v python3 >/dev/null 2>&1; then
	for s in $SEEDS; do
		python3 tests/codegen/randschema.py "$s" >"$OUT/random$s.avsc"
		check_schema "$OUT/random$s.avsc" "$s"
	done
else
	ok "random schemas (seeds $SEEDS) # skip python3 not installed (scripts/install-deps --test)"
fi
