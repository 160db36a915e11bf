#!/usr/bin/env bash
# serve_listen_tls.sh - `regit serve` says the real reason when it cannot
# listen, and serves TLS with a secure default (issue #13 TLS row, #15):
#   - a malformed --listen (no port, port out of range, not a number) is
#     exit 2 with the reason, before anything about authentication;
#   - a port in use is exit 2 "already in use", never libmicrohttpd's
#     "Failed to bind to port 0";
#   - the default TLS priorities refuse TLS 1.0/1.1, static-RSA key
#     exchange and CBC suites, and accept TLS 1.2 ECDHE+AEAD and TLS 1.3;
#     --tls-priorities replaces them, and a bad string is exit 2;
#   - plain HTTP sent to the TLS port in a loop is logged at most a
#     bounded number of times, and the server keeps answering.
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-build/regit}
REGIT=$(cd "$(dirname "$REGIT")" && pwd)/$(basename "$REGIT")
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME ARGS...: serve on a free port; sets $port and $pid
start() {
	local name=$1
	shift
	"$REGIT" serve --listen 127.0.0.1:0 --store "$tmp/$name.git" "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	pids+=("$pid")
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/$name.out" 2>/dev/null)
		[ -n "$port" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# refused DESC PATTERN ARGS...: regit serve ARGS exits 2 saying PATTERN
refused() {
	local d=$1 pat=$2 rc
	shift 2
	timeout 10 "$REGIT" serve --store "$tmp/refused.git" "$@" >"$tmp/r.out" 2>"$tmp/r.err"
	rc=$?
	if [ $rc -eq 2 ] && grep -q -- "$pat" "$tmp/r.err" && ! grep -q 'port 0' "$tmp/r.err"; then
		ok "$d"
	else
		nok "$d (exit $rc: $(head -c 300 "$tmp/r.err"))"
	fi
}

refused "--listen without a port is a missing port, not an auth problem" \
	"is not HOST:PORT" --listen 127.0.0.1
refused "--listen port 99999 is out of range" "out of range" --listen 127.0.0.1:99999
refused "--listen port that is not a number" "is not a number" --listen 127.0.0.1:80x
refused "--listen bare IPv6 without brackets" "is not HOST:PORT" --listen ::1

if ! start plain; then
	nok "plain server started: $(cat "$tmp/plain.err")"
	echo "1..$n"
	exit 1
fi
ok "plain server started"
refused "a port in use says so" "already in use" --listen "127.0.0.1:$port"

# TLS
if ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
	-days 2 -subj /CN=localhost >/dev/null 2>&1; then
	nok "openssl makes a test certificate"
	echo "1..$n"
	exit 1
fi
TLS=(--tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem")
refused "a bad --tls-priorities string is refused with GnuTLS's reason" \
	"tls-priorities" --listen 127.0.0.1:0 "${TLS[@]}" --tls-priorities "BOGUS:+NOPE"
refused "--tls-priorities without a certificate is a usage error" \
	"needs --tls-cert" --listen 127.0.0.1:0 --tls-priorities NORMAL

if ! start tls "${TLS[@]}"; then
	nok "TLS server started: $(cat "$tmp/tls.err")"
	echo "1..$n"
	exit 1
fi
ok "TLS server started"
tport=$port

# handshake PORT ARGS...: prints the negotiated cipher, or nothing when the
# handshake fails (s_client's exit status, and its "Cipher is (NONE)")
handshake() {
	local out
	out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$1" "${@:2}" 2>/dev/null) || return 0
	sed -n 's/^New, [^,]*, Cipher is \(.*\)/\1/p' <<<"$out" | grep -v '(NONE)' | head -1
}
# openssl's own "SECLEVEL" may forbid old versions on the client side too;
# lower it so the refusal measured is the server's.
old=(-cipher 'DEFAULT:@SECLEVEL=0')
check "TLS 1.0 is refused" test -z "$(handshake "$tport" -tls1 "${old[@]}")"
check "TLS 1.1 is refused" test -z "$(handshake "$tport" -tls1_1 "${old[@]}")"
check "TLS 1.2 static-RSA key exchange is refused" \
	test -z "$(handshake "$tport" -tls1_2 -cipher 'AES128-GCM-SHA256')"
check "TLS 1.2 CBC suites are refused" \
	test -z "$(handshake "$tport" -tls1_2 -cipher 'ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA384')"
got=$(handshake "$tport" -tls1_2 -cipher 'ECDHE-RSA-AES128-GCM-SHA256')
check "TLS 1.2 ECDHE with AES-GCM is accepted ($got)" test -n "$got"
got=$(handshake "$tport" -tls1_3)
check "TLS 1.3 is accepted ($got)" test -n "$got"
status=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$tport/health")
check "HTTPS GET /health answers 200 (got $status)" test "$status" = 200

# Plain HTTP to the TLS port, many times: a bounded log, a live server.
for _ in $(seq 60); do
	printf 'GET / HTTP/1.0\r\n\r\n' | timeout 2 bash -c "cat > /dev/tcp/127.0.0.1/$tport" 2>/dev/null
done
sleep 0.5
lines=$(grep -c '^regit: http:' "$tmp/tls.err")
check "60 plain-HTTP attempts on the TLS port log at most 20 lines (got $lines)" \
	test "$lines" -le 20
status=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$tport/health")
check "the TLS server still answers after the garbage (got $status)" test "$status" = 200

# --tls-priorities replaces the default: NORMAL lets a CBC suite through.
if ! start tlsnormal "${TLS[@]}" --tls-priorities NORMAL; then
	nok "TLS server with --tls-priorities NORMAL started: $(cat "$tmp/tlsnormal.err")"
else
	got=$(handshake "$port" -tls1_2 -cipher 'ECDHE-RSA-AES128-SHA')
	check "--tls-priorities NORMAL accepts a CBC suite the default refuses ($got)" test -n "$got"
fi
echo "1..$n"
