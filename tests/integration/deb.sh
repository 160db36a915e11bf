#!/usr/bin/env bash
# deb.sh - `make deb` builds regit_<version>_<arch>.deb with Debian's own
# tools: its control data (name, version, architecture, Depends from
# dpkg-shlibdeps naming installed packages), its files (binary, every man
# page gzipped, completions, header, the unit pointing at /usr/bin/regit,
# copyright), then `dpkg -x` into a temporary directory: the extracted
# binary runs and `man -l` reads an extracted page. lintian must report no
# error or warning. Prints TAP lines ("ok N - ..." / "not ok N - ...").
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
BUILD_DIR=${REGIT_BUILD:-$PWD/build}
BUILD_REL=${BUILD_DIR#"$PWD"/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; sed 's/^/#   /' "$tmp/out" 2>/dev/null | head -20; fi; }

version=$(sed -n 's/^REGIT_VERSION_NUMBER = //p' cli/module.mk)
arch=$(dpkg --print-architecture)
deb="$BUILD_DIR/regit_${version}_${arch}.deb"
rm -f "$deb"
make -s --no-print-directory BUILD="$BUILD_REL" SANITIZE="${SANITIZE:-}" deb >"$tmp/out" 2>&1
check "make deb exits 0 and prints the package's path" "[ \$? -eq 0 ] && [ \"\$(tail -n 1 $tmp/out)\" = '$deb' ]"
check "regit_${version}_${arch}.deb exists" "[ -s '$deb' ]"

dpkg-deb --field "$deb" Package Version Architecture >"$tmp/out" 2>&1
check "control: Package regit, Version $version, Architecture $arch" \
	"printf 'Package: regit\nVersion: $version\nArchitecture: $arch\n' | diff - $tmp/out >/dev/null"
dpkg-deb --field "$deb" Depends >"$tmp/out" 2>&1
check "Depends (dpkg-shlibdeps) names libc6, libgit2, libmicrohttpd, libjansson, libcurl, libyaml" \
	"grep -Eq '(^|, )libc6 ' $tmp/out && grep -q 'libgit2-' $tmp/out && grep -q 'libmicrohttpd' $tmp/out && grep -q 'libjansson' $tmp/out && grep -q 'libcurl' $tmp/out && grep -q 'libyaml' $tmp/out"
missing=
for p in $(tr ',' '\n' <"$tmp/out" | sed 's/(.*//; s/|.*//; s/ //g'); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
check "every package in Depends is an installed Debian package (the binary runs with them)" "[ -z '$missing' ]"
dpkg-deb --info "$deb" >"$tmp/out" 2>&1
check "dpkg-deb --info: control and md5sums, a description" \
	"grep -q ' control ' $tmp/out && grep -q ' md5sums ' $tmp/out && grep -q '^ Description: ' $tmp/out"

dpkg-deb --contents "$deb" | awk '{print $6}' | sort >"$tmp/contents"
{
	echo ./lib/systemd/system/regit.service
	echo ./usr/bin/regit
	echo ./usr/include/regit_avro.h
	echo ./usr/share/bash-completion/completions/regit
	echo ./usr/share/doc/regit/changelog.gz
	echo ./usr/share/doc/regit/copyright
	echo ./usr/share/zsh/vendor-completions/_regit
	for f in "$BUILD_DIR"/man/*.1; do echo "./usr/share/man/man1/${f##*/}.gz"; done
} | sort >"$tmp/expected"
grep -v '/$' "$tmp/contents" >"$tmp/files"
cp "$tmp/files" "$tmp/out"
check "dpkg-deb --contents: exactly the expected files (every man page, gzipped)" "diff $tmp/expected $tmp/files >/dev/null"

x="$tmp/x"
dpkg -x "$deb" "$x" >"$tmp/out" 2>&1
check "dpkg -x extracts it" "[ \$? -eq 0 ] && [ -x $x/usr/bin/regit ]"
"$x/usr/bin/regit" --version >"$tmp/out" 2>&1
check "the extracted binary runs: --version says $version" "[ \$? -eq 0 ] && grep -q '^regit $version' $tmp/out"
"$x/usr/bin/regit" check --help >"$tmp/out" 2>&1
check "the extracted binary is this build (check --help lists --reference)" "grep -q -- '--reference FILE' $tmp/out"
check "the binary is stripped" "! file $x/usr/bin/regit | grep -q 'not stripped'"
MANWIDTH=80 man -l "$x/usr/share/man/man1/regit-check.1.gz" >"$tmp/out" 2>&1
check "man -l reads an extracted page (regit-check: NAME, --against, EXIT STATUS)" \
	"grep -q 'regit-check' $tmp/out && grep -q -- '--against' $tmp/out && grep -q 'EXIT STATUS' $tmp/out"
check "the unit runs /usr/bin/regit" \
	"grep -qx 'ExecStart=/usr/bin/regit serve --store /var/lib/regit/registry.git' $x/lib/systemd/system/regit.service"
check "the header is codegen/regit_avro.h" "cmp -s codegen/regit_avro.h $x/usr/include/regit_avro.h"
check "the copyright file is machine-readable (DEP-5)" \
	"head -n 1 $x/usr/share/doc/regit/copyright | grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/'"

lintian --fail-on error,warning "$deb" >"$tmp/out" 2>&1
check "lintian: no error and no warning" "[ \$? -eq 0 ] && ! grep -q '^[EW]: ' $tmp/out"

echo "1..$n"
