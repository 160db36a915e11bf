#!/usr/bin/env bash
# dockerfile.sh - the Dockerfile without docker (none runs here): every
# instruction parses, it is multi-stage on debian:bookworm-slim, the files
# it copies exist (from the tree, or from `make install` for the build
# stage's /out), the runtime packages exist in Debian 12, the last USER is
# not root, the store is the VOLUME, CMD's `serve` options exist, and the
# HEALTHCHECK script answers healthy from a real `regit serve` (GET /health).
# hadolint runs too when installed.
# Prints TAP lines ("ok N - ..." / "not ok N - ...").
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-build/regit}
BUILD_DIR=${REGIT_BUILD:-$PWD/build}
BUILD_REL=${BUILD_DIR#"$PWD"/}
tmp=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT

notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

# The build stage's `make install PREFIX=/usr/local DESTDIR=/out`, here.
make -s --no-print-directory BUILD="$BUILD_REL" SANITIZE="${SANITIZE:-}" install \
	PREFIX=/usr/local DESTDIR="$tmp/out" >"$tmp/make.out" 2>&1
check "make install as the Dockerfile runs it" "[ \$? -eq 0 ]"
"$REGIT" serve --help >"$tmp/serve.help" 2>&1

# Parse and check with Python: one "ok|not ok<TAB>description" line each.
python3 - "$tmp/out" "$tmp/serve.help" >"$tmp/results" <<'PY'
import json, os, re, sys

out, serve_help = sys.argv[1], open(sys.argv[2]).read()
KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
         "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
res = []
def check(name, cond):
    res.append(("ok" if cond else "not ok", name))

# Logical lines: comments dropped, backslash continuations joined.
lines, cur = [], ""
for raw in open("Dockerfile"):
    s = raw.rstrip("\n")
    if not cur and (not s.strip() or s.lstrip().startswith("#")):
        continue
    if s.lstrip().startswith("#"):
        continue
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    lines.append((cur + s).strip())
    cur = ""
check("no dangling line continuation", cur == "")
instrs = [(l.split(None, 1)[0], (l.split(None, 1) + [""])[1]) for l in lines]
bad = [i for i, _ in instrs if i.upper() not in KNOWN or i != i.upper()]
check("every instruction is a known Dockerfile instruction (%d)" % len(instrs), not bad)

froms = [a for i, a in instrs if i == "FROM"]
check("multi-stage: two FROMs", len(froms) == 2)
check("both stages are debian:bookworm-slim",
      all(a.split()[0] == "debian:bookworm-slim" for a in froms))
stages = {a.split()[2] for a in froms if len(a.split()) == 3 and a.split()[1].upper() == "AS"}
check("the first stage is named build", froms and froms[0].split()[1:] == ["AS", "build"])

ignore = [l.strip() for l in open(".dockerignore") if l.strip() and not l.startswith("#")]
final = False
copies_ok, from_ok, seen_from = True, True, 0
for i, a in instrs:
    if i == "FROM":
        final = "AS" not in a.split()
    if i != "COPY":
        continue
    words = a.split()
    opts = [w for w in words if w.startswith("--")]
    srcs = [w for w in words if not w.startswith("--")][:-1]
    frm = [o.split("=", 1)[1] for o in opts if o.startswith("--from=")]
    for s in srcs:
        if frm:
            seen_from += 1
            if frm[0] not in stages or not s.startswith("/out/"):
                from_ok = False
            elif not os.path.exists(os.path.join(out, s[len("/out/"):])):
                print("# missing in make install's output: " + s)
                from_ok = False
        elif not os.path.exists(s) or s.split("/")[0] in ignore:
            print("# COPY source missing or in .dockerignore: " + s)
            copies_ok = False
check("COPY sources exist in the tree (and are not .dockerignore'd)", copies_ok)
check("COPY --from=build sources are what make install puts in /out (%d)" % seen_from,
      from_ok and seen_from > 0)

users = [a for i, a in instrs if i == "USER"]
check("the image runs as a non-root user",
      users and users[-1].split(":")[0] not in ("root", "0"))

def exec_form(arg):
    try:
        v = json.loads(arg)
        return v if isinstance(v, list) and all(isinstance(x, str) for x in v) else None
    except ValueError:
        return None
ep = [exec_form(a) for i, a in instrs if i == "ENTRYPOINT"]
cmd = [exec_form(a) for i, a in instrs if i == "CMD"]
vol = [exec_form(a) for i, a in instrs if i == "VOLUME"]
check("ENTRYPOINT, CMD and VOLUME are JSON exec form", ep and cmd and vol and all(ep + cmd + vol))
if ep and cmd and vol and all(ep + cmd + vol):
    check("ENTRYPOINT is the installed binary", ep[-1] == ["/usr/local/bin/regit"]
          and os.path.exists(os.path.join(out, "usr/local/bin/regit")))
    c = cmd[-1]
    check("CMD is regit serve", c[0] == "serve")
    opts = [w for w in c if w.startswith("--")]
    check("CMD's serve options exist (%s)" % " ".join(opts),
          all(re.search(r"(^|\s)" + re.escape(o) + r"\b", serve_help) for o in opts))
    store = c[c.index("--store") + 1] if "--store" in c else ""
    check("the store is on the VOLUME", any(store.startswith(v.rstrip("/") + "/") for v in vol[-1]))
    check("listening beyond loopback comes with --auth", "--auth" in c or "--insecure-no-auth" in c)

hc = [a for i, a in instrs if i == "HEALTHCHECK"]
check("one HEALTHCHECK", len(hc) == 1)
if hc:
    m = re.search(r"\bCMD\s+(.*)$", hc[0])
    form = exec_form(m.group(1)) if m else None
    check("HEALTHCHECK CMD is exec form", form is not None)
    copied = {a.split()[-1]: a.split()[-2] for i, a in instrs if i == "COPY"}
    script = copied.get(form[0]) if form else None
    check("the HEALTHCHECK script is copied from the tree, executable, and asks /health",
          script is not None and os.access(script, os.X_OK) and "/health" in open(script).read())
    print("HEALTHCHECK_SCRIPT=" + (script or ""))
check("EXPOSE 8081", any(i == "EXPOSE" and "8081" in a.split() for i, a in instrs))

# apt packages of the runtime stage.
runtime = instrs[[k for k, (i, _) in enumerate(instrs) if i == "FROM"][-1]:]
pk = []
for i, a in runtime:
    if i == "RUN":
        m = re.search(r"apt-get install(.*?)(&&|$)", a)
        if m:
            pk += [w for w in m.group(1).split() if not w.startswith("-")]
print("PACKAGES=" + " ".join(pk))
for st, name in res:
    print("%s\t%s" % (st, name))
PY
check "the Dockerfile checker ran" "grep -q '^ok' $tmp/results"
grep '^#' "$tmp/results" >&2
while IFS=$'\t' read -r st name; do
	case "$st" in
	ok) ok "$name" ;;
	"not ok") notok "$name" ;;
	esac
done < <(grep -E '^(ok|not ok)	' "$tmp/results")

# The runtime packages are Debian 12's (this machine's apt lists), when apt is here.
pkgs=$(sed -n 's/^PACKAGES=//p' "$tmp/results")
if command -v apt-cache >/dev/null 2>&1 && grep -q bookworm /etc/os-release 2>/dev/null; then
	missing=
	for p in $pkgs; do
		apt-cache show "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	check "runtime packages exist in Debian 12 ($pkgs)" "[ -z \"$missing\" ]"
fi

# The health check script against a real server.
script=$(sed -n 's/^HEALTHCHECK_SCRIPT=//p' "$tmp/results")
"$REGIT" serve --listen 127.0.0.1:0 --store "$tmp/store.git" >"$tmp/serve.out" 2>"$tmp/serve.err" &
srv=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/serve.out" 2>/dev/null | head -1)
	[ -n "$port" ] && break
	kill -0 "$srv" 2>/dev/null || break
	sleep 0.1
done
check "a server to check health against" "[ -n '$port' ]"
REGIT_HEALTH_URL=http://127.0.0.1:$port/health sh "$script"
check "the HEALTHCHECK script: healthy server exits 0" "[ \$? -eq 0 ]"
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null
srv=
REGIT_HEALTH_URL=http://127.0.0.1:$port/health sh "$script" 2>/dev/null
check "... and a stopped one exits non-zero" "[ \$? -ne 0 ]"

# With --auth, /health needs a read user: from $REGIT_HEALTH_USER_FILE.
echo hpw | "$REGIT" passwd --password-stdin "$tmp/users" health read 2>/dev/null
printf 'health:hpw\n' >"$tmp/health.cred"
: >"$tmp/serve.out"
"$REGIT" serve --listen 127.0.0.1:0 --store "$tmp/store.git" --auth "$tmp/users" \
	>"$tmp/serve.out" 2>"$tmp/serve.err" &
srv=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/serve.out" 2>/dev/null | head -1)
	[ -n "$port" ] && break
	kill -0 "$srv" 2>/dev/null || break
	sleep 0.1
done
REGIT_HEALTH_URL=http://127.0.0.1:$port/health sh "$script" 2>/dev/null
check "with --auth and no credentials: unhealthy (401)" "[ \$? -ne 0 ]"
REGIT_HEALTH_URL=http://127.0.0.1:$port/health REGIT_HEALTH_USER_FILE="$tmp/health.cred" sh "$script"
check "with \$REGIT_HEALTH_USER_FILE: healthy" "[ \$? -eq 0 ]"
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null
srv=

if command -v hadolint >/dev/null 2>&1; then
	check "hadolint" "hadolint Dockerfile >&2"
fi
