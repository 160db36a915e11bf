#!/usr/bin/env bash
# codegen.sh - generated C codecs vs Avro-C, for example and random schemas.
#
# For schemas/*.avsc, tests/data/avro/interop.avsc and seeded random schemas
# (tests/codegen/randschema.py): run `regit gen`, compile the result with
# -std=c11 -Wall -Wextra -Werror -pedantic under gcc AND clang, then build
# tests/codegen/driver.c against it and Avro-C (under the sanitizers when
# SANITIZE=1) and run it: byte identity with Avro-C's encoder, round trips,
# Avro-C reading our bytes, truncations and corruptions (see driver.c).
# Schema evolution is checked by tests/codegen/evolve.sh.
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
	for cc in gcc clang; do
		if $cc $PEDANTIC -c "$dir/$name.c" -o "$dir/$name.$cc.o" 2>"$dir/$cc.err"; then
			ok "$name compiles warning-free with $cc -pedantic"
		else
			notok "$name compiles warning-free with $cc -pedantic"
			sed 's/^/# /' "$dir/$cc.err" | head -20
		fi
	done
	if ! $CCMD $PEDANTIC -O1 -g $SAN -I"$dir" -DGEN_HEADER="\"$name.h\"" -DGEN_NAME="$name" \
		tests/codegen/driver.c "$dir/$name.c" -o "$dir/driver" -lavro 2>"$dir/driver.err"; then
		notok "$name driver builds"
		sed 's/^/# /' "$dir/driver.err" | head -20
		return
	fi
	# The driver prints its own TAP lines; renumber them.
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "${line#ok [0-9]* - }" ;;
		"not ok "*) notok "${line#not ok [0-9]* - }" ;;
		*) echo "$line" ;;
		esac
	done < <("$dir/driver" "$file" "$seed" "$ITER" 2>&1)
}

for f in schemas/*.avsc tests/data/avro/interop.avsc; do
	[ -e "$f" ] || continue
	check_schema "$f" 1
done

if command -v python3 >/dev/null 2>&1; then
	for s in $SEEDS; do
		python3 tests/codegen/randschema.py "$s" >"$OUT/random$s.avsc"
		check_schema "$OUT/random$s.avsc" "$s"
	done
else
	echo "# python3 missing: random schemas skipped"
fi
