#!/usr/bin/env bash
# codegen_users.sh - generated code as users build it: one small C program
# per case in tests/codegen/users/ (CASE.avsc + CASE.c) is generated with
# `regit gen --json`, compiled with -std=c11 -pedantic -Werror under gcc and
# clang, and run; the program exits 0 when the generated code behaves as
# the case expects (defaults, names, init, depth limits). CASE.args, when
# present, holds extra `regit gen` arguments; CASE.fail holds the exit
# status and a message `regit gen` must give instead of generating;
# CASE.warn a warning it must print while generating.
# Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."

BUILD_DIR=${REGIT_BUILD:-$PWD/build}
REGIT=${REGIT_BIN:-$BUILD_DIR/regit}
OUT=$BUILD_DIR/gen-users
CASES=tests/codegen/users
PEDANTIC="-std=c11 -Wall -Wextra -Werror -pedantic"
SAN=""
if [ "${SANITIZE:-}" = 1 ]; then
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
fi
rm -rf "$OUT"
mkdir -p "$OUT"

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

for schema in "$CASES"/*.avsc; do
	case=$(basename "$schema" .avsc)
	dir=$OUT/$case
	mkdir -p "$dir"
	args=""
	[ -f "$CASES/$case.args" ] && args=$(cat "$CASES/$case.args")
	# shellcheck disable=SC2086
	"$REGIT" gen --json -o "$dir" $args "$schema" >"$dir/files" 2>"$dir/gen.err"
	rc=$?
	if [ -f "$CASES/$case.fail" ]; then
		want_rc=$(head -1 "$CASES/$case.fail")
		want_msg=$(sed -n 2p "$CASES/$case.fail")
		if [ "$rc" = "$want_rc" ] && grep -qF -- "$want_msg" "$dir/gen.err" &&
		   ! [ -s "$dir/files" ]; then
			ok "$case: regit gen exits $want_rc with \"$want_msg\""
		else
			notok "$case: regit gen exits $want_rc with \"$want_msg\" (got $rc)"
			sed 's/^/# /' "$dir/gen.err" | head -5
		fi
		continue
	fi
	if [ $rc -ne 0 ]; then
		notok "$case: regit gen exits 0 (got $rc)"
		sed 's/^/# /' "$dir/gen.err" | head -5
		continue
	fi
	if [ -f "$CASES/$case.warn" ]; then
		if grep -qF -- "$(cat "$CASES/$case.warn")" "$dir/gen.err"; then
			ok "$case: regit gen warns \"$(cat "$CASES/$case.warn")\""
		else
			notok "$case: regit gen warns \"$(cat "$CASES/$case.warn")\""
			sed 's/^/# /' "$dir/gen.err" | head -5
		fi
	fi
	name=$(sed -n 's|.*/\([^/]*\)\.c$|\1|p' "$dir/files" | head -1)
	for cc in gcc clang; do
		if ! command -v $cc >/dev/null 2>&1; then
			notok "$case: $cc not installed (scripts/install-deps --test)"
			continue
		fi
		if ! $cc $PEDANTIC -O1 -g $SAN -I"$dir" "$CASES/$case.c" "$dir/$name.c" \
			-o "$dir/prog.$cc" -ljansson 2>"$dir/$cc.err"; then
			notok "$case: builds with $cc -pedantic"
			sed 's/^/# /' "$dir/$cc.err" | head -20
			continue
		fi
		if "$dir/prog.$cc" >"$dir/run.$cc" 2>&1; then
			ok "$case: behaves as expected ($cc)"
		else
			notok "$case: behaves as expected ($cc)"
			sed 's/^/# /' "$dir/run.$cc" | head -20
		fi
	done
done

# Two schemas that generate the same file name: refused, nothing written.
dup=$OUT/dup
mkdir -p "$dup"
echo '{"type":"record","name":"Same","fields":[]}' >"$dup/a.avsc"
echo '{"type":"record","name":"Same","namespace":"other","fields":[{"name":"x","type":"int"}]}' >"$dup/b.avsc"
"$REGIT" gen -o "$dup/out" "$dup/a.avsc" "$dup/b.avsc" >/dev/null 2>"$dup/err"
rc=$?
if [ $rc = 2 ] && grep -qF "$dup/a.avsc and $dup/b.avsc both generate same.h and same.c" "$dup/err" &&
   ! [ -e "$dup/out" ]; then
	ok "two schemas generating same.h: exit 2 with a message, nothing written"
else
	notok "two schemas generating same.h: exit 2 with a message, nothing written (got $rc)"
	sed 's/^/# /' "$dup/err" | head -5
fi

[ $n -gt 0 ] || notok "no cases in $CASES"
echo "1..$n"
