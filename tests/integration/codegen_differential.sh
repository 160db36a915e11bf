#!/usr/bin/env bash
# codegen_differential.sh - generated codecs against python3-avro on seeded
# random schemas, data and reader evolutions, every decoder built under
# ASan/UBSan (tests/codegen/differential.py says what is checked and where
# python3-avro departs from the specification).
#
# make test: 48 schemas in 2 compiler runs (well under a minute). A long run:
#   CODEGEN_DIFF_N=2000 CODEGEN_DIFF_SEED=1 tests/integration/codegen_differential.sh
# (CODEGEN_DIFF_DATA / CODEGEN_DIFF_MUTATIONS: per schema and mode;
# CODEGEN_DIFF_MINUTES=15 starts no batch after 15 minutes). Every
# failure names its seed, schema files (kept under $REGIT_BUILD/gen-differential)
# and input, and the --seeds command that reruns its batch. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
BUILD_DIR=${REGIT_BUILD:-$PWD/build}
REGIT=${REGIT_BIN:-$BUILD_DIR/regit}
# Debian's python3-avro lives in the system interpreter, not in a pyenv one.
PY=/usr/bin/python3
if ! "$PY" -c 'import avro.io' 2>/dev/null; then
	echo "ok 1 - differential codegen test # SKIP python3-avro not installed (scripts/install-deps --test)"
	exit 0
fi
if ! command -v clang >/dev/null 2>&1; then
	echo "ok 1 - differential codegen test # SKIP clang not installed (scripts/install-deps --test)"
	exit 0
fi
# The fixed seed set: 20261244 is the first schema whose reader-added field
# had a -0.0 default (tests/codegen/users/default_negzero).
exec "$PY" tests/codegen/differential.py "$REGIT" --work "$BUILD_DIR/gen-differential" \
	--seed "${CODEGEN_DIFF_SEED:-20261206}" --count "${CODEGEN_DIFF_N:-48}" --batch 24 \
	--data "${CODEGEN_DIFF_DATA:-6}" --mutations "${CODEGEN_DIFF_MUTATIONS:-4}" --timeout 300 \
	--minutes "${CODEGEN_DIFF_MINUTES:-0}"
