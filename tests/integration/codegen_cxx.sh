#!/usr/bin/env bash
# codegen_cxx.sh - generated headers in C++ builds. Generates (with --json)
# schemas/*.avsc, tests/data/avro/interop.avsc and tests/codegen/cxx/*.avsc
# into one directory, then, under g++ and
# clang++ (-std=c++11 -Wall -Wextra -Werror -pedantic): compiles a C++ file
# including every generated header and regit_avro.h, and builds and runs
# tests/codegen/cxx/main.cpp linked with the generated .c files compiled as
# C (the headers' extern "C"). The header of each tests/codegen/users/ case
# (odd names: C++ keywords, library macros, runtime names) is compiled as
# C++ on its own too. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."

BUILD_DIR=${REGIT_BUILD:-$PWD/build}
REGIT=${REGIT_BIN:-$BUILD_DIR/regit}
OUT=$BUILD_DIR/gen-cxx
CXXFLAGS_T="-Wall -Wextra -Werror -pedantic"
rm -rf "$OUT"
mkdir -p "$OUT"

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

schemas="schemas/*.avsc tests/data/avro/interop.avsc tests/codegen/cxx/*.avsc"
# shellcheck disable=SC2086
if ! "$REGIT" gen --json -o "$OUT" $schemas >"$OUT/files" 2>"$OUT/gen.err"; then
	notok "regit gen of the C++ test schemas"
	sed 's/^/# /' "$OUT/gen.err" | head -5
	echo "1..$n"
	exit 0
fi
{
	echo "/* every generated header, then the runtime once more */"
	sed -n 's|.*/\([^/]*\.h\)$|#include "\1"|p' "$OUT/files"
	echo '#include "regit_avro.h"'
} >"$OUT/all.h"

objs=""
for c in $(grep '\.c$' "$OUT/files"); do
	if ! cc -std=c11 -O1 -c "$c" -o "${c%.c}.o" 2>"$OUT/cc.err"; then
		notok "$c compiles as C"
		sed 's/^/# /' "$OUT/cc.err" | head -10
	fi
	objs="$objs ${c%.c}.o"
done

for cxx in g++ clang++; do
	if ! command -v $cxx >/dev/null 2>&1; then
		notok "$cxx not installed (scripts/install-deps --test)"
		continue
	fi
	for std in c++11 c++17 c++20; do
		if $cxx -std=$std $CXXFLAGS_T -I"$OUT" -x c++ -c "$OUT/all.h" -o "$OUT/all.$cxx.$std.gch" \
			2>"$OUT/$cxx.err"; then
			ok "every generated header compiles with $cxx -std=$std -pedantic"
		else
			notok "every generated header compiles with $cxx -std=$std -pedantic"
			sed 's/^/# /' "$OUT/$cxx.err" | head -20
		fi
		rm -f "$OUT/all.$cxx.$std.gch"
	done
	# shellcheck disable=SC2086
	if ! $cxx -std=c++11 $CXXFLAGS_T -I"$OUT" tests/codegen/cxx/main.cpp $objs \
		-o "$OUT/main.$cxx" -ljansson 2>"$OUT/$cxx.err"; then
		notok "a C++ program links the generated codecs ($cxx)"
		sed 's/^/# /' "$OUT/$cxx.err" | head -20
		continue
	fi
	if "$OUT/main.$cxx" >"$OUT/run.$cxx" 2>&1; then
		ok "a C++ program links the generated codecs and round-trips a value ($cxx)"
	else
		notok "a C++ program links the generated codecs and round-trips a value ($cxx)"
		sed 's/^/# /' "$OUT/run.$cxx" | head -5
	fi
done
# Each users case on its own (they share type names, so not together).
for s in tests/codegen/users/*.avsc; do
	[ -f "${s%.avsc}.fail" ] && continue
	case=$(basename "$s" .avsc)
	args=""
	[ -f "${s%.avsc}.args" ] && args=$(cat "${s%.avsc}.args")
	mkdir -p "$OUT/users/$case"
	# shellcheck disable=SC2086
	"$REGIT" gen --json -o "$OUT/users/$case" $args "$s" >"$OUT/users/$case/files" 2>/dev/null
	h=$(grep '\.h$' "$OUT/users/$case/files" | grep -v regit_avro.h | head -1)
	for cxx in g++ clang++; do
		command -v $cxx >/dev/null 2>&1 || continue
		echo "#include \"$(basename "$h")\"" >"$OUT/users/$case/inc.cpp"
		if [ -n "$h" ] && $cxx -std=c++11 $CXXFLAGS_T -I"$OUT/users/$case" -fsyntax-only \
			"$OUT/users/$case/inc.cpp" 2>"$OUT/$cxx.err"; then
			ok "users/$case header compiles with $cxx -pedantic"
		else
			notok "users/$case header compiles with $cxx -pedantic"
			sed 's/^/# /' "$OUT/$cxx.err" | head -10
		fi
	done
done
echo "1..$n"
