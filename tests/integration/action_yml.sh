#!/usr/bin/env bash
# action_yml.sh - the composite GitHub Action (action.yml at the root):
# its inputs, that every `run:` step calls scripts and make targets that
# exist and only regit options that `regit check --help` / `regit lint
# --help` list, and the steps' shell run as Actions would (bash -eo
# pipefail, inputs substituted into the env) in a throw-away git
# repository: a compatible change exits 0, an incompatible one fails with
# `::error file=` annotations, and the lint step adds its own.
#
# The install and build steps are checked, not run (they would install
# packages and rebuild under build/): GITHUB_ACTION_PATH points at a copy
# whose build/regit is the binary under test. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
if ! command -v python3 >/dev/null || ! python3 -c 'import yaml' 2>/dev/null; then
	echo "ok 1 - action_yml # skip python3-yaml not installed (scripts/install-deps --test)"
	exit 0
fi
REGIT=${REGIT_BIN:-$PWD/build/regit}
case "$REGIT" in /*) ;; *) REGIT="$PWD/$REGIT" ;; esac
export REGIT
exec python3 - <<'PY'
import os, re, shlex, subprocess, sys, tempfile
import yaml

root = os.getcwd()
regit = os.environ["REGIT"]
n = 0
failed = False

def check(name, cond, detail=""):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {name}")
    else:
        failed = True
        print(f"not ok {n} - {name}")
        for line in str(detail).splitlines()[:20]:
            print(f"#   {line}")

with open("action.yml") as f:
    action = yaml.safe_load(f)

inputs = action.get("inputs") or {}
check("inputs against, paths, level, rules, lint are declared",
      all(k in inputs for k in ("against", "paths", "level", "rules", "lint")), inputs)
check("against defaults to origin/<base ref or main>",
      inputs.get("against", {}).get("default") == "origin/${{ github.base_ref || 'main' }}",
      inputs.get("against"))
check("lint defaults to true", str(inputs.get("lint", {}).get("default")) == "true")
runs = action.get("runs") or {}
check("a composite action", runs.get("using") == "composite", runs.get("using"))
steps = runs.get("steps") or []
check("every step is a bash run step", steps and all("run" in s and s.get("shell") == "bash" for s in steps), steps)

# ---- what the run: steps call ---------------------------------------------

def help_options(cmd):
    out = subprocess.run([regit, cmd, "--help"], capture_output=True, text=True).stdout
    return set(re.findall(r"--[a-z][a-z-]*", out))

opts = {"check": help_options("check"), "lint": help_options("lint")}
make_targets = set(re.findall(r"^([A-Za-z][A-Za-z0-9_.-]*):", open("Makefile").read(), re.M))
scripts = [m for s in steps for m in re.findall(r"\$GITHUB_ACTION_PATH/(scripts/[A-Za-z0-9_.-]+)", s["run"])]
check("the steps run scripts/install-deps", "scripts/install-deps" in scripts, scripts)
check("every script a step runs exists and is executable",
      scripts and all(os.access(p, os.X_OK) for p in scripts), scripts)
used_targets, used_opts = [], []
for s in steps:
    for line in s["run"].replace("\\\n", " ").splitlines():
        line = line.split(" #")[0]
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        if words and words[0] == "make":
            used_targets += [w for w in words[1:] if not w.startswith("-") and "$" not in w and "/" not in w]
        for i, w in enumerate(words):
            if w.endswith("/build/regit") and i + 1 < len(words):
                sub = words[i + 1]
                flags = [x for x in words[i + 2:] if re.match(r"--[a-z]", x)]
                flags += re.findall(r"\+(--[a-z-]+)", " ".join(words[i + 2:]))
                used_opts += [(sub, x) for x in flags]
check("the build step makes a target the Makefile has",
      used_targets and all(t in make_targets for t in used_targets), used_targets)
check("the steps run regit check --against --format github",
      ("check", "--against") in used_opts and ("check", "--format") in used_opts, used_opts)
check("the steps run regit lint --format github", ("lint", "--format") in used_opts, used_opts)
check("every regit option the steps use is in that command's --help",
      used_opts and all(sub in opts and o in opts[sub] for sub, o in used_opts), used_opts)
r = subprocess.run(["make", "-n", "all"], capture_output=True, text=True)
check("make -n all succeeds (the build step's target)", r.returncode == 0, r.stderr)

# ---- the steps run in a git repository ------------------------------------

tmp = tempfile.mkdtemp()
apath = os.path.join(tmp, "action")
os.makedirs(os.path.join(apath, "build"))
os.symlink(os.path.join(root, "scripts"), os.path.join(apath, "scripts"))
os.symlink(regit, os.path.join(apath, "build", "regit"))

V1 = '{"type": "record", "name": "User",\n "fields": [\n  {"name": "id", "type": "long"},\n  {"name": "email", "type": "string", "default": ""}\n ]}\n'
V2_OK = '{"type": "record", "name": "User",\n "fields": [\n  {"name": "id", "type": "long"},\n  {"name": "email", "type": "string", "default": ""},\n  {"name": "nick", "type": "string", "default": "x"}\n ]}\n'
V2_BAD = '{"type": "record", "name": "User",\n "fields": [\n  {"name": "id", "type": "long"}\n ]}\n'

def git(repo, *args):
    subprocess.run(["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)

def make_repo(name, new):
    repo = os.path.join(tmp, name)
    os.makedirs(os.path.join(repo, "schemas"))
    git(repo, "init", "-q", "-b", "main")
    with open(os.path.join(repo, "schemas", "user.avsc"), "w") as f:
        f.write(V1)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "v1")
    git(repo, "checkout", "-q", "-b", "change")
    with open(os.path.join(repo, "schemas", "user.avsc"), "w") as f:
        f.write(new)
    git(repo, "commit", "-q", "-am", "v2")
    return repo

def expr(text, given):
    """${{ inputs.X }} only; anything else in an env value is a test failure."""
    def one(m):
        e = m.group(1).strip()
        mm = re.fullmatch(r"inputs\.([a-z]+)", e)
        if not mm:
            raise ValueError(f"unsupported expression {e}")
        return given[mm.group(1)]
    return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))

def run_action(repo, given):
    """Run the steps after the build, as Actions runs a composite action."""
    given = {k: str(v.get("default", "")) for k, v in inputs.items()} | given
    out, status, failed_step = "", 0, False
    for s in steps:
        if "install-deps" in s["run"] or s.get("id") == "build":
            continue
        cond = s.get("if")
        if cond is None:
            if failed_step:
                continue
        else:
            c = str(cond).strip()
            c = c[3:-2].strip() if c.startswith("${{") else c
            if c != "!cancelled() && steps.build.outcome == 'success' && inputs.lint == 'true'":
                raise ValueError(f"unsupported if: {c}")
            if given["lint"] != "true":
                continue
        env = dict(os.environ, GITHUB_ACTION_PATH=apath)
        env.update({k: expr(v, given) for k, v in (s.get("env") or {}).items()})
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s["run"]],
                           cwd=repo, env=env, capture_output=True, text=True)
        out += r.stdout + r.stderr
        if r.returncode != 0:
            failed_step, status = True, r.returncode
    return status, out

ok = make_repo("ok", V2_OK)
bad = make_repo("bad", V2_BAD)

st, out = run_action(ok, {"against": "main", "lint": "false"})
check("a compatible change passes (exit 0, no annotation)", st == 0 and "::error" not in out, out)
st, out = run_action(bad, {"against": "main", "lint": "false"})
check("a removed field fails with an ::error file= annotation",
      st != 0 and "::error file=schemas/user.avsc," in out and "FIELD_REMOVED" in out, out)
st, out = run_action(bad, {"against": "main", "lint": "false", "paths": "schemas",
                           "level": "BACKWARD", "rules": "avro"})
check("paths, level and rules reach regit check (avro BACKWARD allows the removal)", st == 0, out)
st, out = run_action(bad, {"against": "main", "lint": "false", "level": "NOPE"})
check("a bad level input fails the step", st == 2 and "NOPE" in out, out)
st, out = run_action(ok, {"against": "main"})
check("lint on by default: its findings annotate and fail",
      st != 0 and "::error file=schemas/user.avsc," in out and "title=EVENT_ID" in out, out)
st, out = run_action(bad, {"against": "main", "lint": "true"})
check("lint still runs after a failed check",
      st != 0 and "FIELD_REMOVED" in out and "title=EVENT_ID" in out, out)

subprocess.run(["rm", "-rf", tmp])
sys.exit(1 if failed else 0)
PY
