"""replicalib.py - what the replica tests share (replicas.py over git://
and http, replicas_ssh.py over ssh): processes killed at exit, and by a
reaper process if the test dies first; one request per connection (threads
share servers); the upstream's history and versions read with git.
"""
import http.client
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverlib import CT_V1, Response, sbody  # noqa: E402


class Reaper:
    """Pids to kill: listed in tmp/pids, where a shell started by start()
    finds them once this process is gone (then it removes tmp too, unless
    $REPLICAS_KEEP is set)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.children = []

    def start(self):
        script = ('while kill -0 %d 2>/dev/null; do sleep 0.5; done; '
                  'for p in $(cat %s/pids 2>/dev/null); do kill -CONT -- -$p $p;'
                  ' kill -9 -- -$p $p; done 2>/dev/null; '
                  '[ -n "$REPLICAS_KEEP" ] || rm -rf %s' % (os.getpid(), self.tmp, self.tmp))
        subprocess.Popen(["sh", "-c", script], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def watch(self, pid):
        self.children.append(pid)
        with open(os.path.join(self.tmp, "pids"), "a") as f:
            f.write("%d\n" % pid)


def git(*args, cwd=None, input=None):
    return subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True,
                          text=True, timeout=20)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def schema(name, field="a"):
    return {"type": "record", "name": name, "fields": [{"name": field, "type": "int"}]}


def call(srv, method, path, body=None, timeout=30):  # srv: anything with .port
    """One request on its own connection (threads share servers)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else b""
        conn.request(method, path, body=data, headers={"Content-Type": CT_V1})
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read())
    finally:
        conn.close()


def register(srv, subject, sch):
    try:
        r = call(srv, "POST", "/subjects/%s/versions" % subject, sbody(sch))
        return r.status, r.json() if r.text.startswith("{") else r.text
    except Exception as e:  # a killed replica: not acknowledged
        return 0, str(e)


def upstream_log(up):
    """The upstream's first-parent chain and its merges."""
    r = git("-C", up, "rev-list", "--first-parent", "main")
    m = git("-C", up, "rev-list", "--merges", "main")
    return r.stdout.split(), m.stdout.split()


def upstream_versions(up):
    """(subject, version) -> id from the upstream's tree."""
    out = {}
    ls = git("-C", up, "ls-tree", "-r", "--name-only", "main").stdout.split()
    for path in ls:
        if path.startswith("subjects/") and path.endswith(".json") and "/v" in path:
            meta = json.loads(git("-C", up, "show", "main:" + path).stdout)
            out[(meta["subject"], meta["version"])] = meta["id"]
    return out
