#!/usr/bin/env bash
# replicas_ssh.sh - two `regit serve --upstream ssh://...` replicas on one
# bare repository behind a real sshd on loopback (issue #12, ssh part). The
# checks live in replicas_ssh.py; this wrapper is what tests/run finds.
set -u
cd "$(dirname "$0")/../.."
# python3, git, ssh, ssh-keygen and /usr/sbin/sshd come from
# scripts/install-deps --test (openssh-client, openssh-server); without
# them the test cannot run at all: not ok, never a skip.
for tool in python3 git ssh ssh-keygen /usr/sbin/sshd; do
	if ! command -v "$tool" >/dev/null; then
		echo "not ok 1 - replicas_ssh: $tool is missing (scripts/install-deps --test)"
		exit 1
	fi
done
if ! err=$("${REGIT_BIN:-build/regit}" serve --help 2>&1 >/dev/null); then
	echo "not ok 1 - regit serve --help succeeds (the checks in replicas_ssh.py need it)"
	printf '%s\n' "$err" | head -5 | sed 's/^/#   /'
	exit 1
fi
# Bounded as a whole (about 20 s on loopback; each wait inside too).
exec timeout -k 5 240 python3 tests/integration/replicas_ssh.py
