#!/usr/bin/env bash
# codegen_cmake.sh - examples/cmake configures and builds with cmake against
# the built regit (add_custom_command runs `regit gen` at build time), the
# program round-trips an event, and an up-to-date build does not run regit
# again. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."

BUILD_DIR=${REGIT_BUILD:-$PWD/build}
REGIT=${REGIT_BIN:-$BUILD_DIR/regit}
OUT=$BUILD_DIR/cmake-example
rm -rf "$OUT"
mkdir -p "$OUT"

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

if ! command -v cmake >/dev/null 2>&1; then
	notok "cmake not installed (scripts/install-deps --test)"
	echo "1..$n"
	exit 0
fi
if cmake -S examples/cmake -B "$OUT" -DREGIT="$(cd "$(dirname "$REGIT")" && pwd)/$(basename "$REGIT")" \
	>"$OUT/configure.log" 2>&1; then
	ok "examples/cmake configures"
else
	notok "examples/cmake configures"
	sed 's/^/# /' "$OUT/configure.log" | tail -20
	echo "1..$n"
	exit 0
fi
if cmake --build "$OUT" >"$OUT/build.log" 2>&1 && [ -f "$OUT/gen/user_created.h" ] &&
   [ -f "$OUT/gen/regit_avro.h" ]; then
	ok "examples/cmake builds, running regit gen into the build tree"
else
	notok "examples/cmake builds, running regit gen into the build tree"
	sed 's/^/# /' "$OUT/build.log" | tail -20
fi
if "$OUT/user_demo" >"$OUT/run.log" 2>&1 && grep -q "schema id 2, email ada@example.com" "$OUT/run.log"; then
	ok "user_demo round-trips a framed event"
else
	notok "user_demo round-trips a framed event"
	sed 's/^/# /' "$OUT/run.log" | head -5
fi
# A rebuild with nothing changed does not run regit again.
cmake --build "$OUT" >"$OUT/rebuild.log" 2>&1
if ! grep -q "regit gen" "$OUT/rebuild.log"; then
	ok "an up-to-date build does not regenerate"
else
	notok "an up-to-date build does not regenerate"
fi
echo "1..$n"
