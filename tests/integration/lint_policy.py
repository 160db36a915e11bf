"""lint_policy.py - the lint policy of `regit serve` over real HTTP: the
extra config key "regit.lint" (off|warn|enforce) stored, shown, inherited
and deleted like "regit.rules"; the server default --lint; enforce refusing
a registration with lint errors (422, 42201, the findings in the message);
warn registering, logging and counting in /metrics; verbose compatibility
listing lint findings. Run by lint_policy.sh.
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverlib import Server, Tap, q, sbody  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="regit-lintpolicy-")
servers = []


def check(desc, r, status, body=None, pred=None):
    good = r.status == status
    if good and body is not None:
        good = r.text == body
    if good and pred is not None:
        try:
            good = bool(pred(r.json()))
        except Exception as e:  # noqa: BLE001
            good = False
            r.text += f"  [{e!r}]"
    return t.ok(good, desc, f"expected {status} {body or ''}\ngot {r!r}")


def code(desc, r, status, ecode, needle=None):
    good = r.status == status
    try:
        d = r.json()
        good = good and set(d) == {"error_code", "message"} and d["error_code"] == ecode \
            and (needle is None or needle in d["message"])
    except Exception:  # noqa: BLE001
        good = False
    return t.ok(good, desc, f"expected {status} error_code {ecode} {needle or ''}\ngot {r!r}")


def event(doc=True, correlation=True):
    fields = [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}, "doc": "Id."},
        {"name": "schema_version", "type": "int", "default": 1, "doc": "Version."},
        {"name": "timestamp", "type": {"type": "long", "logicalType": "timestamp-millis"}, "doc": "When."},
        {"name": "user_id", "type": "string", "doc": "Who."},
    ]
    if correlation:
        fields.append({"name": "correlation_id", "type": "string", "doc": "Cause."})
    s = {"type": "record", "name": "UserDeleted", "namespace": "com.example",
         "regit.key": "user_id", "fields": fields}
    if doc:
        s["doc"] = "A user left."
    return json.dumps(s)


CLEAN = event()
WARN = event(doc=False)           # a DOC warning only
ERR = event(correlation=False)    # a CORRELATION_ID error (BACKWARD-compatible with CLEAN)


def metrics(srv):
    out = {}
    for line in srv.request("GET", "/metrics").text.splitlines():
        if line.startswith("regit_lint_"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


try:
    # ---- a server without --lint: nothing changes ----------------------------------------------
    srv = Server(os.path.join(tmp, "plain.git"), "--compat", "BACKWARD", "--rules", "avro",
                 name="plain", tmp=tmp)
    servers.append(srv)
    R = srv.request
    check("default off: GET /config has no regit.lint", R("GET", "/config"), 200,
          '{"compatibilityLevel":"BACKWARD"}')
    check("default off: a lint error registers", R("POST", "/subjects/a-value/versions", sbody(ERR)), 200)
    check("default off: verbose compatibility has no lint findings",
          R("POST", "/compatibility/subjects/a-value/versions?verbose=true", sbody(ERR)), 200,
          '{"is_compatible":true,"messages":[]}')
    m = metrics(srv)
    t.ok(m.get('regit_lint_schemas_total{outcome="warned"}') == 0 and
         not any(k.startswith("regit_lint_findings_total{") for k in m),
         "default off: /metrics counts nothing", m)
    srv.stop()

    # ---- --lint warn, subjects overriding it ---------------------------------------------------
    store = os.path.join(tmp, "lint.git")
    srv = Server(store, "--compat", "BACKWARD", "--rules", "avro", "--lint", "warn", name="lint", tmp=tmp)
    servers.append(srv)
    R = srv.request
    check("--lint warn shows in GET /config", R("GET", "/config"), 200,
          '{"compatibilityLevel":"BACKWARD","regit.lint":"warn"}')
    check("PUT /config/{s} with regit.lint echoes it", R("PUT", "/config/ev-value", {"regit.lint": "enforce"}),
          200, '{"regit.lint":"enforce"}')
    check("GET /config/{s} shows regit.lint", R("GET", "/config/ev-value"), 200, '{"regit.lint":"enforce"}')
    check("GET /config/{s}?defaultToGlobal=true merges the level",
          R("GET", "/config/ev-value?defaultToGlobal=true"), 200,
          pred=lambda d: d == {"compatibilityLevel": "BACKWARD", "regit.lint": "enforce"})
    check("another subject inherits the server default",
          R("GET", "/config/other-value?defaultToGlobal=true"), 200,
          pred=lambda d: d["regit.lint"] == "warn")
    code("an unknown regit.lint is 42203", R("PUT", "/config/ev-value", {"regit.lint": "loud"}), 422, 42203,
         "regit.lint")
    code("a non-string regit.lint is 42203", R("PUT", "/config/ev-value", {"regit.lint": 2}), 422, 42203)
    check("PUT with the level keeps the policy",
          R("PUT", "/config/ev-value", {"compatibility": "BACKWARD"}), 200)
    check("... both stored", R("GET", "/config/ev-value"), 200,
          '{"compatibilityLevel":"BACKWARD","regit.lint":"enforce"}')

    # enforce
    code("enforce: a lint error is 42201 with the findings",
         R("POST", "/subjects/ev-value/versions", sbody(ERR)), 422, 42201, "CORRELATION_ID")
    check("enforce: nothing was registered", R("GET", "/subjects/ev-value/versions"), 404)
    check("verbose compatibility lists lint findings; is_compatible is compatibility's",
          R("POST", "/compatibility/subjects/ev-value/versions?verbose=true", sbody(ERR)), 200,
          pred=lambda d: d["is_compatible"] is True and any(
              "lintRule:'CORRELATION_ID'" in m and "refuses:true" in m for m in d["messages"]))
    check("without verbose: the Confluent answer", R("POST", "/compatibility/subjects/ev-value/versions",
                                                     sbody(ERR)), 200, '{"is_compatible":true}')
    check("enforce: warnings alone register", R("POST", "/subjects/ev-value/versions", sbody(WARN)), 200,
          pred=lambda d: d["id"] == 1)
    check("enforce: a clean schema registers", R("POST", "/subjects/ev-value/versions", sbody(CLEAN)), 200)

    # warn (server default)
    check("warn: a lint error registers", R("POST", "/subjects/w-value/versions", sbody(ERR)), 200)
    m = metrics(srv)
    t.ok(m.get('regit_lint_findings_total{rule="CORRELATION_ID",severity="error"}') == 2 and
         m.get('regit_lint_findings_total{rule="DOC",severity="warning"}') == 1 and
         m.get('regit_lint_schemas_total{outcome="refused"}') == 1 and
         m.get('regit_lint_schemas_total{outcome="warned"}') == 2 and
         m.get('regit_lint_schemas_total{outcome="clean"}') == 1,
         "/metrics counts findings by rule and severity, schemas by outcome", m)
    t.ok(not any("ev-value" in k or "w-value" in k for k in m), "/metrics has no subject labels", m)
    t.ok("lint (warn) w-value: [error] CORRELATION_ID" in srv.stderr_text(), "warn logs the findings",
         srv.stderr_text()[-2000:])

    # DELETE /config/{s}: back to the inherited policy
    check("DELETE /config/{s} returns the removed config", R("DELETE", "/config/ev-value"), 200,
          '{"compatibilityLevel":"BACKWARD","regit.lint":"enforce"}')
    code("... then the subject has no config", R("GET", "/config/ev-value"), 404, 40408)
    check("... and the lint error registers under the inherited warn",
          R("POST", "/subjects/ev-value/versions", sbody(ERR)), 200)
    check("PUT /config sets the global policy", R("PUT", "/config", {"regit.lint": "enforce"}), 200,
          '{"regit.lint":"enforce"}')
    code("the global enforce applies to subjects without their own",
         R("POST", "/subjects/x-value/versions", sbody(ERR)), 422, 42201, "lint policy (enforce)")
    check("config.json in the store holds the policy", R("GET", "/config"), 200,
          '{"compatibilityLevel":"BACKWARD","regit.lint":"enforce"}')
    srv.stop()
    # A restart reads it back from the store.
    srv = Server(store, "--compat", "BACKWARD", "--rules", "avro", name="lint2", tmp=tmp)
    servers.append(srv)
    check("after a restart without --lint the stored global policy stays",
          srv.request("GET", "/config"), 200, '{"compatibilityLevel":"BACKWARD","regit.lint":"enforce"}')
    srv.stop()
finally:
    for s in servers:
        if s.proc.poll() is None:
            s.stop()
    shutil.rmtree(tmp, ignore_errors=True)

t.finish()
