#!/usr/bin/env bash
# compat_differential.sh - regit's Avro resolution against python3-avro on
# 300 seeded random schema pairs (tests/compat/differential.py explains the
# oracle and the specification points where python3-avro 1.11.1 deviates).
# Prints TAP lines. COMPAT_DIFF_COUNT / COMPAT_DIFF_SEED override the run.
set -u
cd "$(dirname "$0")/../.."
REGIT=${REGIT_BIN:-$PWD/build/regit}
# Debian's python3-avro lives in the system interpreter, not in a pyenv one.
PY=/usr/bin/python3
if ! "$PY" -c 'import avro.compatibility' 2>/dev/null; then
	echo "ok 1 - differential test # SKIP python3-avro not installed (scripts/install-deps --test)"
	exit 0
fi
exec "$PY" tests/compat/differential.py "$REGIT" \
	--seed "${COMPAT_DIFF_SEED:-20261126}" --count "${COMPAT_DIFF_COUNT:-300}"
