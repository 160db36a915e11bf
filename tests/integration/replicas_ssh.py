"""replicas_ssh.py - two `regit serve --upstream ssh://...` replicas on one
bare repository served by a real sshd on loopback (issue #12, ssh part),
TAP lines for tests/run.

sshd runs as tests/support/sshd.c runs it: keys from ssh-keygen in a temp
dir, loopback only, keys only, /run/sshd made when root. The replicas log
in with --upstream-ssh-key and check the host key against
--upstream-ssh-known-hosts (a third one takes both from the environment).
Checked: concurrent registrations on both replicas all acknowledged, no id
issued twice, every acknowledged id on the upstream, a linear history;
read-after-write across replicas; a replica with a key sshd does not know
fails its writes with ssh's "Permission denied" (the answer and the log),
without any key material in its answers, log or /metrics; no ssh process is left
once the replicas are stopped.

Everything started here is killed at exit, and by a reaper process if
this one dies first. Every wait is bounded.
"""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverlib import Server, Tap  # noqa: E402
from replicalib import (Reaper, call, free_port, git, register, schema,  # noqa: E402
                        upstream_log, upstream_versions)

TIMEOUT = 15         # --upstream-timeout (seconds): an ssh login is ~0.3 s here
INTERVAL = 0.5       # --fetch-interval

tap = Tap()
tmp = tempfile.mkdtemp(prefix="regit-replicas-ssh-")
_reaper = Reaper(tmp)
start_reaper, watch, children = _reaper.start, _reaper.watch, _reaper.children


def banner(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
            c.settimeout(1)
            return c.recv(4) == b"SSH-"
    except OSError:
        return False


def start_sshd(d):
    """sshd -D on a free loopback port; (proc, port, key, other_key, known_hosts)."""
    for k in ("host_key", "client_key", "other_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "regit-test",
                        "-f", os.path.join(d, k)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, timeout=30)
    shutil.copy(os.path.join(d, "client_key.pub"), os.path.join(d, "authorized_keys"))
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        os.chmod("/run/sshd", 0o755)
    kh = os.path.join(d, "known_hosts")
    for _ in range(5):
        port = free_port()
        conf = os.path.join(d, "sshd_config")
        with open(conf, "w") as f:
            f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_key\n"
                    "PidFile %s/sshd.pid\nAuthorizedKeysFile %s/authorized_keys\n"
                    "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
                    "PermitRootLogin prohibit-password\nAllowTcpForwarding no\n"
                    "X11Forwarding no\nPrintMotd no\nUseDNS no\nMaxStartups 100\n"
                    % (port, d, d, d))
        with open(kh, "w") as f, open(os.path.join(d, "host_key.pub")) as pub:
            f.write("[127.0.0.1]:%d %s" % (port, pub.read()))
        log = open(os.path.join(d, "sshd.log"), "a")
        p = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", conf],
                             start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=log)
        watch(p.pid)
        end = time.time() + 10
        while time.time() < end and p.poll() is None:
            if banner(port):
                return (p, port, os.path.join(d, "client_key"), os.path.join(d, "other_key"),
                        kh)
            time.sleep(0.05)
        p.kill()
        p.wait()
    raise RuntimeError("sshd did not come up: " + open(os.path.join(d, "sshd.log")).read()[-500:])


def replica(name, url, *extra, env=None):
    saved = dict(os.environ)
    if env:
        os.environ.update(env)
    try:
        srv = Server(os.path.join(tmp, name + ".git"), "--compat", "NONE", "--upstream", url,
                     "--fetch-interval", str(INTERVAL), "--upstream-timeout", str(TIMEOUT),
                     *extra, name=name, tmp=tmp)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    watch(srv.proc.pid)
    return srv


def ssh_processes(marker):
    """ssh processes whose command line names marker (our known_hosts)."""
    out = subprocess.run(["ps", "-eo", "pid=,comm=,args="], capture_output=True,
                         text=True).stdout
    return [line for line in out.splitlines()
            if len(line.split()) > 2 and line.split()[1] == "ssh" and marker in line]


def main():
    start_reaper()
    os.environ.pop("SSH_AUTH_SOCK", None)
    for v in ("REGIT_UPSTREAM_SSH_KEY", "REGIT_UPSTREAM_SSH_KNOWN_HOSTS", "REGIT_SSH"):
        os.environ.pop(v, None)
    sd = os.path.join(tmp, "sshd")
    os.makedirs(sd, mode=0o700)
    sshd, port, key, other_key, kh = start_sshd(sd)
    up = os.path.join(tmp, "up.git")
    git("init", "--bare", "-b", "main", up)
    git("-C", up, "config", "receive.unpackLimit", "1")
    git("-C", up, "config", "receive.autogc", "false")
    user = pwd.getpwuid(os.geteuid()).pw_name
    url = "ssh://%s@127.0.0.1:%d%s" % (user, port, up)
    creds = ("--upstream-ssh-key", key, "--upstream-ssh-known-hosts", kh)
    A = replica("A", url, *creds)
    B = replica("B", url, *creds)
    reps = [A, B]
    h = [s.request("GET", "/health", fresh=True).json() for s in reps]
    tap.ok(all(x.get("upstream", {}).get("state") == "ok" for x in h),
           "two replicas on an ssh upstream (sshd on loopback): /health says upstream ok", h)

    # 1. Concurrent distinct registrations on both replicas.
    acked, failures = {}, []
    lock = threading.Lock()

    def writer(srv, tag):
        for i in range(4):
            subj = "s-%s-%d" % (tag, i)
            st, body = register(srv, subj, schema("S_%s_%d" % (tag.replace("-", "_"), i)))
            with lock:
                if st == 200:
                    acked[subj] = body["id"]
                else:
                    failures.append((subj, st, body))

    t0 = time.time()
    threads = [threading.Thread(target=writer, args=(s, "%s-%d" % ("AB"[k], j)))
               for k, s in enumerate(reps) for j in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    dt = time.time() - t0
    tap.ok(len(acked) == 24 and not failures,
           "24 concurrent registrations over 2 replicas on ssh all acknowledged (%.1f s)" % dt,
           failures[:5])
    tap.ok(len(set(acked.values())) == len(acked), "no id issued twice", sorted(acked.values()))
    upv = upstream_versions(up)
    lost = [s for s, i in acked.items() if upv.get((s, 1)) != i]
    tap.ok(not lost, "every acknowledged registration is on the upstream with its id", lost[:5])
    chain, merges = upstream_log(up)
    tap.ok(not merges and len(chain) == 24,
           "the upstream's history is linear: 24 commits, no merge",
           "%d commits, %d merges" % (len(chain), len(merges)))

    # 2. Read-after-write across replicas.
    st, body = register(A, "raw-value", schema("Raw"))
    r1 = B.request("GET", "/schemas/ids/%d" % body["id"], fresh=True) if st == 200 else None
    r2 = B.request("GET", "/subjects/raw-value/versions/1", fresh=True)
    tap.ok(st == 200 and r1 is not None and r1.status == 200 and r2.status == 200,
           "registered on A, read at once on B by id and by subject/version", (st, body, r1, r2))
    st, body = register(B, "raw2-value", schema("Raw2"))
    r3 = A.request("GET", "/schemas/ids/%d" % body["id"], fresh=True) if st == 200 else None
    tap.ok(st == 200 and r3 is not None and r3.status == 200,
           "and the other way: registered on B, read at once on A", (st, body, r3))

    # 3. The key and known_hosts from the environment (REGIT_UPSTREAM_SSH_*).
    C = replica("C", url, env={"REGIT_UPSTREAM_SSH_KEY": key,
                               "REGIT_UPSTREAM_SSH_KNOWN_HOSTS": kh})
    call(C, "POST", "/regit/refresh")
    rc = C.request("GET", "/subjects/raw2-value/versions/1", fresh=True)
    st, body = register(C, "env-value", schema("Env"))
    tap.ok(rc.status == 200 and st == 200,
           "a replica given the key and known_hosts in $REGIT_UPSTREAM_SSH_KEY and"
           " $REGIT_UPSTREAM_SSH_KNOWN_HOSTS reads and writes", (rc, st, body))

    # 4. A key sshd does not know: writes fail, /health says why, no key material.
    with open(other_key) as f:
        secret_lines = [x for x in f.read().splitlines() if x and not x.startswith("-----")]
    D = replica("D", url, "--upstream-ssh-key", other_key, "--upstream-ssh-known-hosts", kh)
    t0 = time.time()
    st, body = register(D, "denied-value", schema("Denied"))
    dt = time.time() - t0
    hd = D.request("GET", "/health", fresh=True)
    m = D.request("GET", "/metrics", fresh=True).text
    ui = call(D, "GET", "/regit/health").text
    D.stop()
    txt = str(body) + hd.text + ui + D.stderr_text()
    # A refusal is an answer (store/upstream.h: REGIT_EPERM), so the write
    # fails at once with the server's words, as for http credentials.
    tap.ok(st >= 500 and isinstance(body, dict) and "Permission denied" in body.get("message", "")
           and "Permission denied" in D.stderr_text() and dt < TIMEOUT + 2,
           "a replica with a key sshd does not know: the write fails (%s) in %.1f s with"
           " ssh's \"Permission denied\", also in its log"
           % (body.get("error_code") if isinstance(body, dict) else st, dt),
           (st, body, hd.text[:400]))
    tap.ok(hd.status == 200 and hd.json().get("status") == "degraded"
           and hd.json().get("upstream", {}).get("state") == "unauthorized"
           and "regit_upstream_unauthorized 1" in m,
           "and its /health says degraded, upstream unauthorized (/metrics too)", hd.text[:400])
    tap.ok(not any(x in txt + m for x in secret_lines) and "ssh://" not in m,
           "no key material in its answers, /health, log or /metrics; no URL in /metrics")

    codes = [s.stop() for s in (A, B, C)]
    logs = "".join(s.stderr_text() for s in (A, B, C, D))
    tap.ok(codes == [0, 0, 0] and "Sanitizer" not in logs and "runtime error" not in logs,
           "the replicas stop cleanly on SIGTERM (exit 0, no sanitizer report)",
           (codes, logs[-600:]))
    left = []
    for _ in range(20):
        left = ssh_processes(kh)
        if not left:
            break
        time.sleep(0.1)
    tap.ok(not left, "no ssh process left once the replicas are stopped", left)
    os.killpg(sshd.pid, signal.SIGTERM)
    sshd.wait(10)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash of the test itself: visible, not a pass
        tap.ok(False, "replicas_ssh test ran to the end", repr(e))
    finally:
        for pid in children:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGCONT)
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if tap.fails:
            for name in ("A", "B", "C", "D"):
                try:
                    with open(os.path.join(tmp, name + ".err")) as f:
                        for line in f.read().splitlines()[-6:]:
                            print("# %s: %s" % (name, line[:300]))
                except OSError:
                    pass
        if not os.environ.get("REPLICAS_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    tap.finish()
