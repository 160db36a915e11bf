"""replicas.py - three `regit serve --upstream` replicas on one git daemon
(issue #12 part 2): aggregate durable registrations/s with 32 clients
spread over the replicas, registrations per push, and replication lag
(p50/p99: registered on one replica, until another lists the subject) with
the default --fetch-interval and with the refresh hook. Run by
bench/replicas.sh; BENCH_QUICK=1 cuts the durations, BENCH_CLIENTS=N
changes the 32 clients, BENCH_LAG=0 skips the lag part.
"""
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REGIT = os.environ.get("REGIT_BIN", os.path.join(os.getcwd(), "build", "regit"))
QUICK = os.environ.get("BENCH_QUICK") == "1"
CT = "application/vnd.schemaregistry.v1+json"
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))  # the 32 by default
LAG = os.environ.get("BENCH_LAG", "1") == "1"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def call(port, method, path, body=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else b"",
                     headers={"Content-Type": CT})
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def schema(name):
    return {"schema": json.dumps({"type": "record", "name": name,
                                  "fields": [{"name": "a", "type": "int"}]})}


def start(tmp, procs, *args, out):
    p = subprocess.Popen(list(args), stdout=out, stderr=open(os.environ["BENCH_STDERR"] % len(procs), "w")
                         if os.environ.get("BENCH_STDERR") else subprocess.DEVNULL,
                         start_new_session=True)
    procs.append(p)
    return p


def main():
    tmp = tempfile.mkdtemp(prefix="regit-bench-replicas-")
    procs = []
    try:
        base = os.path.join(tmp, "srv")
        up = os.path.join(base, "up.git")
        os.makedirs(base)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", up], check=True)
        subprocess.run(["git", "-C", up, "config", "receive.unpackLimit", "1"], check=True)
        subprocess.run(["git", "-C", up, "config", "receive.autogc", "false"], check=True)
        gport = free_port()
        start(tmp, procs, "git", "daemon", "--reuseaddr", "--enable=receive-pack",
              "--export-all", "--base-path=" + base, "--listen=127.0.0.1",
              "--port=%d" % gport, base, out=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", gport), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        url = "git://127.0.0.1:%d/up.git" % gport
        ports = []
        for n in range(3):
            port = free_port()
            start(tmp, procs, REGIT, "serve", "--listen", "127.0.0.1:%d" % port,
                  "--store", os.path.join(tmp, "r%d.git" % n), "--compat", "NONE",
                  "--upstream", url, out=subprocess.DEVNULL)
            ports.append(port)
        for port in ports:
            for _ in range(200):
                try:
                    if call(port, "GET", "/health")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.05)

        # Aggregate durable registrations/s, 32 clients over 3 replicas.
        secs = 3 if QUICK else 10
        counts = [0] * CLIENTS
        errors = []
        stop = time.time() + secs

        def client(i):
            port = ports[i % 3]
            k = 0
            while time.time() < stop:
                st, body = call(port, "POST", "/subjects/b-%d-%d/versions" % (i, k),
                                schema("B%d_%d" % (i, k)))
                if st == 200:
                    counts[i] += 1
                else:
                    errors.append((st, body[:200], i % 3, round(time.time() - t0, 1)))
                k += 1

        def busy():
            # the machine's busy and total CPU seconds so far (/proc/stat)
            v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
            hz = os.sysconf("SC_CLK_TCK")
            return (sum(v) - v[3] - v[4]) / hz, sum(v) / hz
        busy0 = busy()
        load0 = os.getloadavg()[0]
        t0 = time.time()
        ts = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(secs + 30)
        dt = time.time() - t0
        total = sum(counts)
        pushes = 0
        conflicts = 0
        for port in ports:
            m = call(port, "GET", "/metrics")[1]
            pushes += int(re.search(r'regit_upstream_pushes_total\{outcome="ok"\} (\d+)',
                                    m).group(1))
            conflicts += int(re.search(
                r'regit_upstream_pushes_total\{outcome="conflict"\} (\d+)', m).group(1))
        def cpu(pid):
            # utime+stime of the process and of its reaped children, seconds
            f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
            return sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK")
        busy1 = busy()
        cpu_replicas = sum(cpu(p.pid) for p in procs[1:4])
        chain = subprocess.run(["git", "-C", up, "rev-list", "--count", "--first-parent",
                                "main"], capture_output=True, text=True).stdout.strip()
        print("replicas: %d clients over 3 replicas, %.1f s: %d registrations acknowledged,"
              " %.0f/s; %d errors%s" % (CLIENTS, dt, total, total / dt, len(errors),
                                        (" (first: %s)" % (errors[0][:2],)) if errors else ""))
        print("replicas: acknowledged per replica %s; errors per replica %s (at %s s)"
              % ([sum(counts[i] for i in range(CLIENTS) if i % 3 == r) for r in range(3)],
                 [sum(1 for e in errors if e[2] == r) for r in range(3)],
                 sorted(set(e[3] for e in errors))))
        print("replicas: CPU: the machine %.0f%% busy (%.1f of %.1f CPU-seconds; other"
              " work included), the replicas %.1f s, this client %.1f s; %.2f ms of CPU"
              " per registration, the replicas' %.2f ms"
              % (100 * (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]), busy1[0] - busy0[0],
                 busy1[1] - busy0[1], cpu_replicas, time.process_time(),
                 (busy1[0] - busy0[0]) * 1000 / max(total, 1),
                 cpu_replicas * 1000 / max(total, 1)))
        print("replicas: %d pushes landed, %d lost races; %.1f registrations per push;"
              " upstream first-parent chain %s commits; load average %.1f -> %.1f"
              % (pushes, conflicts, total / max(pushes, 1), chain, load0,
                 os.getloadavg()[0]))

        # Replication lag: registered on replica 0 until replica 1 lists it.
        def lag(samples, hook):
            out = []
            for k in range(samples):
                subj = "lag-%s-%d" % ("hook" if hook else "interval", k)
                st, _ = call(ports[0], "POST", "/subjects/%s/versions" % subj,
                             schema("Lag%s%d" % ("H" if hook else "I", k)))
                t1 = time.time()
                if hook:
                    call(ports[1], "POST", "/regit/refresh")
                while time.time() - t1 < 10:
                    if subj in json.loads(call(ports[1], "GET", "/subjects")[1]):
                        break
                    time.sleep(0.005)
                out.append((time.time() - t1) * 1000)
                # A random phase against the fetch interval (a fixed pause
                # locks the probe in step with it).
                time.sleep(random.uniform(0, 2.0))
            out.sort()
            return out

        if not LAG:
            return
        n = 6 if QUICK else 20
        for hook in (False, True):
            ms = lag(n, hook)
            p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
            print("replicas: replication lag %s: p50 %.0f ms, p99 %.0f ms (%d samples)"
                  % ("with the refresh hook" if hook else "with --fetch-interval 2",
                     statistics.median(ms), p99, len(ms)))
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
