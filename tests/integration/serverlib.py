"""serverlib.py - start `regit serve` on a random loopback port and talk to
it over HTTP, printing TAP lines ("ok N - ...") for tests/run.

Not a test itself: tests/run runs the executable *.sh wrappers, and fails
any *.py here that no wrapper names and no test imports.
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

CT_V1 = "application/vnd.schemaregistry.v1+json"
REGIT_BIN = os.environ.get("REGIT_BIN", os.path.join(os.getcwd(), "build", "regit"))


class Tap:
    def __init__(self):
        self.n = 0
        self.fails = 0

    def ok(self, cond, desc, detail=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {desc}", flush=True)
        else:
            self.fails += 1
            print(f"not ok {self.n} - {desc}", flush=True)
            if detail is not None:
                for line in str(detail).splitlines()[:8]:
                    print(f"#   {line[:400]}", flush=True)
        return cond

    def skip(self, desc, reason):
        """A check that could not run for want of a tool (never for want of
        the product): counted as skipped by tests/run, and with CI=true a
        failure unless tests/skips.allowed lists it."""
        self.n += 1
        print(f"ok {self.n} - {desc} # skip {reason}", flush=True)

    def finish(self):
        print(f"# {self.n} tests, {self.fails} failed", flush=True)
        sys.exit(1 if self.fails else 0)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        self.text = body.decode("utf-8", "replace")
        self.ctype = headers.get("Content-Type", "")

    def json(self):
        return json.loads(self.text)

    def __repr__(self):
        return f"{self.status} {self.text[:600]}"


class Server:
    """One `regit serve` process; requests go over one keep-alive connection."""

    def __init__(self, store, *args, name="srv", tmp=None):
        self.tmp = tmp or tempfile.mkdtemp()
        self.out = open(os.path.join(self.tmp, name + ".out"), "w+")
        self.err_path = os.path.join(self.tmp, name + ".err")
        self.err = open(self.err_path, "w+")
        self.proc = subprocess.Popen(
            [REGIT_BIN, "serve", "--listen", "127.0.0.1:0", "--store", store, *args],
            stdout=self.out, stderr=self.err)
        self.port = None
        for _ in range(300):
            self.out.seek(0)
            line = self.out.read()
            if "(port " in line:
                self.port = int(line.split("(port ")[1].split(")")[0])
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.port is None:
            self.err.seek(0)
            raise RuntimeError("server did not start: " + self.err.read())
        self.conn = None

    def request(self, method, path, body=None, ctype=CT_V1, headers=None, fresh=False):
        hdrs = dict(headers or {})
        if ctype is not None:
            hdrs["Content-Type"] = ctype
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        for attempt in range(2):
            if self.conn is None or fresh:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                r = self.conn.getresponse()
                data = r.read()
                return Response(r.status, r.headers, data)
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise

    def stop(self, sig=signal.SIGTERM):
        if self.conn:
            self.conn.close()
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def stderr_text(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()


def q(s):
    """Percent-encode a whole path segment."""
    return urllib.parse.quote(s, safe="")


def sbody(schema, **extra):
    d = {"schema": schema if isinstance(schema, str) else json.dumps(schema)}
    d.update(extra)
    return d
