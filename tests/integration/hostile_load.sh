#!/usr/bin/env bash
# hostile_load.sh - `regit serve --auth` under hostile load (issue 13).
# The checks live in hostile_load.py; this wrapper is what tests/run finds.
set -u
cd "$(dirname "$0")/../.."
# A missing tool is a visible skip (scripts/install-deps --test installs
# both); a missing or broken `regit serve` is the product failing: not ok.
if ! command -v python3 >/dev/null || ! command -v git >/dev/null; then
	echo "ok 1 - hostile_load # skip python3 or git not installed (scripts/install-deps --test)"
	exit 0
fi
if ! err=$("${REGIT_BIN:-build/regit}" serve --help 2>&1 >/dev/null); then
	echo "not ok 1 - regit serve --help succeeds (the checks in hostile_load.py need it)"
	printf '%s\n' "$err" | head -5 | sed 's/^/#   /'
	exit 1
fi
exec python3 tests/integration/hostile_load.py
