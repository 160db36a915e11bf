#!/usr/bin/env bash
# auth_server.sh - `regit serve --auth`: 401/403, roles, commit authors, the
# loopback-only bind policy without auth, and TLS.
# The checks live in auth_server.py; this wrapper is what tests/run finds.
set -u
cd "$(dirname "$0")/../.."
if ! command -v python3 >/dev/null || ! command -v git >/dev/null; then
	echo "ok 1 # skip python3 or git not installed"
	exit 0
fi
if ! "${REGIT_BIN:-build/regit}" serve --help >/dev/null 2>&1 ||
   [ ! -f tests/integration/serverlib.py ]; then
	echo "ok 1 # skip regit serve not available in this build"
	exit 0
fi
exec python3 tests/integration/auth_server.py
