"""auth_server.py - `regit serve --auth FILE`, TLS, and the bind policy
(issue 6, Security). Run by auth_server.sh.

Users are created with `regit passwd` (the real CLI), one per role. Checks:
401 with WWW-Authenticate and a Confluent error body for missing/wrong
credentials, 403 for a role that is too low, the route -> role table of
server/auth.h end to end, the git commit author being the authenticated
user, the refusal to bind a non-loopback address without auth, and HTTPS
with --tls-cert/--tls-key.
"""
import base64
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverlib import CT_V1, REGIT_BIN, Server, Tap, q  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="regit-auth-")
S1 = '{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}'
S2 = ('{"type":"record","name":"User","fields":[{"name":"id","type":"long"},'
      '{"name":"e","type":"string","default":""}]}')
S3 = ('{"type":"record","name":"User","fields":[{"name":"id","type":"long"},'
      '{"name":"e","type":"string","default":""},{"name":"f","type":"int","default":0}]}')
USERS = {"alice": ("admin", "alice-pw"), "wendy": ("write", "w:e n:dy"), "rita": ("read", "rita-pw")}


def basic(user, pw):
    return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


def H(user):
    return {"Authorization": basic(user, USERS[user][1])}


def is_err(r, code):
    try:
        d = r.json()
        return d.get("error_code") == code and isinstance(d.get("message"), str)
    except Exception:  # noqa: BLE001
        return False


def run(*args, stdin=None):
    return subprocess.run([REGIT_BIN, *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


servers = []
try:
    creds = os.path.join(tmp, "creds")
    for u, (role, pw) in USERS.items():
        p = run("passwd", creds, u, role, stdin=pw + "\n")
        assert p.returncode == 0, p.stderr
    store = os.path.join(tmp, "store.git")
    srv = Server(store, "--auth", creds, "--compat", "BACKWARD", "--rules", "avro",
                 name="auth", tmp=tmp)
    servers.append(srv)
    R = srv.request

    # ---- 401 -------------------------------------------------------------------
    for desc, hdrs in [
        ("no Authorization header", {}),
        ("wrong password", {"Authorization": basic("alice", "nope")}),
        ("unknown user", {"Authorization": basic("mallory", "alice-pw")}),
        ("Bearer token", {"Authorization": "Bearer abc"}),
        ("malformed base64", {"Authorization": "Basic !!!"}),
        ("empty password", {"Authorization": basic("alice", "")}),
        ("another user's password", {"Authorization": basic("rita", "alice-pw")}),
    ]:
        r = R("GET", "/subjects", headers=hdrs, fresh=True)
        www = r.headers.get("WWW-Authenticate", "")
        t.ok(r.status == 401 and is_err(r, 401) and www.startswith("Basic")
             and 'realm="regit"' in www, f"{desc}: 401 + WWW-Authenticate + error JSON", r)
    for path in ["/metrics", "/health", "/", "/nope", "/schemas/ids/1"]:
        r = R("GET", path, fresh=True)
        t.ok(r.status == 401, f"GET {path} without credentials is 401 (fail closed)", r)
    r = R("POST", "/subjects/x/versions", body={"schema": S1}, fresh=True)
    t.ok(r.status == 401, "register without credentials is 401", r)

    # ---- roles --------------------------------------------------------------------
    def status(user, method, path, body=None):
        return R(method, path, body=body, headers=H(user), fresh=False)

    r = status("rita", "GET", "/subjects")
    t.ok(r.status == 200, "reader: GET /subjects", r)
    r = status("rita", "POST", "/subjects/s/versions", {"schema": S1})
    t.ok(r.status == 403 and is_err(r, 403), "reader: register is 403 with error JSON", r)
    r = status("wendy", "POST", "/subjects/s/versions", {"schema": S1})
    t.ok(r.status == 200, "writer: register", r)
    r = status("wendy", "POST", "/subjects/s/versions", {"schema": S2})
    t.ok(r.status == 200, "writer: register v2", r)
    r = status("rita", "POST", "/subjects/s", {"schema": S1})
    t.ok(r.status == 200, "reader: lookup (POST /subjects/{s})", r)
    r = status("rita", "POST", "/compatibility/subjects/s/versions/latest", {"schema": S2})
    t.ok(r.status == 200, "reader: compatibility test", r)
    r = status("rita", "POST", f"/subjects/{q('s/versions')}", {"schema": S1})
    t.ok(r.status in (403, 404) and r.status != 200,
         "reader: lookup of a subject named 's/versions' never reaches register", r)
    r = status("rita", "DELETE", "/subjects/s/versions/2")
    t.ok(r.status == 403, "reader: soft delete is 403", r)
    r = status("rita", "PUT", "/config", {"compatibility": "NONE"})
    t.ok(r.status == 403, "reader: PUT /config is 403", r)
    r = status("rita", "GET", "/config")
    t.ok(r.status == 200, "reader: GET /config", r)
    r = status("wendy", "PUT", "/config/s", {"compatibility": "NONE"})
    t.ok(r.status == 403, "writer: PUT /config/{s} is 403", r)
    r = status("wendy", "PUT", "/mode", {"mode": "READONLY"})
    t.ok(r.status == 403, "writer: PUT /mode is 403", r)
    r = status("wendy", "POST", "/subjects/s/versions?force=true", {"schema": S3})
    t.ok(r.status == 403, "writer: register with force=true (skips checks) is 403", r)
    r = status("wendy", "DELETE", "/subjects/s/versions/2")
    t.ok(r.status == 200, "writer: soft delete of a version", r)
    r = status("wendy", "DELETE", "/subjects/s/versions/2?permanent=true")
    t.ok(r.status == 403, "writer: permanent delete is 403", r)
    r = status("alice", "DELETE", "/subjects/s/versions/2?permanent=true")
    t.ok(r.status == 200, "admin: permanent delete", r)
    r = status("alice", "PUT", "/config/s", {"compatibility": "FULL"})
    t.ok(r.status == 200, "admin: PUT /config/{s}", r)
    r = status("alice", "GET", "/metrics")
    t.ok(r.status == 200, "admin: GET /metrics", r)

    # ---- commit authors -------------------------------------------------------------
    log = subprocess.run(["git", "--git-dir", store, "log", "--format=%an|%s"],
                         capture_output=True, text=True).stdout.splitlines()
    reg = [l for l in log if "register" in l.split("|", 1)[1]]
    cfg = [l for l in log if "config" in l.split("|", 1)[1]]
    t.ok(reg and all(l.startswith("wendy|") for l in reg),
         "register commits are authored by the authenticated writer", log[:6])
    t.ok(cfg and all(l.startswith("alice|") for l in cfg),
         "config commits are authored by the authenticated admin", log[:6])

    # the credential cache: a repeated valid request does not hash the
    # password again (regit_auth_password_hashes_total counts the hashes)
    def hashes():
        r = R("GET", "/metrics", headers=H("alice"))
        for line in r.text.splitlines():
            if line.startswith("regit_auth_password_hashes_total "):
                return int(line.split()[1])
        return None

    hashes()                      # alice's credentials are cached from here on
    R("GET", "/subjects", headers=H("rita"))
    before = hashes()
    codes = {R("GET", "/subjects", headers=H("rita")).status for _ in range(50)}
    after = hashes()
    t.ok(before is not None and codes == {200} and after == before,
         "50 repeated valid requests hash no password (answered from the cache)",
         f"hashes {before} -> {after}, statuses {codes}")
    r = R("GET", "/subjects", headers={"Authorization": basic("rita", "wrong")})
    t.ok(r.status == 401 and hashes() == after + 1,
         "  ...while a wrong password is hashed (never cached)", r)
    srv.stop()

    # ---- start-up policy --------------------------------------------------------------
    def serve_fails(desc, *args, needle=None):
        p = subprocess.Popen([REGIT_BIN, "serve", "--store", os.path.join(tmp, "x.git"), *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            t.ok(False, desc + " (server kept running)")
            return
        good = p.returncode == 2 and (needle is None or needle in err)
        t.ok(good, f"{desc}: exit 2", f"exit {p.returncode}: {err[-400:]}")

    serve_fails("non-loopback bind without --auth is refused", "--listen", "0.0.0.0:0",
                needle="--insecure-no-auth")
    serve_fails("[::] bind without --auth is refused", "--listen", "[::]:0")
    serve_fails("missing credentials file", "--auth", os.path.join(tmp, "none"))
    bad = os.path.join(tmp, "bad")
    with open(bad, "w") as f:
        f.write("eve:root:$6$x$y\n")
    serve_fails("invalid credentials file (names the line)", "--auth", bad, needle="line 1")
    serve_fails("--tls-cert without --tls-key", "--tls-cert", bad)
    srv2 = Server(os.path.join(tmp, "open.git"), "--insecure-no-auth", name="open", tmp=tmp)
    servers.append(srv2)
    t.ok(srv2.request("GET", "/").status == 200,
         "--insecure-no-auth allows serving without auth")
    srv2.stop()
    # The listen address is 127.0.0.1:0 in Server(); loopback without auth is fine
    srv3 = Server(os.path.join(tmp, "lo.git"), name="lo", tmp=tmp)
    servers.append(srv3)
    t.ok(srv3.request("GET", "/").status == 200, "loopback without --auth serves")
    srv3.stop()

    # ---- TLS ------------------------------------------------------------------------
    cert = os.path.join(tmp, "cert.pem")
    key = os.path.join(tmp, "key.pem")
    # No openssl binary is a missing tool (scripts/install-deps --test
    # installs it): a visible skip. An openssl that cannot make a
    # certificate is a broken test machine: a failure, not a pass.
    g = None
    if shutil.which("openssl") is None:
        t.skip("TLS", "openssl not installed (scripts/install-deps --test)")
    else:
        g = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                            key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
                           capture_output=True, text=True)
        t.ok(g.returncode == 0, "TLS: openssl makes a self-signed certificate", g.stderr)
    if g is not None and g.returncode == 0:
        srv4 = Server(os.path.join(tmp, "tls.git"), "--auth", creds, "--tls-cert", cert,
                      "--tls-key", key, name="tls", tmp=tmp)
        servers.append(srv4)
        ctx = ssl.create_default_context(cafile=cert)
        ctx.check_hostname = False
        c = http.client.HTTPSConnection("127.0.0.1", srv4.port, context=ctx, timeout=20)
        c.request("GET", "/subjects", headers=H("rita"))
        r = c.getresponse()
        body = r.read()
        t.ok(r.status == 200 and body == b"[]", f"HTTPS request with auth ({r.status})")
        c.request("POST", "/subjects/t/versions", body=json.dumps({"schema": S1}),
                  headers={**H("wendy"), "Content-Type": CT_V1})
        r = c.getresponse()
        r.read()
        t.ok(r.status == 200, f"HTTPS keep-alive registration ({r.status})")
        c.request("GET", "/subjects")
        r = c.getresponse()
        r.read()
        t.ok(r.status == 401, "HTTPS without credentials is 401")
        c.close()
        try:
            p = http.client.HTTPConnection("127.0.0.1", srv4.port, timeout=5)
            p.request("GET", "/subjects", headers=H("rita"))
            st = p.getresponse().status
        except Exception:  # noqa: BLE001
            st = None
        t.ok(st != 200, f"plain HTTP to the TLS port is not served ({st})")
        t.ok(srv4.request.__self__.proc.poll() is None, "TLS server survived plain HTTP")
        srv4.stop()
        serve_fails("unreadable TLS key", "--tls-cert", cert, "--tls-key",
                    os.path.join(tmp, "nokey.pem"))
        serve_fails("garbage TLS certificate", "--tls-cert", bad, "--tls-key", key)
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
