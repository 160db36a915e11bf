#!/usr/bin/env bash
# install.sh - `make install PREFIX=... DESTDIR=...` puts exactly the
# expected files in place (binary, man pages, completion, runtime header,
# systemd unit) and `make uninstall` removes all of them; the unit passes
# `systemd-analyze verify` where systemd-analyze exists.
# Prints TAP lines ("ok N - ..." / "not ok N - ...").
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
BUILD_DIR=${REGIT_BUILD:-$PWD/build}
BUILD_REL=${BUILD_DIR#"$PWD"/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

dest="$tmp/dest"
make -s --no-print-directory BUILD="$BUILD_REL" SANITIZE="${SANITIZE:-}" install PREFIX=/opt/regit DESTDIR="$dest" \
	>"$tmp/out" 2>&1
check "make install exits 0" "[ \$? -eq 0 ]" || cat "$tmp/out" >&2

# The expected list: fixed files plus one man page per generated page.
{
	echo ./opt/regit/bin/regit
	echo ./opt/regit/include/regit_avro.h
	echo ./opt/regit/lib/systemd/system/regit.service
	echo ./opt/regit/share/bash-completion/completions/regit
	echo ./opt/regit/share/zsh/site-functions/_regit
	for f in "$BUILD_DIR"/man/*.1; do echo "./opt/regit/share/man/man1/${f##*/}"; done
} | sort >"$tmp/expected"
(cd "$dest" && find . -type f | sort) >"$tmp/got"
check "installed files are exactly the expected ones" "diff $tmp/expected $tmp/got >&2"
check "man pages installed: regit.1 and regit-check.1" \
	"[ -s $dest/opt/regit/share/man/man1/regit.1 ] && [ -s $dest/opt/regit/share/man/man1/regit-check.1 ]"
check "the binary is executable and runs" "[ -x $dest/opt/regit/bin/regit ] && $dest/opt/regit/bin/regit version | grep -q '^regit '"
check "the header is codegen/regit_avro.h" "cmp -s codegen/regit_avro.h $dest/opt/regit/include/regit_avro.h"
unit="$dest/opt/regit/lib/systemd/system/regit.service"
check "the unit runs this PREFIX's binary" \
	"grep -qx 'ExecStart=/opt/regit/bin/regit serve --store /var/lib/regit/registry.git' $unit"
for key in DynamicUser=yes StateDirectory=regit ProtectSystem=strict ProtectHome=yes \
	NoNewPrivileges=yes PrivateTmp=yes SystemCallFilter=@system-service; do
	check "the unit is hardened: $key" "grep -qx '$key' $unit"
done
check "the unit restricts address families" "grep -q '^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX$' $unit"
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify checks that ExecStart exists: point it at the staged binary.
	sed "s|/opt/regit/bin/regit|$dest/opt/regit/bin/regit|" "$unit" >"$tmp/regit.service"
	check "systemd-analyze verify accepts the unit" \
		"systemd-analyze verify --man=no $tmp/regit.service >$tmp/verify 2>&1 || { cat $tmp/verify >&2; false; }"
fi
check "the installed bash completion is the generated one" \
	"cmp -s $BUILD_DIR/completion/regit.bash $dest/opt/regit/share/bash-completion/completions/regit"

make -s --no-print-directory BUILD="$BUILD_REL" SANITIZE="${SANITIZE:-}" uninstall PREFIX=/opt/regit DESTDIR="$dest" \
	>"$tmp/out" 2>&1
check "make uninstall exits 0" "[ \$? -eq 0 ]"
check "uninstall leaves no file behind" "[ -z \"\$(find $dest -type f)\" ]"
# Only what install put is removed: a stranger in the same directory stays.
mkdir -p "$dest/opt/regit/bin" && echo keep >"$dest/opt/regit/bin/other"
make -s --no-print-directory BUILD="$BUILD_REL" SANITIZE="${SANITIZE:-}" uninstall PREFIX=/opt/regit DESTDIR="$dest" >/dev/null 2>&1
check "uninstall removes nothing else" "[ -f $dest/opt/regit/bin/other ]"
