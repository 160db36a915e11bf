#!/usr/bin/env bash
# passwd_cli.sh - `regit passwd`: creates and updates credentials files
# atomically, at mode 0600, with hashes an independent crypt(3) caller
# (Python's crypt module) verifies, and refuses bad input without touching
# the file.
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-build/regit}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
f="$tmp/creds"

# verify FILE USER PASSWORD: 0 when crypt(PASSWORD, stored hash) == stored hash
verify() {
	python3 -W ignore - "$@" <<'EOF'
import crypt, sys
path, user, pw = sys.argv[1:4]
for line in open(path):
    u, role, h = line.rstrip("\n").split(":", 2) if ":" in line and not line.startswith("#") else (None, None, None)
    if u == user:
        sys.exit(0 if crypt.crypt(pw, h) == h else 1)
sys.exit(2)
EOF
}
mode() { stat -c %a "$1"; }
role_of() { awk -F: -v u="$2" '$1 == u { print $2 }' "$1"; }

echo 'correct horse' | "$REGIT" passwd "$f" alice admin 2>/dev/null
check "add creates the file" test -f "$f"
check "file mode is 0600" test "$(mode "$f")" = 600
check "entry is user:role:crypt-hash" grep -qE '^alice:admin:\$(y|6)\$' "$f"
check "independent crypt verifies the password" verify "$f" alice 'correct horse'
if verify "$f" alice 'correct horsE'; then nok "wrong password rejected"; else ok "wrong password rejected"; fi

printf 'p:a ss\r\n' | "$REGIT" passwd --password-stdin "$f" bob read 2>/dev/null
check "password with colon and space, CRLF stripped" verify "$f" bob 'p:a ss'

# other lines, comments included, survive an update verbatim
{ echo '# ops team'; cat "$f"; } >"$f.new" && mv "$f.new" "$f" && chmod 644 "$f"
bob_before=$(grep '^bob:' "$f")
alice_before=$(grep '^alice:' "$f")
echo 'battery staple' | "$REGIT" passwd "$f" alice write 2>/dev/null
check "update keeps comments" grep -qx '# ops team' "$f"
check "update keeps other users verbatim" test "$(grep '^bob:' "$f")" = "$bob_before"
check "update replaces the hash" test "$(grep '^alice:' "$f")" != "$alice_before"
check "update changes the role" test "$(role_of "$f" alice)" = write
check "updated password verifies" verify "$f" alice 'battery staple'
check "one line per user after update" test "$(grep -c '^alice:' "$f")" = 1
check "update restores mode 0600" test "$(mode "$f")" = 600

before=$(cat "$f")
echo pw | "$REGIT" passwd "$f" carol root 2>/dev/null
check "unknown role is exit 2" test $? = 2
echo pw | "$REGIT" passwd "$f" 'ca rol' read 2>/dev/null
check "invalid user name is exit 2" test $? = 2
echo pw | "$REGIT" passwd "$f" 'x:y' read 2>/dev/null
check "user name with colon is exit 2" test $? = 2
printf '' | "$REGIT" passwd "$f" carol read 2>/dev/null
check "empty password is exit 2" test $? = 2
head -c 512 /dev/zero | tr '\0' x | "$REGIT" passwd "$f" carol read 2>"$tmp/long.err"
check "password over 511 bytes (crypt's limit) is exit 2" test $? = 2
check "... saying why, not crypt's 'Numerical result out of range'" \
	grep -q "longer than 511 bytes (crypt(3)" "$tmp/long.err"
"$REGIT" passwd "$f" carol </dev/null 2>/dev/null
check "missing role is exit 2" test $? = 2
"$REGIT" passwd --bogus "$f" carol read </dev/null 2>/dev/null
check "unknown option is exit 2" test $? = 2
check "refused changes leave the file alone" test "$(cat "$f")" = "$before"
head -c 511 /dev/zero | tr '\0' x | "$REGIT" passwd "$f" longpw read 2>/dev/null
check "a 511-byte password is taken" grep -q '^longpw:read:' "$f"

"$REGIT" passwd --help >/dev/null
check "--help is exit 0" test $? = 0

"$REGIT" passwd --delete "$f" bob 2>/dev/null
check "delete is exit 0" test $? = 0
check "delete removes the user" test -z "$(grep '^bob:' "$f")"
check "delete keeps the others" verify "$f" alice 'battery staple'
"$REGIT" passwd --delete "$f" bob 2>/dev/null
check "deleting a missing user is exit 1" test $? = 1

# a file the server would refuse is never built upon
printf 'mallory:admin:$1$abc$OGyl6dDvZCDiGmIVbeuCq/\n' >"$tmp/bad"
echo pw | "$REGIT" passwd "$tmp/bad" dave read 2>"$tmp/err"
check "corrupt existing file is exit 2" test $? = 2
check "corrupt file error names the line" grep -q 'line 1' "$tmp/err"
check "corrupt file untouched" test "$(grep -c dave "$tmp/bad")" = 0

# concurrent writers: the directory lock serialises them, nobody is lost
for i in 1 2 3 4 5 6; do
	(echo "pw$i" | "$REGIT" passwd "$f" "user$i" read 2>/dev/null) &
done
wait
lost=0
for i in 1 2 3 4 5 6; do
	verify "$f" "user$i" "pw$i" || lost=$((lost + 1))
done
check "6 concurrent adds: none lost" test "$lost" = 0
check "no temp files left behind" test -z "$(ls "$tmp" | grep tmp)"
check "file still mode 0600" test "$(mode "$f")" = 600

echo pw | "$REGIT" passwd "$tmp/no/such/dir/creds" alice read 2>/dev/null
check "missing directory is exit 2" test $? = 2
