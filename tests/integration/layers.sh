#!/usr/bin/env bash
# layers.sh - `make cycles` inside `make test`: no two product source files
# depend on each other in a cycle, and each folder uses only the folders
# below it (scripts/cycles, read from the built objects with nm). The code
# generator's driver/emitter split (codegen/README.md) is one case of it.
# Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
BUILD=${REGIT_BUILD:-$PWD/build}
if out=$(scripts/cycles "$BUILD" 2>&1); then
	echo "ok 1 - no file-level dependency cycle, folders layered ($(tail -1 <<<"$out"))"
else
	echo "not ok 1 - scripts/cycles:"
	sed 's/^/#   /' <<<"$out"
fi
if grep -q 'lists a cycle that is gone' <<<"$out"; then
	echo "not ok 2 - tests/cycles.allowed names a cycle that is gone: remove it"
else
	echo "ok 2 - tests/cycles.allowed names only live cycles"
fi
