"""hostile.py - hostile input against the real `regit serve` (issue 6): every
attack gets a clear 4xx (never a 5xx, crash or hang) and the server still
answers afterwards. Run by hostile.sh.

Each check sends the attack, asserts the status class (and a Confluent
error body where the server produced one), then asserts `GET /` still
answers on a fresh connection. A final check asserts the process never
died and its stderr shows no sanitizer report.
"""
import http.client
import json
import os
import resource
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverlib import CT_V1, Server, Tap, q  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="regit-hostile-")
S1 = '{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}'


def raw(port, data, timeout=20, shut=True, read=True):
    """Send raw bytes on a new connection; return (status or None, bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        buf = b""
        if read:
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
            except (socket.timeout, ConnectionResetError):
                pass
        status = None
        if buf.startswith(b"HTTP/1."):
            try:
                status = int(buf.split(b" ", 2)[1])
            except (ValueError, IndexError):
                pass
        return status, buf
    finally:
        s.close()


def body_of(buf):
    return buf.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in buf else b""


def alive(srv):
    try:
        r = srv.request("GET", "/", fresh=True)
        return r.status == 200
    except Exception:  # noqa: BLE001
        return False


def is_error_json(text):
    try:
        d = json.loads(text)
        return isinstance(d, dict) and isinstance(d.get("error_code"), int) \
            and isinstance(d.get("message"), str)
    except Exception:  # noqa: BLE001
        return False


def expect4xx(desc, status, text=None, srv=None, want=None, json_body=True):
    good = status is not None and 400 <= status < 500
    if want is not None:
        good = good and status in (want if isinstance(want, tuple) else (want,))
    if good and json_body and text is not None and text != "":
        good = is_error_json(text)
    t.ok(good, desc, f"got {status} {str(text)[:300]}")
    if srv is not None:
        t.ok(alive(srv), f"  ...server still answers after: {desc}")


class RawResponse:
    def __init__(self, status, buf):
        self.status = status
        self.text = body_of(buf).decode("utf-8", "replace")

    def __repr__(self):
        return f"{self.status} {self.text[:300]}"


def post(srv, path, body, ctype=CT_V1, headers=None):
    if isinstance(body, str):
        body = body.encode()
    if len(body) < (1 << 20):
        return srv.request("POST", path, body=body, ctype=ctype, headers=headers, fresh=True)
    # Big bodies: the server may answer 413 and close while we still send.
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    st, buf = raw(srv.port, head + body, timeout=60)
    return RawResponse(st, buf)


def nested_schema(depth):
    return '{"type":"array","items":' * depth + '"int"' + "}" * depth


servers = []
try:
    store = os.path.join(tmp, "store.git")
    srv = Server(store, "--compat", "BACKWARD", "--rules", "avro", name="hostile", tmp=tmp)
    servers.append(srv)
    P = srv.port
    R = srv.request
    t.ok(R("POST", "/subjects/base/versions", body={"schema": S1}).status == 200,
         "baseline registration works")

    # ---- malformed JSON, invalid UTF-8 --------------------------------------
    for desc, body in [
        ("truncated JSON body", b'{"schema": '),
        ("not JSON at all", b"schema=1"),
        ("JSON array instead of object", b"[1,2,3]"),
        ("schema member is a number", b'{"schema": 42}'),
        ("schema string is not JSON", b'{"schema": "{not json"}'),
        ("empty body", b""),
        ("NUL byte in body", b'{"schema": "\x00"}'),
        ("invalid UTF-8 in the body", b'{"schema": "\xff\xfe\xfd"}'),
        ("invalid UTF-8 inside the schema string",
         b'{"schema": "{\\"type\\":\\"record\\",\\"name\\":\\"\xc3\\",\\"fields\\":[]}"}'),
        ("overlong UTF-8 encoding of '/'", b'{"schema": "\xc0\xaf"}'),
        ("UTF-16 surrogate escape alone", b'{"schema": "\\ud800"}'),
    ]:
        r = post(srv, "/subjects/x/versions", body)
        expect4xx(f"register with {desc}", r.status, r.text)
    t.ok(alive(srv), "server answers after malformed bodies")

    # ---- deep nesting ---------------------------------------------------------
    deep = nested_schema(100000)
    r = post(srv, "/subjects/deep/versions", json.dumps({"schema": deep}))
    expect4xx("schema string nested 100,000 deep", r.status, r.text, srv)
    r = post(srv, "/subjects/deep", json.dumps({"schema": deep}))
    expect4xx("lookup with a schema nested 100,000 deep", r.status, r.text)
    r = post(srv, "/compatibility/subjects/base/versions/latest", json.dumps({"schema": deep}))
    expect4xx("compatibility test with a schema nested 100,000 deep", r.status, r.text)
    r = post(srv, "/subjects/deep/versions", b"[" * 100000 + b"]" * 100000)
    expect4xx("request body JSON nested 100,000 deep", r.status, r.text, srv)
    r = srv.request("PUT", "/config", body=b'{"compatibility":' + b"[" * 100000, fresh=True)
    expect4xx("config body nested 100,000 deep", r.status, r.text)
    deep_union = "[" * 50000 + '"int"' + "]" * 50000
    r = post(srv, "/subjects/deep/versions", json.dumps({"schema": deep_union}))
    expect4xx("union nested 50,000 deep", r.status, r.text)

    # ---- big bodies, many fields ------------------------------------------------
    big = 50 * 1024 * 1024
    hdr = (f"POST /subjects/big/versions HTTP/1.1\r\nHost: x\r\nContent-Type: {CT_V1}\r\n"
           f"Content-Length: {big}\r\n\r\n").encode()
    st, buf = raw(P, hdr + b'{"schema":"' + b"a" * (1 << 20), shut=False)
    expect4xx("50 MB declared body (Content-Length)", st, body_of(buf).decode(errors="replace"),
              srv, want=413)
    # chunked: no length declared, the cap must still hold
    s = socket.create_connection(("127.0.0.1", P), timeout=30)
    s.sendall((f"POST /subjects/big/versions HTTP/1.1\r\nHost: x\r\nContent-Type: {CT_V1}\r\n"
               "Transfer-Encoding: chunked\r\n\r\n").encode())
    chunk = b"a" * (1 << 20)
    sent = 0
    try:
        while sent < big:
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sent += len(chunk)
        s.sendall(b"0\r\n\r\n")
    except OSError:
        pass
    buf = b""
    try:
        s.settimeout(20)
        while True:
            c = s.recv(65536)
            if not c:
                break
            buf += c
            if b"\r\n\r\n" in buf:
                break
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    st = int(buf.split(b" ", 2)[1]) if buf.startswith(b"HTTP/1.") else None
    expect4xx(f"50 MB chunked body (server stopped it after {sent >> 20} MB)", st,
              None, srv, want=413)

    # 1M fields is ~30 MB of body: the body cap answers before any parser
    # sees it. The parser's own bound (100,000 names: types, fields,
    # symbols) is unit-tested in tests/compat/test_schema.c
    # (test_schema__many_names); over HTTP the 1 MiB schema size limit
    # comes first for fields, so an enum's short symbols reach it below.
    fields = ",".join('{"name":"f%d","type":"int"}' % i for i in range(1000000))
    r = post(srv, "/subjects/wide/versions",
             json.dumps({"schema": '{"type":"record","name":"W","fields":[' + fields + "]}"}))
    expect4xx("record with 1,000,000 fields (30 MB body): the body cap, 413", r.status, r.text,
              srv, want=413)
    # 100,000 symbols plus the enum's name (0.9 MB, under the 1 MiB schema
    # limit): the schema parser's name bound refuses it.
    enum = ('{"type":"enum","name":"E","symbols":['
            + ",".join('"S%d"' % i for i in range(100000)) + "]}")
    assert len(enum) < 1 << 20
    r = post(srv, "/subjects/wide/versions", json.dumps({"schema": enum}))
    expect4xx("enum with 100,000 symbols (0.9 MB): the parser's name bound", r.status, r.text,
              srv, want=422)
    t.ok(r.status == 422 and "more than 100000 names" in r.text,
         "  ...the answer names the parser's bound", r)
    # 1M members in the request object itself (8 MB, under the body cap)
    members = ",".join('"k%d":1' % i for i in range(1000000))
    t0 = time.monotonic()
    r = post(srv, "/subjects/wide/versions", '{"schema":' + json.dumps(S1) + "," + members + "}")
    t.ok(r.status < 500 and time.monotonic() - t0 < 30,
         f"request object with 1,000,000 members answered without 5xx ({r.status})", r)
    t.ok(alive(srv), "  ...server still answers after 1M members")
    enum = '{"type":"enum","name":"E","symbols":[' + ",".join('"S%d"' % i for i in range(300000)) + "]}"
    r = post(srv, "/subjects/wide/versions", json.dumps({"schema": enum}))
    expect4xx("enum with 300,000 symbols", r.status, r.text)

    # ---- enormous numbers -----------------------------------------------------------
    for desc, path in [
        ("schema id 2^64", "/schemas/ids/18446744073709551616"),
        ("schema id 2^31", "/schemas/ids/2147483648"),
        ("schema id -1", "/schemas/ids/-1"),
        ("schema id 1e400", "/schemas/ids/1e400"),
        ("version 2^64", "/subjects/base/versions/18446744073709551616"),
        ("version 2^31", "/subjects/base/versions/2147483648"),
        ("version -2", "/subjects/base/versions/-2"),
        ("version 0", "/subjects/base/versions/0"),
        ("version with 10,000 digits", "/subjects/base/versions/" + "9" * 10000),
    ]:
        r = srv.request("GET", path, fresh=True)
        expect4xx(desc, r.status, r.text)
    for desc, query in [
        ("offset 2^64", "offset=18446744073709551616"),
        ("limit 2^64", "limit=18446744073709551616"),
        ("offset -5", "offset=-5"),
        ("limit -5", "limit=-5"),
        ("offset 1e99", "offset=1e99"),
    ]:
        r = srv.request("GET", "/subjects?" + query, fresh=True)
        # JAX-RS answers 404/404 for an unconvertible offset/limit (confluent-api §1)
        t.ok(r.status in (200, 400, 404, 422) and (r.status == 200 or is_error_json(r.text)),
             f"/subjects?{query} is 200 or a clean 4xx ({r.status})", r)
    r = srv.request("GET", "/schemas?limit=2147483647&offset=2147483647", fresh=True)
    t.ok(r.status in (200, 400, 422), f"/schemas with int32-max paging ({r.status})", r)
    for desc, extra in [
        ("id 2^64", ',"id":18446744073709551616'),
        ("id 1e400", ',"id":1e400'),
        ("id -1", ',"id":-1'),
        ("version 2^40", ',"version":1099511627776'),
        ("version 1.5", ',"version":1.5'),
    ]:
        r = post(srv, "/subjects/nums/versions", '{"schema":' + json.dumps(S1) + extra + "}")
        expect4xx(f"register body with {desc}", r.status, r.text)

    # ---- subject names: traversal, control characters -------------------------------
    for name in ["..", ".", "../../etc/passwd", "a/../../b", "/etc/passwd", "..\\..\\x",
                 "refs/heads/main", ".git", "HEAD"]:
        r = srv.request("POST", f"/subjects/{q(name)}/versions", body={"schema": S1}, fresh=True)
        ok = r.status == 200 or (400 <= r.status < 500 and is_error_json(r.text))
        if r.status == 200:
            # accepted as an ordinary string: it must read back as itself
            g = srv.request("GET", f"/subjects/{q(name)}/versions/latest", fresh=True)
            ok = g.status == 200 and g.json().get("subject") == name
        t.ok(ok, f"percent-encoded subject {name!r}: stored safely or refused ({r.status})", r)
    bad_paths = os.listdir(tmp)
    t.ok(all(p.startswith(("store.git", "hostile")) for p in bad_paths)
         and not os.path.exists("/tmp/etc"),
         "nothing was written outside the store", bad_paths)
    for desc, enc in [("NUL", "%00"), ("newline", "%0A"), ("carriage return", "%0D"),
                      ("escape", "%1B"), ("DEL", "%7F"), ("invalid UTF-8", "%FF%FE"),
                      ("overlong slash", "%C0%AF"), ("bad escape", "%G1"),
                      ("truncated escape", "%4")]:
        r = srv.request("POST", f"/subjects/a{enc}/versions", body={"schema": S1}, fresh=True)
        expect4xx(f"percent-encoded {desc} in a subject", r.status, r.text)
    for desc, raw_path in [("raw control character", b"/subjects/a\x01b/versions"),
                           ("raw space", b"/subjects/a b/versions"),
                           ("raw DEL", b"/subjects/a\x7fb/versions"),
                           ("raw high bytes", b"/subjects/a\xff\xfeb/versions"),
                           ("raw ../ traversal", b"/subjects/../../../etc/passwd/versions")]:
        body = b'{"schema":' + json.dumps(S1).encode() + b"}"
        st, buf = raw(P, b"POST " + raw_path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      + CT_V1.encode() + b"\r\nContent-Length: " + str(len(body)).encode()
                      + b"\r\nConnection: close\r\n\r\n" + body)
        expect4xx(desc + " in the request line", st, None)
    t.ok(alive(srv), "server answers after subject-name attacks")
    r = srv.request("GET", "/subjects", fresh=True)
    try:
        listing = r.json()
        clean = all(isinstance(s, str) and not any(ord(c) < 0x20 for c in s) for s in listing)
    except Exception:  # noqa: BLE001
        clean = False
    t.ok(r.status == 200 and clean, "subject list is valid JSON without control characters", r)

    # ---- duplicate keys ------------------------------------------------------------
    r = post(srv, "/subjects/dup/versions",
             '{"schema":' + json.dumps(S1) + ',"schema":' + json.dumps(S1.replace("User", "Other")) + "}")
    expect4xx("duplicate \"schema\" key in the request", r.status, r.text)
    r = post(srv, "/subjects/dup/versions", json.dumps(
        {"schema": '{"type":"record","name":"A","name":"B","fields":[]}'}))
    expect4xx("duplicate key inside the schema", r.status, r.text)
    r = srv.request("PUT", "/config/dup", body='{"compatibility":"NONE","compatibility":"FULL"}',
                    fresh=True)
    expect4xx("duplicate key in a config body", r.status, r.text)

    # ---- wrong content types, bodies on GET, odd methods -----------------------------
    for ctype in ["text/plain", "application/xml", "multipart/form-data; boundary=x",
                  "application/x-www-form-urlencoded", "image/png"]:
        r = post(srv, "/subjects/ct/versions", json.dumps({"schema": S1}), ctype=ctype)
        expect4xx(f"Content-Type {ctype}", r.status, r.text, want=415)
    # A body on GET must be consumed, not parsed as the next request
    # (request smuggling): exactly one response on the connection.
    smuggled = b"GET /nope-smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    st, buf = raw(P, b"GET /subjects HTTP/1.1\r\nHost: x\r\nContent-Length: "
                  + str(len(smuggled)).encode() + b"\r\n\r\n" + smuggled, timeout=5)
    t.ok(st is not None and st < 500 and buf.count(b"HTTP/1.1 ") == 1,
         f"body on GET is consumed, not smuggled as a second request ({st}, "
         f"{buf.count(b'HTTP/1.1 ')} responses)", buf[:300])
    st, buf = raw(P, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", timeout=5)
    t.ok(st is not None and st < 500, f"Content-Length plus chunked is not a 5xx ({st})", buf[:200])
    for m in ["FOO", "TRACE", "CONNECT", "PATCH"]:
        st, buf = raw(P, f"{m} /subjects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
                      timeout=5)
        expect4xx(f"method {m}", st, None)
    st, buf = raw(P, b"GET /subjects HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", timeout=5)
    expect4xx("negative Content-Length", st, None)
    st, buf = raw(P, b"POST /subjects/x/versions HTTP/1.1\r\nHost: x\r\nContent-Length: "
                  b"99999999999999999999999\r\n\r\n", timeout=5)
    expect4xx("Content-Length beyond 2^64", st, None)
    st, buf = raw(P, b"POST /subjects/x/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                  b"\r\n\r\nffffffffffffffffff\r\n", timeout=5)
    expect4xx("chunk size beyond 2^64", st, None)
    st, buf = raw(P, b"GET /" + b"a" * 200000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", timeout=10)
    expect4xx("200 KB request target", st, None)
    st, buf = raw(P, b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 20000 + b"\r\n", timeout=10)
    expect4xx("20,000 header lines", st, None)
    st, buf = raw(P, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 300000 + b"\r\n\r\n", timeout=10)
    expect4xx("300 KB header value", st, None)
    st, buf = raw(P, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64), timeout=5)
    t.ok(st is None or 400 <= st < 500, f"TLS handshake bytes on the plain port ({st})")
    st, buf = raw(P, os.urandom(4096), timeout=5)
    t.ok(st is None or 400 <= st < 500, f"4 KB of random bytes ({st})")
    t.ok(alive(srv), "server answers after protocol abuse")

    # ---- slowloris and idle connections ---------------------------------------------
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 8192)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    slow = []
    for i in range(200):
        try:
            # Attackers come from another address than the client
            # (alive() below): one address may hold only
            # --max-connections-per-ip connections (default 64).
            s = socket.create_connection(("127.0.0.1", P), timeout=5,
                                         source_address=("127.0.0.2", 0))
            s.sendall(b"POST /subjects/slow/versions HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        except OSError:
            break
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for s in list(slow):
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    slow.remove(s)
            stop.wait(0.5)

    th = threading.Thread(target=trickle, daemon=True)
    th.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    ok = alive(srv)
    t.ok(ok and time.monotonic() - t0 < 2,
         f"answers in {time.monotonic() - t0:.2f}s while 200 slowloris clients trickle headers")
    stop.set()
    th.join()
    for s in slow:
        s.close()

    idle = []
    for i in range(2000):
        try:
            # 32 addresses, at most 64 connections each (the limit per address)
            idle.append(socket.create_connection(("127.0.0.1", P), timeout=5,
                                                 source_address=("127.0.%d.%d" % (
                                                     1 + i // 64 // 250, 2 + i // 64 % 250), 0)))
        except OSError:
            break
    time.sleep(0.5)
    t0 = time.monotonic()
    ok = alive(srv)
    el = time.monotonic() - t0
    t.ok(len(idle) >= 1000, f"opened {len(idle)} idle connections")
    t.ok(ok and el < 2, f"answers in {el:.2f}s with {len(idle)} idle connections open")
    r = post(srv, "/subjects/while-idle/versions", json.dumps({"schema": S1}))
    t.ok(r.status == 200, "registers with the idle connections still open", r)
    for s in idle:
        s.close()
    time.sleep(0.3)
    t.ok(alive(srv), "server answers after the idle connections go away")

    # ---- the end: still the same healthy process --------------------------------------
    t.ok(srv.proc.poll() is None, "the server process never died")
    r = R("GET", "/subjects/base/versions/1", fresh=True)
    t.ok(r.status == 200 and r.json().get("schema"), "data registered before the attacks is intact", r)
    err = srv.stderr_text()
    t.ok("ERROR: AddressSanitizer" not in err and "runtime error" not in err,
         "no sanitizer report on the server's stderr", err[-2000:])
    rc = srv.stop()
    t.ok(rc == 0, f"clean shutdown (exit {rc})", srv.stderr_text()[-2000:])
finally:
    for s in servers:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
    if t.fails == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"# kept {tmp}")
t.finish()
