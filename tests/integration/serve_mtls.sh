#!/usr/bin/env bash
# serve_mtls.sh - `regit serve --tls-client-ca FILE` (mutual TLS, issue #13):
# a client certificate signed by that CA is required, and its subject CN is
# a user of the --auth file with that user's role, no password:
#   - alice (read) with her certificate reads (200) and may not change the
#     config (403); her certificate wins over a Basic header naming admin;
#   - root (admin) with hers changes the config (200);
#   - no certificate, a certificate of another CA, and one whose CN names
#     no user: 401 (the first two before admission);
#   - --tls-client-ca without --tls-cert or without --auth is exit 2.
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-build/regit}
REGIT=$(cd "$(dirname "$REGIT")" && pwd)/$(basename "$REGIT")
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { nok "$1"; echo "1..$n"; exit 1; }

# ca NAME: a CA key and self-signed certificate
ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/$1.key" -out "$tmp/$1.pem" \
		-days 2 -subj "/CN=$1" >/dev/null 2>&1
}
# cert NAME CN CA [SAN]: a key and a certificate for CN signed by CA
cert() {
	openssl req -newkey rsa:2048 -nodes -keyout "$tmp/$1.key" -out "$tmp/$1.csr" \
		-subj "/O=regit test/CN=$2" >/dev/null 2>&1 &&
	if [ -n "${4:-}" ]; then printf 'subjectAltName=%s\n' "$4" >"$tmp/$1.ext"; else : >"$tmp/$1.ext"; fi &&
	openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$3.pem" -CAkey "$tmp/$3.key" \
		-CAcreateserial -days 2 -extfile "$tmp/$1.ext" -out "$tmp/$1.pem" >/dev/null 2>&1
}
ca clients && ca other && ca server-ca &&
	cert server localhost server-ca "DNS:localhost,IP:127.0.0.1" &&
	cert alice alice clients && cert root root clients &&
	cert mallory mallory clients && cert forged root other ||
	fail "openssl makes the test CAs and certificates"
ok "openssl makes the test CAs and certificates"

printf 'alice-pw\n' | "$REGIT" passwd "$tmp/creds" alice read >/dev/null 2>&1 &&
	printf 'root-pw\n' | "$REGIT" passwd "$tmp/creds" root admin >/dev/null 2>&1 ||
	fail "regit passwd makes the credentials file"

# refused DESC ARGS...: regit serve ARGS exits 2 naming --tls-client-ca
refused() {
	local d=$1 rc
	shift
	timeout 10 "$REGIT" serve --listen 127.0.0.1:0 --store "$tmp/refused.git" "$@" \
		>/dev/null 2>"$tmp/r.err"
	rc=$?
	if [ $rc -eq 2 ] && grep -q -- "--tls-client-ca needs" "$tmp/r.err"; then
		ok "$d"
	else
		nok "$d (exit $rc: $(head -c 300 "$tmp/r.err"))"
	fi
}
refused "--tls-client-ca without --tls-cert is exit 2" \
	--auth "$tmp/creds" --tls-client-ca "$tmp/clients.pem"
refused "--tls-client-ca without --auth is exit 2" --insecure-no-auth \
	--tls-cert "$tmp/server.pem" --tls-key "$tmp/server.key" --tls-client-ca "$tmp/clients.pem"

"$REGIT" serve --listen 127.0.0.1:0 --store "$tmp/store.git" --auth "$tmp/creds" \
	--tls-cert "$tmp/server.pem" --tls-key "$tmp/server.key" \
	--tls-client-ca "$tmp/clients.pem" >"$tmp/out" 2>"$tmp/err" &
pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/out" 2>/dev/null)
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$port" ] || fail "server with --tls-client-ca started: $(head -c 300 "$tmp/err")"
ok "server with --tls-client-ca started"

# req WHO METHOD PATH [BODY] [CURL ARGS...]: prints "STATUS BODY"; WHO is a
# certificate name or "none"
req() {
	local who=$1 method=$2 path=$3 body=${4:-} certargs=()
	shift 3
	[ $# -gt 0 ] && shift
	[ "$who" != none ] && certargs=(--cert "$tmp/$who.pem" --key "$tmp/$who.key")
	curl -sS --max-time 10 --cacert "$tmp/server-ca.pem" "${certargs[@]}" "$@" \
		-X "$method" ${body:+-H "Content-Type: application/json" -d "$body"} \
		-w ' %{http_code}' "https://127.0.0.1:$port$path" 2>&1
}
# expect DESC STATUS PATTERN OUTPUT
expect() {
	local out=$4
	if [ "${out##* }" = "$2" ] && [[ "$out" == *$3* ]]; then ok "$1"; else nok "$1 (got: ${out:0:300})"; fi
}

expect "alice's certificate (read): GET /subjects 200" 200 "[]" "$(req alice GET /subjects)"
expect "alice's certificate (read): PUT /config 403" 403 '"error_code"' \
	"$(req alice PUT /config '{"compatibility":"NONE"}')"
expect "alice's certificate wins over a Basic header naming admin: 403" 403 '"error_code"' \
	"$(req alice PUT /config '{"compatibility":"NONE"}' -u root:root-pw)"
expect "root's certificate (admin): PUT /config 200" 200 '"compatibility":"NONE"' \
	"$(req root PUT /config '{"compatibility":"NONE"}')"
expect "no client certificate: 401, a certificate is required" 401 "client certificate" \
	"$(req none GET /subjects)"
expect "no client certificate, even with a right password: 401" 401 "client certificate" \
	"$(req none GET /subjects "" -u root:root-pw)"
expect "a certificate of another CA (CN root): 401" 401 "client certificate" \
	"$(req forged GET /subjects)"
expect "a certificate whose CN is no user: 401" 401 "names no user" \
	"$(req mallory GET /subjects)"
expect "alice still served after the refusals" 200 "[]" "$(req alice GET /subjects)"

kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rc=$?
pid=
if [ $rc -eq 0 ] || [ $rc -eq 143 ]; then ok "clean shutdown (exit $rc)"; else nok "clean shutdown (exit $rc)"; fi
echo "1..$n"
