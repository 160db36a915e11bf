#!/usr/bin/env bash
# codegen_layers.sh - the code generator's files call each other without a
# cycle (codegen/README.md): gen.c drives, the emitters use gen_util.c and
# emitters listed before them, and nothing calls back into gen.c. Read from
# the built objects with nm: which file defines, which uses each symbol.
# Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
OBJ=${REGIT_BUILD:-$PWD/build}/obj/codegen
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if ! command -v nm >/dev/null 2>&1; then
	echo "not ok 1 - nm not installed (binutils)"
	exit 1
fi
exec "$PY" - "$OBJ" <<'PYEOF'
import glob, os, subprocess, sys

objs = sorted(glob.glob(os.path.join(sys.argv[1], "*.o")))
if not objs:
    print("not ok 1 - no objects under %s (build first)" % sys.argv[1])
    sys.exit(1)
defs, uses = {}, {}
for o in objs:
    f = os.path.basename(o)[:-2]
    out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "TDRB":
            defs[p[2]] = f
        elif len(p) == 2 and p[0] == "U":
            uses.setdefault(f, set()).add(p[1])
edges = {f: {defs[u] for u in us if u in defs and defs[u] != f} for f, us in uses.items()}
n = 0
def report(ok, msg):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, msg))

cycles = []
state = {}
def dfs(node, path):
    state[node] = 1
    for m in sorted(edges.get(node, ())):
        if state.get(m) == 1:
            cycles.append(path[path.index(m):] + [m])
        elif not state.get(m):
            dfs(m, path + [m])
    state[node] = 2
for node in sorted(edges):
    if not state.get(node):
        dfs(node, [node])
report(not cycles, "no cycle between codegen files%s" %
       "".join("; cycle: " + " -> ".join(c) for c in cycles))
callers = sorted(f for f, to in edges.items() if "gen" in to)
report(not callers, "nothing calls back into gen.c (the driver)%s" %
       (": " + ", ".join(callers) if callers else ""))
util_to = sorted(edges.get("gen_util", ()))
report(not util_to, "gen_util.c calls no other codegen file%s" %
       (": " + ", ".join(util_to) if util_to else ""))
for f in sorted(edges):
    print("#   %s -> %s" % (f, ", ".join(sorted(edges[f])) or "-"))
sys.exit(0 if not cycles and not callers and not util_to else 1)
PYEOF
