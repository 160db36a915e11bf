#!/usr/bin/env bash
# hostile_load.sh - a legitimate client's latency and the server's RSS while
# `regit serve --auth` is attacked (issue #13), one attack at a time:
#
#   none       no attack (the baseline)
#   bodies     connections without credentials, each declaring a 16 MB body
#              and sending it, from 127.0.0.2 (reconnecting as they are refused)
#   slowloris  1,000 connections over 20 addresses (127.0.1.x) sending one
#              header line every 2 s
#   passwords  32 connections sending wrong passwords in a loop from 127.0.0.4
#   writes     one-shot (HTTP/1.0, Connection: close) registrations while
#              another process holds the store's writers' lock
#
# The legitimate client (127.0.0.1, one keep-alive connection, cached
# credentials) GETs /subjects back to back; for each attack it prints the
# median and p99 latency, the server's RSS before and at its peak, the
# server's own time for those requests (its access log: request line to
# queued answer) and the attack's rate (connections or requests a second;
# slowloris: sockets opened). Each attack runs in its own process: in the
# client's, its threads would hold Python's GIL and the client's latency
# would be Python's thread switching.
# Goals: median under attack within 2x of no attack and below 20 ms; RSS
# growth under the body attack below 100 MB. Measures only; no thresholds.
# BENCH_QUICK=1 shortens each phase. On a 2-core machine the attacker's
# own CPU (Python, and the kernel copying 16 MB bodies over loopback) takes
# the cores the client and the server need: BENCH_NICE_ATTACKER=1 runs it
# at nice 19, as if it were on another host; BENCH_PIN=1 puts the server on
# CPU 0 and both clients on CPU 1.
set -u
cd "$(dirname "$0")/.."
REGIT_BIN=${REGIT_BIN:-$PWD/build/regit}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
secs=8
[ -n "${BENCH_QUICK:-}" ] && secs=2
printf 'pw\n' | "$REGIT_BIN" passwd "$tmp/creds" bench write >/dev/null 2>&1
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
exec python3 - "$REGIT_BIN" "$tmp" "$secs" <<'EOF'
import base64, fcntl, http.client, json, multiprocessing, os, socket, statistics, subprocess, sys, \
    threading, time

regit, tmp, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
# BENCH_PIN=1: the server on CPU 0, the clients (attacker and legitimate)
# on CPU 1, so that the attacker's own CPU does not count as the server's.
pin = os.environ.get("BENCH_PIN") == "1" and os.cpu_count() >= 2
if pin:
    os.sched_setaffinity(0, {1})
proc = subprocess.Popen((["taskset", "-c", "0"] if pin else []) + [regit, "serve", "--listen", "127.0.0.1:0", "--store", tmp + "/store.git",
                         "--auth", tmp + "/creds", "--compat", "NONE", "--access-log"],
                        stdout=subprocess.PIPE, stderr=open(tmp + "/err", "w"), text=True)
port = int(proc.stdout.readline().split("(port ")[1].split(")")[0])
AUTH = "Basic " + base64.b64encode(b"bench:pw").decode()
# What the attack did (connections or requests made; slowloris: sockets
# kept open), so a figure under attack says how hard it was attacked.
done = multiprocessing.Value("L", 0, lock=True)


def count():
    with done.get_lock():
        done.value += 1


def rss():
    with open(f"/proc/{proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def conn(src, timeout=10):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def bodies(stop):
    while not stop.is_set():
        try:
            s = conn("127.0.0.2")
            s.sendall(b"POST /subjects/x/versions HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (16 << 20))
            count()
            for _ in range(256):
                s.sendall(b"x" * 65536)
        except OSError:
            pass
        finally:
            s.close()


def slowloris(stop):
    socks = []
    for i in range(1000):
        try:
            s = conn("127.0.1.%d" % (2 + i % 20), 2)
            s.sendall(b"GET /subjects HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
            count()
        except OSError:
            pass
    while not stop.is_set():
        for s in list(socks):
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                socks.remove(s)
        stop.wait(2)
    for s in socks:
        s.close()


def passwords(stop):
    n = 0
    while not stop.is_set():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                           source_address=("127.0.0.4", 0))
            c.request("GET", "/subjects", headers={
                "Authorization": "Basic " + base64.b64encode(b"bench:guess%d" % n).decode()})
            c.getresponse().read()
            c.close()
            count()
        except (OSError, http.client.HTTPException):
            pass
        n += 1


def writes(stop):
    body = json.dumps({"schema": '"int"'}).encode()
    while not stop.is_set():
        try:
            s = conn("127.0.0.5", 30)
            s.sendall(b"POST /subjects/w/versions HTTP/1.0\r\nAuthorization: %s\r\n"
                      b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                      % (AUTH.encode(), len(body), body))
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
            count()
        except OSError:
            pass
        finally:
            s.close()


ATTACKS = {"none": (None, 1), "bodies": (bodies, 8), "slowloris": (slowloris, 1),
           "passwords": (passwords, 32), "writes": (writes, 4)}


def attacker(fn, n, stop):
    """One attack in its own process (n threads): in the client's process
    the attackers' threads would hold the GIL, and the client's latency
    would measure Python's thread switching (5 ms) instead of the server."""
    if os.environ.get("BENCH_NICE_ATTACKER") == "1":
        os.nice(19)
    if fn is writes:
        # The writers' lock held by "another process" for the whole attack:
        # one flock for all the threads (flock locks belong to an open file,
        # so each thread locking its own would wait for the first).
        lock = open(tmp + "/store.git/regit-write.lock", "a+")
        fcntl.flock(lock, fcntl.LOCK_EX)
    ths = [threading.Thread(target=fn, args=(stop,), daemon=True) for _ in range(n)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(40)
    if fn is writes:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()




def server_us(start, end):
    """The server's own time (access log "us": from the request line to the
    queued answer) for the legitimate client's requests logged between two
    offsets of its stderr: what the server spends, without the time the
    client and the server wait for a core."""
    with open(tmp + "/err", "rb") as f:
        f.seek(start)
        text = f.read(end - start).decode("utf-8", "replace")
    us = []
    for line in text.splitlines():
        if '"remote":"127.0.0.1"' in line and '"route":"/subjects"' in line:
            try:
                us.append(json.loads(line)["us"])
            except (ValueError, KeyError):
                pass
    us.sort()
    if not us:
        return 0, 0
    return statistics.median(us), us[min(len(us) - 1, int(len(us) * 0.99))]


print(f"{'attack':10} {'requests':>8} {'median ms':>10} {'p99 ms':>8} {'errors':>6}"
      f" {'RSS MB':>7} {'peak MB':>8} {'server med us':>13} {'server p99 us':>13} {'attack/s':>8}")
base_median = None
for name, (fn, n) in ATTACKS.items():
    stop = multiprocessing.Event()
    ths = [multiprocessing.Process(target=attacker, args=(fn, n, stop))] if fn else []
    rss0 = rss()
    done.value = 0
    for th in ths:
        th.start()
    time.sleep(1.0)
    lat, errors, peak = [], 0, rss0
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.0.1", 0))
    log0 = os.path.getsize(tmp + "/err")
    end = time.monotonic() + secs
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            c.request("GET", "/subjects", headers={"Authorization": AUTH})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                           source_address=("127.0.0.1", 0))
        lat.append((time.monotonic() - t0) * 1000)
        if len(lat) % 50 == 0:
            peak = max(peak, rss())
    peak = max(peak, rss())
    smed, sp99 = server_us(log0, os.path.getsize(tmp + "/err"))
    rate = done.value / (secs + 1.0)
    stop.set()
    for th in ths:
        th.join(60)
        if th.is_alive():
            th.kill()
    lat.sort()
    med = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"{name:10} {len(lat):8d} {med:10.2f} {p99:8.2f} {errors:6d} {rss0:7d} {peak:8d}"
          f" {smed:13.0f} {sp99:13.0f} {rate:8.1f}", flush=True)
    time.sleep(1.0)
proc.terminate()
proc.wait(30)
EOF
