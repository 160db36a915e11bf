#!/usr/bin/env bash
# crash_safety.sh - kill -9 the server under concurrent registrations ~20
# times and check nothing acknowledged is lost; two servers on one store.
# The checks live in crash_safety.py; this wrapper is what tests/run finds.
set -u
cd "$(dirname "$0")/../.."
# A missing tool is a visible skip (scripts/install-deps --test installs
# both); a missing or broken `regit serve` is the product failing: not ok.
if ! command -v python3 >/dev/null || ! command -v git >/dev/null; then
	echo "ok 1 - crash_safety # skip python3 or git not installed (scripts/install-deps --test)"
	exit 0
fi
if ! err=$("${REGIT_BIN:-build/regit}" serve --help 2>&1 >/dev/null); then
	echo "not ok 1 - regit serve --help succeeds (the checks in crash_safety.py need it)"
	printf '%s\n' "$err" | head -5 | sed 's/^/#   /'
	exit 1
fi
exec python3 tests/integration/crash_safety.py
