#!/usr/bin/env bash
# lint_policy.sh - the per-subject lint policy ("regit.lint") of `regit serve`
# over HTTP: config GET/PUT/DELETE, --lint, 42201 under enforce, warn counted
# in /metrics, verbose compatibility. The checks live in lint_policy.py.
set -u
cd "$(dirname "$0")/../.."
if ! command -v python3 >/dev/null; then
	echo "ok 1 - lint_policy # skip python3 not installed (scripts/install-deps --test)"
	exit 0
fi
exec python3 tests/integration/lint_policy.py
