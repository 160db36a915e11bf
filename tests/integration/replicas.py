"""replicas.py - three `regit serve --upstream` replicas on one git daemon
upstream (issue #12 part 2), TAP lines for tests/run.

A bare repository served by `git daemon --enable=receive-pack` on loopback
(receive.unpackLimit=1, receive.autogc=false, as store/README.md
recommends), three replicas each on its own local store. Checked: no id
or version issued twice under concurrent writes on all replicas, every
acknowledged write on the upstream, a linear first-parent history; one id
for a schema sent to all replicas at once; read-after-write across
replicas (read-repair); /subjects converging; kill -9 of a replica during
writes; a stopped upstream (writes fail with 50002 within the deadline,
reads work, recovery); an upstream force-pushed to an older commit
(refused: /health 503, reads served, back to 200 when it is restored);
haproxy in front of the three, with the npm Confluent clients through it
(tests/interop/replicas.js: ids agree on every replica, a message
serialized through one replica deserializes through another).

Everything started here is killed at exit, and by a reaper process if
this one dies first. Every wait is bounded.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverlib import REGIT_BIN, Server, Tap  # noqa: E402
from replicalib import (Reaper, call, free_port, git, register, schema,  # noqa: E402
                        upstream_log, upstream_versions)

TIMEOUT = 3          # --upstream-timeout of the replicas (seconds)
INTERVAL = 0.5       # --fetch-interval

tap = Tap()
tmp = tempfile.mkdtemp(prefix="regit-replicas-")
_reaper = Reaper(tmp)
start_reaper, watch, children = _reaper.start, _reaper.watch, _reaper.children


def start_daemon(base):
    for _ in range(5):
        port = free_port()
        p = subprocess.Popen(["git", "daemon", "--reuseaddr", "--enable=receive-pack",
                              "--export-all", "--base-path=" + base, "--listen=127.0.0.1",
                              "--port=%d" % port, base], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        watch(p.pid)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return p, port
            except OSError:
                if p.poll() is not None:
                    break
                time.sleep(0.05)
        p.kill()
        p.wait()
    raise RuntimeError("git daemon did not start")


def haproxy(port, backends):
    cfg = os.path.join(tmp, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("defaults\n\tmode http\n\ttimeout connect 1s\n\ttimeout client 30s\n"
                "\ttimeout server 30s\n\tretries 2\n\toption redispatch\n"
                "frontend fe\n\tbind 127.0.0.1:%d\n\tdefault_backend replicas\n"
                "backend replicas\n\tbalance roundrobin\n\toption httpchk GET /health\n"
                "\tdefault-server inter 200ms fall 2 rise 1\n" % port)
        for i, b in enumerate(backends):
            f.write("\tserver r%d 127.0.0.1:%d check\n" % (i, b))
    p = subprocess.Popen(["haproxy", "-f", cfg], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    watch(p.pid)
    return p


def replica(name, url):
    srv = Server(os.path.join(tmp, name + ".git"), "--compat", "NONE",
                 "--upstream", url, "--fetch-interval", str(INTERVAL),
                 "--upstream-timeout", str(TIMEOUT), name=name, tmp=tmp)
    watch(srv.proc.pid)
    return srv


def edited_tree(path, content):
    """The upstream's main tree with path's blob replaced by content."""
    idx = os.path.join(tmp, "edit-index")
    env = dict(os.environ, GIT_INDEX_FILE=idx)
    blob = subprocess.run(["git", "-C", up_path(), "hash-object", "-w", "--stdin"],
                          input=content, capture_output=True, text=True, env=env).stdout.strip()
    subprocess.run(["git", "-C", up_path(), "read-tree", "main"], env=env, check=True)
    subprocess.run(["git", "-C", up_path(), "update-index", "--cacheinfo",
                    "100644,%s,%s" % (blob, path)], env=env, check=True)
    tree = subprocess.run(["git", "-C", up_path(), "write-tree"], capture_output=True,
                          text=True, env=env).stdout.strip()
    os.unlink(idx)
    return tree


def up_path():
    return os.path.join(tmp, "srv", "up.git")


def converge(replicas, timeout=10):
    """Every replica's /subjects equal (after a refresh each); bounded."""
    end = time.time() + timeout
    while time.time() < end:
        views = []
        for s in replicas:
            call(s, "POST", "/regit/refresh")
            views.append(sorted(s.request("GET", "/subjects", fresh=True).json()))
        if all(v == views[0] for v in views):
            return True, views[0]
        time.sleep(0.2)
    return False, views


HTTP_PASSWORD = "s3cret-upstream-pw"


def start_http(base):
    """nginx + fcgiwrap + git http-backend on loopback, /auth/ behind basic
    auth (user replica), as tests/store/test_upstream.c does."""
    prefix = os.path.join(tmp, "http")
    os.makedirs(os.path.join(prefix, "tmp"))
    with open(os.path.join(prefix, "htpasswd"), "w") as f:
        f.write("replica:{PLAIN}%s\n" % HTTP_PASSWORD)
    sock = os.path.join(prefix, "fcgi.sock")
    port = free_port()
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as c:
        c.write("%s\nworker_processes 1;\nerror_log %s/error.log;\npid %s/nginx.pid;\n"
                "events { worker_connections 64; }\nhttp {\n access_log off;\n"
                " client_body_temp_path %s/tmp/body;\n fastcgi_temp_path %s/tmp/fcgi;\n"
                " proxy_temp_path %s/tmp/proxy;\n uwsgi_temp_path %s/tmp/uwsgi;\n"
                " scgi_temp_path %s/tmp/scgi;\n client_max_body_size 0;\n"
                " server {\n  listen 127.0.0.1:%d;\n  location ~ ^/auth(/.*)$ {\n"
                "   auth_basic regit;\n   auth_basic_user_file %s/htpasswd;\n"
                "   fastcgi_pass unix:%s;\n"
                "   fastcgi_param GIT_PROJECT_ROOT %s;\n   include %s;\n  }\n }\n}\n"
                % ("user root;" if os.geteuid() == 0 else "", prefix, prefix, prefix,
                   prefix, prefix, prefix, prefix, port, prefix, sock, base,
                   os.path.abspath("tests/support/git-http-backend.nginx")))
    procs = []
    for argv in (["/usr/sbin/fcgiwrap", "-c", "2", "-s", "unix:" + sock],
                 ["/usr/sbin/nginx", "-p", prefix, "-c", conf, "-g", "daemon off;"]):
        p = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        watch(p.pid)
        procs.append(p)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            if os.path.exists(sock):
                return procs, port
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("nginx + fcgiwrap did not start")


def http_credentials(base):
    """--upstream-credentials-file against an http upstream that asks for
    basic auth: with the file a replica writes; without credentials, or
    with wrong ones, it says so (/health, 50002) and never shows a secret."""
    os.environ.pop("REGIT_UPSTREAM_CREDENTIALS", None)
    os.environ.pop("REGIT_UPSTREAM_CREDENTIALS_FILE", None)
    up = os.path.join(base, "auth.git")
    git("init", "--bare", "-b", "main", up)
    procs, port = start_http(base)
    url = "http://127.0.0.1:%d/auth/auth.git" % port
    good = os.path.join(tmp, "good-creds")
    bad = os.path.join(tmp, "bad-creds")
    with open(good, "w") as f:
        f.write("replica:%s\n" % HTTP_PASSWORD)
    with open(bad, "w") as f:
        f.write("replica:not-the-one\n")
    common = ("--compat", "NONE", "--fetch-interval", "0.5", "--upstream-timeout", "3")
    try:
        D = Server(os.path.join(tmp, "D.git"), *common, "--upstream", url,
                   "--upstream-credentials-file", good, name="D", tmp=tmp)
        watch(D.proc.pid)
        st, body = register(D, "http-value", schema("Http"))
        upv = upstream_versions(up)
        tap.ok(st == 200 and upv.get(("http-value", 1)) == body.get("id"),
               "--upstream-credentials-file: a replica on an http upstream behind basic"
               " auth writes, and the write is on the upstream", (st, body, upv))
        hd = D.request("GET", "/health", fresh=True)
        tap.ok(hd.status == 200 and hd.json().get("upstream", {}).get("state") == "ok",
               "and its /health says upstream ok", hd)

        for name, what, extra, words in (
                ("E", "no credentials", ("--upstream", url), "none are configured"),
                ("F", "wrong credentials in the file",
                 ("--upstream", url, "--upstream-credentials-file", bad),
                 "refused the credentials"),
                ("H", "a wrong password in the URL",
                 ("--upstream", url.replace("http://", "http://replica:not-the-one@")),
                 "refused the credentials in the URL")):
            try:
                srv = Server(os.path.join(tmp, name + ".git"), *common, *extra, name=name,
                             tmp=tmp)
            except RuntimeError as e:  # refusing to start is clear too
                srv, txt = None, str(e)
            if srv:
                watch(srv.proc.pid)
                st, body = register(srv, "http-%s-value" % name, schema("Http" + name))
                h = srv.request("GET", "/health", fresh=True)
                uih = srv.request("GET", "/regit/health", fresh=True)
                m = srv.request("GET", "/metrics", fresh=True).text
                srv.stop()
                txt = json.dumps(body) + h.text + uih.text + srv.stderr_text()
                # the replica serves reads, and says why writes fail
                said = (h.status == 200 and h.json().get("status") == "degraded"
                        and h.json().get("upstream", {}).get("state") == "unauthorized"
                        and uih.json().get("upstream", {}).get("state") == "unauthorized"
                        and "regit_upstream_unauthorized 1" in m)
                clear = st >= 500 and words in txt and said
            else:
                m = ""
                clear = words in txt
            tap.ok(clear and HTTP_PASSWORD not in txt + m and "not-the-one" not in txt + m,
                   "%s: fails clearly (\"%s\"; /health degraded, upstream unauthorized),"
                   " no secret in the answer, /health, /regit/health, /metrics"
                   " or the log" % (what, words), txt[-1200:].replace("}{", "}\n{").replace("}regit", "}\nregit"))
        tap.ok(HTTP_PASSWORD not in D.stderr_text() + D.request("GET", "/metrics").text,
               "the good replica's log and /metrics hold no password either")
        D.stop()
        missing = subprocess.run([REGIT_BIN, "serve", "--listen", "127.0.0.1:0", "--store",
                                  os.path.join(tmp, "G.git"), "--upstream", url,
                                  "--upstream-credentials-file", os.path.join(tmp, "nope")],
                                 capture_output=True, text=True, timeout=10)
        tap.ok(missing.returncode == 2 and "--upstream-credentials-file" in missing.stderr
               and "No such file" in missing.stderr,
               "a missing --upstream-credentials-file: exit 2 at start, saying which",
               (missing.returncode, missing.stderr))
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def npm_clients(lb_port, reps):
    """The npm Confluent clients (tests/interop/replicas.js) through haproxy
    and on each replica; their TAP lines become ours."""
    env = dict(os.environ, REGISTRY_URL="http://127.0.0.1:%d" % lb_port,
               REPLICA_URLS=",".join("http://127.0.0.1:%d" % s.port for s in reps))
    try:
        p = subprocess.run(["node", "tests/interop/replicas.js"], env=env, timeout=60,
                           capture_output=True, text=True)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, err, rc = str(e.stdout or ""), "timed out after 60 s", -1
    seen = 0
    lines = out.splitlines()
    for i, line in enumerate(lines):
        for prefix, good in (("ok ", True), ("not ok ", False)):
            if line.startswith(prefix):
                desc = line[len(prefix):].split(" - ", 1)[-1]
                detail = [x[1:].strip() for x in lines[i + 1:i + 7] if x.startswith("#   ")]
                tap.ok(good, "npm client: " + desc, "\n".join(detail) or None)
                seen += 1
                break
    tap.ok(rc == 0 and seen >= 7, "the npm Confluent clients through haproxy ran to the end"
           " (%d checks)" % seen, (rc, out[-600:], err[-600:]))


def main():
    start_reaper()
    base = os.path.join(tmp, "srv")
    up = os.path.join(base, "up.git")
    os.makedirs(base)
    git("init", "--bare", "-b", "main", up)
    git("-C", up, "config", "receive.unpackLimit", "1")
    git("-C", up, "config", "receive.autogc", "false")
    daemon, port = start_daemon(base)
    url = "git://127.0.0.1:%d/up.git" % port
    reps = [replica(n, url) for n in ("A", "B", "C")]
    A, B, C = reps

    h = [s.request("GET", "/health").json() for s in reps]
    tap.ok(all(x.get("upstream", {}).get("state") == "ok" for x in h),
           "three replicas on an empty upstream: /health says upstream ok", h)
    ui = call(A, "GET", "/regit/health").json()
    uu = ui.get("upstream", {})
    tap.ok(ui.get("status") == "ok" and uu.get("state") == "ok"
           and all(isinstance(uu.get(k), (int, float)) for k in
                   ("lagSeconds", "fetches", "fetchFailures", "pushes", "pushConflicts",
                    "pushFailures", "repairs")),
           "the UI's /regit/health: upstream ok, lag and counters", ui)

    # 1. Concurrent distinct registrations on all replicas.
    acked = {}
    lock = threading.Lock()
    failures = []

    def writer(srv, tag):
        for i in range(5):
            subj = "c-%s-%d" % (tag, i)
            st, body = register(srv, subj, schema("R_%s_%d" % (tag.replace("-", "_"), i)))
            with lock:
                if st == 200:
                    acked[subj] = body["id"]
                else:
                    failures.append((subj, st, body))

    t0 = time.time()
    threads = [threading.Thread(target=writer, args=(s, "%s-%d" % ("ABC"[k], j)))
               for k, s in enumerate(reps) for j in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    dt = time.time() - t0
    tap.ok(len(acked) == 60 and not failures,
           "60 concurrent registrations over 3 replicas all acknowledged (%.1f s)" % dt,
           failures[:5])
    tap.ok(len(set(acked.values())) == len(acked), "no id issued twice",
           sorted(acked.values()))
    upv = upstream_versions(up)
    lost = [s for s, i in acked.items() if upv.get((s, 1)) != i]
    tap.ok(not lost, "every acknowledged registration is on the upstream with its id", lost[:5])
    chain, merges = upstream_log(up)
    tap.ok(not merges and len(chain) == 60,
           "the upstream's history is linear: 60 commits on the first-parent chain, no merge",
           "%d commits, %d merges" % (len(chain), len(merges)))

    # 2. The same schema sent to all replicas at once: one id, every client 200.
    same = []

    def same_writer(srv):
        same.append(register(srv, "same-value", schema("Same")))

    threads = [threading.Thread(target=same_writer, args=(s,)) for s in reps for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = {b["id"] for st, b in same if st == 200}
    tap.ok(all(st == 200 for st, _ in same) and len(ids) == 1,
           "the same schema sent to 9 clients over 3 replicas: every one 200, one id",
           [x for x in same if x[0] != 200] or ids)
    vers = B.request("GET", "/subjects/same-value/versions", fresh=True)
    tap.ok(vers.status == 200 and vers.json() == [1], "and one version", vers)

    # 3. Read-after-write across replicas (read-repair before a 404).
    st, body = register(A, "raw-value", schema("Raw"))
    r1 = B.request("GET", "/schemas/ids/%d" % body["id"], fresh=True)
    r2 = C.request("GET", "/subjects/raw-value/versions/1", fresh=True)
    tap.ok(st == 200 and r1.status == 200 and r2.status == 200,
           "registered on A, read at once on B (by id) and C (by subject/version)",
           (st, body, r1, r2))
    r3 = C.request("GET", "/schemas/ids/99999", fresh=True)
    tap.ok(r3.status == 404, "an id nobody registered is still 404", r3)
    # Misses right after a repair fetch (within its 100 ms gap): each must
    # wait for a fetch that starts after it, not answer 404 unrepaired.
    gap_misses = []
    for k in range(8):
        B.request("GET", "/schemas/ids/99998", fresh=True)      # a repair fetch
        st, body = register(A, "gap-%d-value" % k, schema("Gap%d" % k))
        r = B.request("GET", "/schemas/ids/%d" % body.get("id", 0), fresh=True)
        if st != 200 or r.status != 200:
            gap_misses.append((k, st, r.status))
    tap.ok(not gap_misses, "8 writes on A, each read on B right after another miss's"
           " repair fetch: all found", gap_misses)

    ok, view = converge(reps)
    tap.ok(ok and len(view) == 70, "/subjects converges on every replica (70 subjects)", view)

    # 3b. Sustained contention: every replica busy for longer than the
    # write deadline. Without the winner's courtesy wait one replica could
    # win every race and another lose them all until its deadline (50002).
    busy = {"A": 0, "B": 0, "C": 0}
    busy_fail = []
    busy_ids = []
    stop_at = time.time() + 2 * TIMEOUT

    def busy_writer(srv, tag, j):
        k = 0
        while time.time() < stop_at:
            subj = "busy-%s-%d-%d" % (tag, j, k)
            st, body = register(srv, subj, schema("B_%s_%d_%d" % (tag, j, k)))
            with lock:
                if st == 200:
                    busy[tag] += 1
                    busy_ids.append((subj, body["id"]))
                else:
                    busy_fail.append((tag, st, body))
            k += 1

    threads = [threading.Thread(target=busy_writer, args=(s, "ABC"[n], j))
               for n, s in enumerate(reps) for j in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    total = sum(busy.values())
    tap.ok(not busy_fail and all(v * 20 >= total for v in busy.values()),
           "%d s of 18 clients over 3 replicas: no write lost every race, each replica"
           " acknowledged a fair share %s" % (2 * TIMEOUT, busy), busy_fail[:3])
    upv = upstream_versions(up)
    tap.ok(len({i for _, i in busy_ids}) == len(busy_ids)
           and all(upv.get((s, 1)) == i for s, i in busy_ids),
           "and every one of the %d is on the upstream with its own id" % len(busy_ids))

    # 4. kill -9 a replica during writes, restart it.
    acked_c = {}

    def c_writer():
        for i in range(30):
            st, b = register(C, "k-%d" % i, schema("K%d" % i))
            if st == 200:
                acked_c["k-%d" % i] = b["id"]
            elif st == 0:
                return

    t = threading.Thread(target=c_writer)
    t.start()
    time.sleep(0.4)
    C.proc.send_signal(signal.SIGKILL)
    C.proc.wait(10)
    t.join(30)
    C = reps[2] = replica("C", url)
    upv = upstream_versions(up)
    lost = [s for s, i in acked_c.items() if upv.get((s, 1)) != i]
    tap.ok(not lost, "kill -9 of C during writes: its %d acknowledged writes are on the"
           " upstream" % len(acked_c), lost)
    hc = C.request("GET", "/health", fresh=True)
    tap.ok(hc.status == 200, "C restarted on its store: healthy", hc)
    st, body = register(C, "after-kill-value", schema("AfterKill"))
    tap.ok(st == 200 and body["id"] not in set(acked.values()) | set(acked_c.values()),
           "C writes again with a fresh id", (st, body))
    chain, merges = upstream_log(up)
    tap.ok(not merges, "still no merge on the upstream", merges[:3])

    # 5. The upstream stops answering (kill -STOP the daemon).
    # `git daemon` runs git-daemon as a child: stop the whole group.
    os.killpg(daemon.pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        st, body = register(A, "stopped-value", schema("Stopped"))
        dt = time.time() - t0
        tap.ok(st == 500 and isinstance(body, dict) and body.get("error_code") == 50002
               and dt < TIMEOUT + 2,
               "upstream stopped: a write fails with 50002 in %.1f s (deadline %d s)"
               % (dt, TIMEOUT), (st, body))
        t0 = time.time()
        r = A.request("GET", "/subjects/raw-value/versions/1", fresh=True)
        tap.ok(r.status == 200 and time.time() - t0 < 1,
               "reads keep working while the upstream is stopped", r)
        ui = call(A, "GET", "/regit/health").json()
        tap.ok(ui.get("status") == "degraded"
               and ui.get("upstream", {}).get("state") == "unreachable"
               and ui["upstream"].get("message"),
               "the UI's /regit/health: degraded, upstream unreachable with the reason", ui)
        # Misses do not wait on a fetch from an upstream known to be down.
        t0 = time.time()
        misses = [A.request("GET", "/schemas/ids/%d" % (900000 + i), fresh=True).status
                  for i in range(20)]
        dt = time.time() - t0
        tap.ok(misses == [404] * 20 and dt < 1.5,
               "20 unknown ids while the upstream is down: 404 in %.2f s, no repair fetch" % dt,
               misses)
    finally:
        os.killpg(daemon.pid, signal.SIGCONT)
    st, body = register(A, "stopped-value", schema("Stopped"))
    tap.ok(st == 200, "after kill -CONT the same write succeeds", (st, body))
    ids_now = set(acked.values()) | set(acked_c.values())
    tap.ok(body.get("id") not in ids_now if isinstance(body, dict) else False,
           "with an id nobody had", body)

    # 6. The upstream force-pushed to an older commit. Every replica first
    # holds the head (a replica still behind the older commit would see no
    # rewrite: for it the upstream only moved forward), and each takes the
    # rewritten head in before it is asked.
    converge(reps)
    chain, _ = upstream_log(up)
    head, older = chain[0], chain[10]
    git("-C", up, "update-ref", "refs/heads/main", older)
    call(A, "POST", "/regit/refresh")
    call(B, "POST", "/regit/refresh")
    ha = A.request("GET", "/health", fresh=True)
    tap.ok(ha.status == 503 and ha.json().get("upstream", {}).get("state") == "refused",
           "upstream rewritten to an older commit: A refuses it (/health 503)", ha)
    ui = call(A, "GET", "/regit/health")
    tap.ok(ui.status == 200 and ui.json().get("status") == "upstream-refused"
           and ui.json().get("upstream", {}).get("state") == "refused"
           and ui.json()["upstream"].get("message"),
           "the UI's /regit/health (200 for the UI): upstream-refused, with the reason", ui)
    r = A.request("GET", "/subjects/stopped-value/versions/1", fresh=True)
    tap.ok(r.status == 200, "A keeps serving its state (a subject the old commit lacks)", r)
    st, body = register(B, "while-rewritten-value", schema("WhileRewritten"))
    tap.ok(st >= 500, "a write while the upstream is rewritten is refused", (st, body))
    git("-C", up, "update-ref", "refs/heads/main", head)
    call(A, "POST", "/regit/refresh")
    call(B, "POST", "/regit/refresh")
    ha = A.request("GET", "/health", fresh=True)
    tap.ok(ha.status == 200, "upstream restored: A back to 200 without a restart", ha)
    st, body = register(B, "restored-value", schema("Restored"))
    tap.ok(st == 200, "and B writes again", (st, body))
    # C may have fetched the rewritten head on its own too: every replica
    # takes the restored head in before clients reach them through haproxy.
    healthy = False
    for _ in range(100):
        for rep in reps:
            call(rep, "POST", "/regit/refresh")
        if all(rep.request("GET", "/health", fresh=True).status == 200 for rep in reps):
            healthy = True
            break
        time.sleep(0.05)
    tap.ok(healthy, "every replica back to 200 after the restore")

    # 6b. Commits pushed to the upstream that break the ledger, made with
    # git in the bare repository (the upstream has no hook): an in-place
    # edit of a version's text (its id would decode with another schema),
    # then an empty tree. Each is refused by every replica (503, reads
    # served from what it served), and a commit that reverts it on top
    # brings them back without a restart.
    def push_tree(tree, msg):
        parent = git("-C", up, "rev-parse", "main").stdout.strip()
        c = git("-C", up, "commit-tree", tree, "-p", parent, "-m", msg).stdout.strip()
        git("-C", up, "update-ref", "refs/heads/main", c, parent)
        return parent

    def all_health(want):
        got = []
        for _ in range(100):
            for rep in reps:
                call(rep, "POST", "/regit/refresh")
            got = [rep.request("GET", "/health", fresh=True).status for rep in reps]
            if all(x == want for x in got):
                return True, got
            time.sleep(0.05)
        return False, got

    raw_path = [p for p in git("-C", up, "ls-tree", "-r", "--name-only", "main").stdout.split()
                if p.startswith("subjects/raw-value/") and p.endswith("v1.avsc")]
    good_tree = git("-C", up, "rev-parse", "main^{tree}").stdout.strip()
    text = git("-C", up, "show", "main:" + raw_path[0]).stdout if raw_path else ""
    for what, make in (
            ("an in-place edit of raw-value v1's text",
             lambda: edited_tree(raw_path[0], text.replace('"Raw"', '"Bogus"'))),
            ("an empty tree", lambda: git("-C", up, "mktree", input="").stdout.strip())):
        before = push_tree(make(), what)
        refused, codes = all_health(503)
        r = B.request("GET", "/subjects/raw-value/versions/1", fresh=True)
        st, body = register(C, "during-bad-%d-value" % len(what), schema("DuringBad"))
        push_tree(good_tree, "revert " + what)
        back, codes2 = all_health(200)
        served = r.json().get("schema", "") if r.status == 200 else ""
        tap.ok(raw_path and refused and '"Raw"' in served and "Bogus" not in served and st >= 500
               and back,
               "%s pushed upstream: every replica refuses it (503), serves raw-value v1 as it"
               " was, refuses writes; a revert on top brings all back to 200" % what,
               (codes, r.status, st, codes2, before[:12]))

    # 7. haproxy in front of the three (option httpchk GET /health):
    # clients through it, and a killed replica routed around.
    lb_port = free_port()
    hap = haproxy(lb_port, [s.port for s in reps])
    lb = type("LB", (), {"port": lb_port})()
    up_ok = False
    for _ in range(100):
        try:
            if call(lb, "GET", "/health", timeout=2).status == 200:
                up_ok = True
                break
        except OSError:
            pass
        time.sleep(0.05)
    tap.ok(up_ok, "haproxy answers /health through the replicas")
    via = [register(lb, "lb-%d-value" % k, schema("Lb%d" % k)) for k in range(6)]
    tap.ok(all(st == 200 for st, _ in via), "6 registrations through haproxy: all 200", via)
    r = [call(lb, "GET", "/schemas/ids/%d" % b["id"]).status for st, b in via if st == 200]
    tap.ok(r and all(x == 200 for x in r), "each read back through haproxy (any replica)", r)
    npm_clients(lb_port, reps)
    C.proc.send_signal(signal.SIGKILL)
    C.proc.wait(10)
    t0 = time.time()
    fails = 0
    last_fail = t0
    while time.time() - t0 < 4:
        try:
            if call(lb, "GET", "/subjects", timeout=2).status != 200:
                fails += 1
                last_fail = time.time()
        except OSError:
            fails += 1
            last_fail = time.time()
        time.sleep(0.02)
    routed = last_fail - t0
    st, body = register(lb, "after-lb-kill-value", schema("AfterLbKill"))
    tap.ok(st == 200 and routed < 3.5,
           "replica C killed: haproxy routes around it (last failed request %.2f s after"
           " the kill, %d failed)" % (routed, fails), (st, body))
    hap.kill()
    hap.wait()
    C = reps[2] = replica("C", url)

    m = A.request("GET", "/metrics").text
    tap.ok("regit_upstream_lag_seconds" in m and "regit_upstream_pushes_total" in m
           and "git://" not in m,
           "/metrics has upstream lag and counters, no URL", m[-300:])

    for s in reps:
        s.stop()
    os.killpg(daemon.pid, signal.SIGKILL)
    daemon.wait()

    # 8. An http(s) upstream behind basic auth: --upstream-credentials-file.
    http_credentials(base)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash of the test itself: visible, not a pass
        tap.ok(False, "replicas test ran to the end", repr(e))
    finally:
        for pid in children:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGCONT)
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if tap.fails:
            for name in ("A", "B", "C"):
                try:
                    with open(os.path.join(tmp, name + ".err")) as f:
                        for line in f.read().splitlines()[-6:]:
                            print("# %s: %s" % (name, line[:300]))
                except OSError:
                    pass
        if not os.environ.get("REPLICAS_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    tap.finish()
