#!/usr/bin/env bash
# soak.sh - does `regit serve` hold its memory over a million requests?
#
# Starts the server on a temporary store with 10 subjects x 3 versions,
# then drives SOAK_REQUESTS mixed requests (run directly: 1,000,000, about
# two minutes; inside `make bench`: 100,000 as the quick step that keeps
# bench/run's budget; BENCH_QUICK=1: 20,000) with wrk in back-to-back chunks of SOAK_CHUNK seconds
# (default 5): GET by id (and /schema), GET versions / a version / latest,
# lookups (POST /subjects/{s}), compatibility POSTs (compatible and not),
# GET /subjects and /config, 404s (unknown id, subject, route) and bad
# bodies (broken JSON, an invalid Avro schema, a wrong content type) sent
# to the register route -- none of which may register anything.
#
# After every chunk it samples the server's VmRSS, open fds and threads
# from /proc/PID and prints them against the running request count; at the
# end it reports start / peak / end RSS and VmHWM. "Flat" means the RSS at
# the end is within max(4 MB, 5%) of the RSS after the first chunk (the
# first chunk warms thread stacks, malloc arenas and the parse cache).
# Exit status 1 when it is not flat, when fds grew, on any 5xx or socket
# error, or when the store gained versions.
#
# A benchmark, not a test: `make bench` runs it (bench/run runs every
# executable bench/*.sh); the full soak: nice -n 19 bench/soak.sh.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
REGIT_BIN=${REGIT_BIN:-$PWD/$BUILD/regit}

for tool in wrk python3; do
	command -v $tool >/dev/null || { echo "soak: $tool not installed (scripts/install-deps --bench)"; exit 1; }
done
[ -x "$REGIT_BIN" ] || { echo "soak: $REGIT_BIN missing (make)"; exit 1; }

TOTAL=1000000
[ -n "${MAKELEVEL:-}" ] && TOTAL=100000
[ "${BENCH_QUICK:-}" = 1 ] && TOTAL=20000
TOTAL=${SOAK_REQUESTS:-$TOTAL}
[ "$TOTAL" -lt 1000000 ] && echo "soak: short run; the full soak is bench/soak.sh (1,000,000 requests)"
CHUNK=${SOAK_CHUNK:-5}
CONNS=${SOAK_CONNS:-16}

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

"$REGIT_BIN" serve --listen 127.0.0.1:0 --store "$tmp/store.git" --compat BACKWARD \
	--threads 4 >"$tmp/out" 2>"$tmp/err" &
pid=$!
port=
for _ in $(seq 1 200); do
	port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/out")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "soak: regit serve did not start"; cat "$tmp/err"; exit 1; }

# Register the schemas and write the wrk script with the request mix.
python3 - "$port" "$tmp/mix.lua" <<'PY' || { echo "soak: setup failed"; cat "$tmp/err"; exit 1; }
import http.client, json, sys
port, lua = int(sys.argv[1]), sys.argv[2]
CT = "application/vnd.schemaregistry.v1+json"
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

def schema(s, v, typ="string"):
    return {"type": "record", "name": "Event", "namespace": f"soak.s{s}",
            "fields": [{"name": "id", "type": "long"}]
            + [{"name": f"f{k}", "type": typ, "default": ""} for k in range(v)]}

def body(obj):
    return json.dumps({"schema": json.dumps(obj)})

for s in range(10):
    for v in range(1, 4):
        c.request("POST", f"/subjects/soak-{s}/versions", body(schema(s, v)), {"Content-Type": CT})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            sys.exit(f"register soak-{s} v{v}: HTTP {r.status}")

bad_type = schema(0, 4)
bad_type["fields"][0]["type"] = "int"          # long -> int: not backward compatible
mix = []                                       # (weight, method, path, content type, body)
for i in range(1, 31):
    mix.append((25 / 30, "GET", f"/schemas/ids/{i}", None, None))
    mix.append((4 / 30, "GET", f"/schemas/ids/{i}/schema", None, None))
for s in range(10):
    mix += [(1.0, "GET", f"/subjects/soak-{s}/versions", None, None),
            (0.5, "GET", f"/subjects/soak-{s}/versions/2", None, None),
            (0.5, "GET", f"/subjects/soak-{s}/versions/latest", None, None),
            (1.0, "POST", f"/subjects/soak-{s}", CT, body(schema(s, 2))),
            (1.0, "POST", f"/compatibility/subjects/soak-{s}/versions/latest", CT, body(schema(s, 4))),
            (0.5, "POST", f"/compatibility/subjects/soak-{s}/versions/latest", CT, body(bad_type))]
mix += [(3, "GET", "/subjects", None, None),
        (2, "GET", "/config", None, None),
        (4, "GET", "/schemas/ids/99999", None, None),
        (3, "GET", "/subjects/no-such-subject/versions", None, None),
        (2, "GET", "/no/such/route", None, None),
        (4, "POST", "/subjects/soak-0/versions", CT, '{"schema": "{\\"type\\": \\"record\", broken'),
        (3, "POST", "/subjects/soak-1/versions", CT, body({"type": "record", "name": "X", "fields": [{"name": "a", "type": "nosuchtype"}]})),
        (2, "POST", "/subjects/soak-2/versions", "text/plain", "hello")]
# 200 slots, each request kind repeated by its weight.
total = sum(m[0] for m in mix)
slots = []
for w, *req in mix:
    slots += [req] * max(1, round(w / total * 200))
def q(x):
    return "nil" if x is None else json.dumps(x)
with open(lua, "w") as f:
    f.write("local reqs = {\n")
    for method, path, ct, b in slots:
        hdr = "{}" if ct is None else '{["Content-Type"] = %s}' % q(ct)
        f.write("  {%s, %s, %s, %s},\n" % (q(method), q(path), hdr, q(b)))
    f.write("}\n")
    f.write("""
local threads = {}
local n = 0
function setup(thread)
  n = n + 1
  thread:set("tid", n)
  table.insert(threads, thread)
end
local pre = {}
statuses = {}
function init(args)
  math.randomseed(tid * 7919 + os.time())
  for i, r in ipairs(reqs) do
    pre[i] = wrk.format(r[1], r[2], r[3], r[4])
  end
end
function request()
  return pre[math.random(#pre)]
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do all[k] = (all[k] or 0) + v end
  end
  local line = "STATUS"
  for k, v in pairs(all) do line = line .. " " .. k .. "=" .. v end
  io.write(line .. "\\n")
end
""")
print(f"soak: {len(slots)} request slots, {len(set((m, p) for m, p, *_ in slots))} distinct routes")
PY

status() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }
versions() { python3 -c "import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1])).get('versions'))" "http://127.0.0.1:$port/health"; }

v0=$(versions)
rss0=$(status "$pid" VmRSS)
fd0=$(fds "$pid")
echo "soak: $TOTAL requests, $CONNS connections, ${CHUNK}s chunks; start RSS $rss0 kB, $fd0 fds," \
	"$(status "$pid" Threads) threads, $v0 versions"
printf '  %10s %10s %8s %5s %8s  %s\n' requests "RSS kB" fds thr "req/s" statuses
done_n=0
first=
peak=$rss0
bad=0
declare -A codes
while [ "$done_n" -lt "$TOTAL" ]; do
	wrk -t2 -c"$CONNS" -d"${CHUNK}s" -s "$tmp/mix.lua" "http://127.0.0.1:$port" >"$tmp/wrk" 2>&1
	n=$(awk '/requests in/ {print $1}' "$tmp/wrk")
	[ -n "$n" ] || { echo "soak: wrk failed"; cat "$tmp/wrk"; exit 1; }
	done_n=$((done_n + n))
	if grep -q 'Socket errors' "$tmp/wrk"; then
		echo "  $(grep 'Socket errors' "$tmp/wrk")"
		bad=1
	fi
	line=$(sed -n 's/^STATUS //p' "$tmp/wrk")
	for kv in $line; do
		codes[${kv%%=*}]=$(( ${codes[${kv%%=*}]:-0} + ${kv#*=} ))
		[ "${kv%%=*}" -ge 500 ] && bad=1
	done
	kill -0 "$pid" 2>/dev/null || { echo "soak: the server died"; cat "$tmp/err"; exit 1; }
	rss=$(status "$pid" VmRSS)
	[ -n "$first" ] || first=$rss
	[ "$rss" -gt "$peak" ] && peak=$rss
	printf '  %10d %10d %8d %5d %8s  %s\n' "$done_n" "$rss" "$(fds "$pid")" "$(status "$pid" Threads)" \
		"$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$tmp/wrk")" "$line"
done
rss1=$(status "$pid" VmRSS)
fd1=$(fds "$pid")
hwm=$(status "$pid" VmHWM)
v1=$(versions)
all=""
for k in $(printf '%s\n' "${!codes[@]}" | sort -n); do all="$all $k=${codes[$k]}"; done
echo "soak: $done_n requests; statuses:$all"
echo "soak: RSS start $rss0 kB, after the first chunk $first kB, peak sampled $peak kB," \
	"end $rss1 kB (VmHWM $hwm kB); fds $fd0 -> $fd1; versions $v0 -> $v1"
slack=$(( first / 20 > 4096 ? first / 20 : 4096 ))
growth=$(( rss1 - first ))
if [ "$growth" -le "$slack" ]; then
	echo "soak: RSS flat (end - first chunk = $growth kB, allowed $slack kB)"
else
	echo "soak: RSS NOT flat (end - first chunk = $growth kB, allowed $slack kB)"
	bad=1
fi
[ "$fd1" -le $((fd0 + CONNS + 4)) ] || { echo "soak: fds grew"; bad=1; }
[ "$v0" = "$v1" ] || { echo "soak: bad requests changed the store"; bad=1; }
exit $bad
