"""registry_api.py - the Confluent REST API of `regit serve` over real HTTP
(random loopback port, temporary git store): the endpoints and error paths
of docs/confluent-api.md §3/§4 that apply to Avro, restart and reload,
concurrent registration, direct pushes into the store, and subject names
that try to escape the store's tree. Run by registry_api.sh.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import hashlib
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402
from serverlib import CT_V1, Server, Tap, q, sbody  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="regit-api-")
servers = []


def start(store, *args, name="srv"):
    s = Server(store, *args, name=name, tmp=tmp)
    servers.append(s)
    return s


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


def code(desc, r, status, ecode):
    good = r.status == status
    try:
        d = r.json()
        good = good and set(d) == {"error_code", "message"} and d["error_code"] == ecode \
            and isinstance(d["message"], str) and d["message"]
    except Exception:  # noqa: BLE001
        good = False
    return t.ok(good, desc, f"expected {status} error_code {ecode}\ngot {r!r}")


S1 = '{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"long"}]}'
S2 = '{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"long"},{"name":"email","type":"string","default":""}]}'
S3 = '{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"long"},{"name":"email","type":"string","default":""},{"name":"age","type":"int","default":0}]}'
BAD_TYPE = '{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"string"}]}'
OTHER = '{"type":"record","name":"Other","fields":[{"name":"x","type":"int"}]}'


def guid_of(text, refs=()):
    """The GUID regit derives (registry.h): MD5 of the compact schema text and
    each reference as NUL name NUL subject NUL version, as a UUID string."""
    data = text.encode()
    for r in refs:
        data += b"\0" + r["name"].encode() + b"\0" + r["subject"].encode() + b"\0" + str(r["version"]).encode()
    return str(uuid.UUID(bytes=hashlib.md5(data).digest()))

try:
    STORE = os.path.join(tmp, "store.git")
    srv = start(STORE, "--compat", "BACKWARD", "--rules", "avro", name="main")
    R = srv.request
    t.ok(True, f"server starts on a random port ({srv.port})")

    # ---- liveness, types, routing, content types --------------------------
    r = R("GET", "/")
    check("GET / is {}", r, 200, "{}")
    t.ok(r.ctype == CT_V1, f"default response type is {CT_V1}", r.ctype)
    r = R("GET", "/", headers={"Accept": "application/json"})
    t.ok(r.ctype == "application/json", "Accept: application/json gets application/json", r.ctype)
    r = R("GET", "/", headers={"Accept": "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"})
    t.ok(r.ctype == CT_V1, "the Java client's implicit Accept gets v1+json", r.ctype)
    r = R("GET", "/", headers={"Accept": "application/json, text/plain, */*"})
    t.ok(r.ctype == "application/json", "axios Accept gets application/json", r.ctype)
    check("POST / is {}", R("POST", "/"), 200, "{}")
    check("GET /schemas/types", R("GET", "/schemas/types"), 200, '["AVRO"]')
    code("unknown route is 404/404", R("GET", "/nope"), 404, 404)
    code("associations API is 404",
         R("GET", "/associations/resources/-/orders?resourceType=topic&associationType=value"), 404, 404)
    code("wrong method is 405/405", R("PUT", "/subjects"), 405, 405)
    code("DELETE /schemas/types is 405", R("DELETE", "/schemas/types"), 405, 405)
    code("text/plain body is 415",
         R("POST", "/subjects/s/versions", sbody(S1), ctype="text/plain"), 415, 415)
    code("form-encoded body is 415",
         R("POST", "/subjects/s/versions", sbody(S1), ctype="application/x-www-form-urlencoded"), 415, 415)
    check("GET /contexts", R("GET", "/contexts"), 200, '["."]')

    # ---- register --------------------------------------------------------------
    check("register v1", R("POST", "/subjects/users-value/versions", sbody(S1)), 200,
          pred=lambda d: d["id"] == 1 and d["version"] == 1 and d["schema"] == S1
          and d["guid"] == guid_of(S1))
    check("re-register is idempotent", R("POST", "/subjects/users-value/versions", sbody(S1)), 200,
          pred=lambda d: d["id"] == 1 and d["version"] == 1)
    check("register v2 with an octet-stream body",
          R("POST", "/subjects/users-value/versions", sbody(S2), ctype="application/octet-stream"), 200,
          pred=lambda d: d["id"] == 2 and d["version"] == 2)
    check("register v3 with no Content-Type",
          R("POST", "/subjects/users-value/versions", sbody(S3), ctype=None), 200,
          pred=lambda d: d["id"] == 3 and d["version"] == 3)
    check("same schema, other subject: same id, version 1",
          R("POST", "/subjects/copy-value/versions", sbody(S1), ctype="application/json"), 200,
          pred=lambda d: d["id"] == 1 and d["version"] == 1)
    check("re-registering an older live version returns it",
          R("POST", "/subjects/users-value/versions", sbody(S1)), 200,
          pred=lambda d: d["id"] == 1 and d["version"] == 1)
    code("body that is not JSON is 400", R("POST", "/subjects/users-value/versions", '{"schema": '), 400, 400)
    code("schema as a JSON object is 400",
         R("POST", "/subjects/users-value/versions", '{"schema": {"type":"string"}}'), 400, 400)
    code("body that is an array is 400", R("POST", "/subjects/users-value/versions", '["schema"]'), 400, 400)
    code("references that are not an array is 400",
         R("POST", "/subjects/users-value/versions", {"schema": S1, "references": {}}), 400, 400)
    code("invalid schema is 42201",
         R("POST", "/subjects/users-value/versions", sbody('{"type":"recordx"}')), 422, 42201)
    code("unparsable schema is 42201", R("POST", "/subjects/users-value/versions", sbody("syntax{")), 422, 42201)
    code("missing schema is 42201", R("POST", "/subjects/users-value/versions", {"schemaType": "AVRO"}), 422, 42201)
    code("schemaType PROTOBUF is 42201",
         R("POST", "/subjects/users-value/versions", sbody('syntax = "proto3";', schemaType="PROTOBUF")), 422, 42201)
    check("unknown body properties are ignored",
          R("POST", "/subjects/misc/versions", sbody('"string"', schemaType="AVRO", unknownField=1)), 200,
          pred=lambda d: "id" in d)
    code("incompatible change is 409/40901",
         R("POST", "/subjects/users-value/versions", sbody(BAD_TYPE)), 409, 40901)
    check("force=true skips the compatibility check",
          R("POST", "/subjects/users-value/versions?force=true", sbody(BAD_TYPE)), 200,
          pred=lambda d: d["version"] == 4)
    R("DELETE", "/subjects/users-value/versions/4")
    check("cleanup: hard-delete v4", R("DELETE", "/subjects/users-value/versions/4?permanent=true"), 200, "4")

    # ---- read versions -------------------------------------------------------------
    check("GET /subjects sorted", R("GET", "/subjects"), 200, '["copy-value","misc","users-value"]')
    check("GET /subjects?subjectPrefix", R("GET", "/subjects?subjectPrefix=users"), 200, '["users-value"]')
    check("GET versions", R("GET", "/subjects/users-value/versions"), 200, "[1,2,3]")
    check("versions offset/limit", R("GET", "/subjects/users-value/versions?offset=1&limit=1"), 200, "[2]")
    code("non-integer limit is 404/404", R("GET", "/subjects/users-value/versions?limit=abc"), 404, 404)
    check("GET version 1 shape", R("GET", "/subjects/users-value/versions/1"), 200,
          pred=lambda d: d["subject"] == "users-value" and d["version"] == 1 and d["id"] == 1
          and d["schema"] == S1 and d["schemaType"] == "AVRO" and "references" not in d)
    for v in ["latest", "LATEST", "-1", " latest"]:
        check(f"version '{v}' is the latest", R("GET", f"/subjects/users-value/versions/{q(v)}"), 200,
              pred=lambda d: d["version"] == 3)
    for v in ["0", "-2", "abc", "1.5", "2147483648"]:
        code(f"version '{v}' is 42202", R("GET", f"/subjects/users-value/versions/{v}"), 422, 42202)
    code("version parsed before subject lookup (42202)",
         R("GET", "/subjects/unknown-subject/versions/0"), 422, 42202)
    code("unknown subject is 40401", R("GET", "/subjects/unknown-subject/versions/1"), 404, 40401)
    code("versions of unknown subject is 40401", R("GET", "/subjects/unknown-subject/versions"), 404, 40401)
    code("unknown version is 40402", R("GET", "/subjects/users-value/versions/99"), 404, 40402)
    check("GET .../schema is the raw schema", R("GET", "/subjects/users-value/versions/1/schema"), 200, S1)
    code(".../schema of unknown version is 40402",
         R("GET", "/subjects/users-value/versions/99/schema"), 404, 40402)
    check("referencedby with no referrers", R("GET", "/subjects/users-value/versions/1/referencedby"), 200, "[]")
    code("referencedby of an unknown subject is 40401",
         R("GET", "/subjects/nobody/versions/1/referencedby"), 404, 40401)

    # ---- references ---------------------------------------------------------------------
    ADDR = '{"type":"record","name":"Address","namespace":"com.example","fields":[{"name":"street","type":"string"}]}'
    r = R("POST", "/subjects/address-value/versions", sbody(ADDR))
    check("register a referenced schema", r, 200, pred=lambda d: d["version"] == 1)
    addr_id = r.json().get("id") if r.status == 200 else None
    CUST = '{"type":"record","name":"Customer","namespace":"com.example","fields":[{"name":"addr","type":"com.example.Address"}]}'
    refs = [{"name": "com.example.Address", "subject": "address-value", "version": 1}]
    r = R("POST", "/subjects/customer-value/versions", sbody(CUST, references=refs))
    check("register a schema with a reference", r, 200, pred=lambda d: d["version"] == 1)
    cust_id = r.json().get("id") if r.status == 200 else None
    check("GET version shows references", R("GET", "/subjects/customer-value/versions/1"), 200,
          pred=lambda d: d["references"] == refs)
    check("GET /schemas/ids shows references", R("GET", f"/schemas/ids/{cust_id}"), 200,
          pred=lambda d: d["references"] == refs)
    check("referencedby lists the referrer", R("GET", "/subjects/address-value/versions/1/referencedby"), 200,
          pred=lambda d: d == [cust_id])
    code("soft delete of a referenced version is 42206",
         R("DELETE", "/subjects/address-value/versions/1"), 422, 42206)
    code("register with a dangling reference is 42201",
         R("POST", "/subjects/dangling-value/versions",
           sbody(CUST, references=[{"name": "com.example.Address", "subject": "nope", "version": 1}])), 422, 42201)

    # ---- lookup ------------------------------------------------------------------------------
    check("lookup finds v2", R("POST", "/subjects/users-value", sbody(S2)), 200,
          pred=lambda d: d["version"] == 2 and d["id"] == 2 and d["subject"] == "users-value"
          and d["schema"] == S2)
    check("lookup canonicalises (whitespace, key order)",
          R("POST", "/subjects/users-value", sbody(json.dumps(
              {"fields": [{"type": "long", "name": "id"}], "namespace": "com.example", "name": "User",
               "type": "record"}, indent=2))), 200, pred=lambda d: d["version"] == 1)
    code("lookup of an unregistered schema is 40403", R("POST", "/subjects/users-value", sbody(OTHER)), 404, 40403)
    code("lookup in an unknown subject is 40401", R("POST", "/subjects/no-such-subject", sbody(S1)), 404, 40401)
    code("lookup with a non-string schema is 400", R("POST", "/subjects/users-value", '{"schema": 1}'), 400, 400)

    # ---- schemas by id ---------------------------------------------------------------------------
    # 8.x SchemaString carries ts: when the id was first registered (the earliest
    # version using it)
    first_ts = min(R("GET", f"/subjects/{s}/versions/1").json().get("ts", 0) for s in ("users-value", "copy-value"))
    check("GET /schemas/ids/1 shape (guid, ts)", R("GET", "/schemas/ids/1"), 200,
          pred=lambda d: first_ts > 0 and d == {"schemaType": "AVRO", "schema": S1, "guid": guid_of(S1), "ts": first_ts})
    # ?subject=S (what the npm deserializer sends): 8.x adds the subject-version
    # of S holding the id; S does not filter the id away, a subject not holding
    # it gets the first subject-version that does (Confluent's fallback)
    users_ts = R("GET", "/subjects/users-value/versions/1").json().get("ts")
    copy_ts = R("GET", "/subjects/copy-value/versions/1").json().get("ts")
    check("?subject=S names S and its version holding the id", R("GET", "/schemas/ids/1?subject=users-value"), 200,
          pred=lambda d: d == {"subject": "users-value", "version": 1, "schemaType": "AVRO", "schema": S1,
                               "guid": guid_of(S1), "ts": users_ts})
    check("?subject=:.:S is S of the default context", R("GET", "/schemas/ids/1?subject=" + q(":.:copy-value")), 200,
          pred=lambda d: d["subject"] == "copy-value" and d["version"] == 1 and d["ts"] == copy_ts)
    check("?subject=S picks the version of S holding the id", R("GET", "/schemas/ids/2?subject=users-value"), 200,
          pred=lambda d: (d["subject"], d["version"], d["schema"]) == ("users-value", 2, S2))
    check("?subject does not filter the id away (first holder named)",
          R("GET", "/schemas/ids/1?subject=some-other-topic-value&format=resolved&name=x"), 200,
          pred=lambda d: d["schema"] == S1 and (d["subject"], d["version"]) == ("copy-value", 1))
    code("?subject= with an unknown id is 40403", R("GET", "/schemas/ids/9999?subject=users-value"), 404, 40403)
    check("cached GET /schemas/ids/1 is identical", R("GET", "/schemas/ids/1"), 200,
          pred=lambda d: d == {"schemaType": "AVRO", "schema": S1, "guid": guid_of(S1), "ts": first_ts})
    code("unknown id is 40403", R("GET", "/schemas/ids/9999"), 404, 40403)
    code("non-integer id is 404/404", R("GET", "/schemas/ids/abc"), 404, 404)
    check("GET /schemas/ids/1/schema raw", R("GET", "/schemas/ids/1/schema"), 200, S1)
    code("/schemas/ids/9999/schema is 40403 (not Confluent's 500)", R("GET", "/schemas/ids/9999/schema"), 404, 40403)
    check("GET /schemas/ids/1/subjects", R("GET", "/schemas/ids/1/subjects"), 200, '["copy-value","users-value"]')
    check("GET /schemas/ids/1/versions", R("GET", "/schemas/ids/1/versions"), 200,
          '[{"subject":"copy-value","version":1},{"subject":"users-value","version":1}]')
    code("versions of an unknown id is 40403", R("GET", "/schemas/ids/9999/versions"), 404, 40403)
    check("GET /schemas lists every live version", R("GET", "/schemas?subjectPrefix=users"), 200,
          pred=lambda d: [(x["subject"], x["version"]) for x in d] == [("users-value", 1), ("users-value", 2), ("users-value", 3)])
    check("GET /schemas?latestOnly", R("GET", "/schemas?latestOnly=true&subjectPrefix=users"), 200,
          pred=lambda d: [(x["subject"], x["version"]) for x in d] == [("users-value", 3)])
    check("GET /schemas is sorted by subject", R("GET", "/schemas"), 200,
          pred=lambda d: [x["subject"] for x in d] == sorted(x["subject"] for x in d) and len(d) >= 6)
    check("GET /schemas offset/limit", R("GET", "/schemas?offset=1&limit=2"), 200, pred=lambda d: len(d) == 2)
    code("unknown guid is 40403", R("GET", "/schemas/guids/0b2a0e8e-0000-0000-0000-000000000000"), 404, 40403)

    # ---- 8.x extras: fetchMaxId, format=resolved, GUIDs ---------------------------------------
    check("fetchMaxId adds the highest id assigned", R("GET", "/schemas/ids/1?fetchMaxId=true"), 200,
          pred=lambda d: d["maxId"] == cust_id and d["schema"] == S1)
    check("fetchMaxId=false adds nothing", R("GET", "/schemas/ids/1?fetchMaxId=false"), 200,
          pred=lambda d: "maxId" not in d)
    CUST_RESOLVED = ('{"type":"record","name":"Customer","namespace":"com.example","fields":[{"name":"addr",'
                     '"type":{"type":"record","name":"Address","fields":[{"name":"street","type":"string"}]}}]}')
    check("format=resolved inlines the referenced type", R("GET", f"/schemas/ids/{cust_id}?format=resolved"), 200,
          pred=lambda d: d["schema"] == CUST_RESOLVED and d["references"] == refs)
    check("format=resolved without references is the stored text", R("GET", "/schemas/ids/1?format=resolved"), 200,
          pred=lambda d: d["schema"] == S1)
    check("unknown format values are ignored", R("GET", f"/schemas/ids/{cust_id}?format=serialized"), 200,
          pred=lambda d: json.loads(d["schema"])["fields"][0]["type"] == "Address")
    check("plain GET after format=resolved is not the resolved body", R("GET", f"/schemas/ids/{cust_id}"), 200,
          pred=lambda d: json.loads(d["schema"])["fields"][0]["type"] == "Address")
    r = R("GET", f"/schemas/ids/{cust_id}")
    cust_text = r.json()["schema"] if r.status == 200 else ""
    cust_guid = guid_of(cust_text, refs)
    check("a schema with references has a GUID over text and references", r, 200,
          pred=lambda d: d["guid"] == cust_guid)
    check("versions carry the same GUID", R("GET", "/subjects/customer-value/versions/1"), 200,
          pred=lambda d: d["guid"] == cust_guid)
    check("GET /schemas/guids/{guid} (SchemaString with ts)", R("GET", f"/schemas/guids/{guid_of(S1)}"), 200,
          pred=lambda d: d == {"schemaType": "AVRO", "schema": S1, "guid": guid_of(S1), "ts": first_ts})
    check("GUID lookup ignores hex case", R("GET", f"/schemas/guids/{guid_of(S1).upper()}"), 200,
          pred=lambda d: d["schema"] == S1)
    check("GET /schemas/guids/{guid}?format=resolved", R("GET", f"/schemas/guids/{cust_guid}?format=resolved"), 200,
          pred=lambda d: d["schema"] == CUST_RESOLVED)
    check("GET /schemas/guids/{guid}/ids", R("GET", f"/schemas/guids/{cust_guid}/ids"), 200,
          f'[{{"context":".","id":{cust_id}}}]')
    code("malformed guid is 40403", R("GET", "/schemas/guids/not-a-guid"), 404, 40403)
    code("unknown guid ids is 40403", R("GET", "/schemas/guids/0b2a0e8e-0000-0000-0000-000000000000/ids"),
         404, 40403)

    # ---- contexts: only the default one ----------------------------------------------------------
    check("/contexts/./subjects/... is the default context",
          R("GET", "/contexts/./subjects/users-value/versions"), 200, "[1,2,3]")
    check("/contexts/:.:/subjects", R("GET", "/contexts/:.:/subjects?subjectPrefix=users"), 200, '["users-value"]')
    check("/contexts/./schemas/ids/1", R("GET", "/contexts/./schemas/ids/1"), 200,
          pred=lambda d: d["schema"] == S1)
    check("/contexts/./config is the global config", R("GET", "/contexts/./config"), 200,
          pred=lambda d: "compatibilityLevel" in d)
    # Another context is answered as an empty one (Confluent rewrites the URL into that context).
    check("another context in the URL lists no subjects", R("GET", "/contexts/.other/subjects"), 200, "[]")
    check("another context in the URL lists no schemas", R("GET", "/contexts/other/schemas"), 200, "[]")
    code("an id in another context is 40403", R("GET", "/contexts/.other/schemas/ids/1"), 404, 40403)
    code("a subject in another context is 40401",
         R("GET", "/contexts/.other/subjects/users-value/versions"), 404, 40401)
    code("a registration into another context is 40401",
         R("POST", "/contexts/.other/subjects/users-value/versions", sbody('"int"')), 404, 40401)
    check("context-free routes work under another context", R("GET", "/contexts/.other/schemas/types"),
          200, '["AVRO"]')
    check("GET /contexts?contextPrefix=.x lists nothing", R("GET", "/contexts?contextPrefix=.x"), 200, "[]")
    check("GET /contexts?contextPrefix=. lists the default", R("GET", "/contexts?contextPrefix=."), 200, '["."]')
    check("GET /contexts?offset=1 is past the end", R("GET", "/contexts?offset=1"), 200, "[]")
    qrefs = [{"name": "com.example.Address", "subject": ":.:address-value", "version": 1}]
    check("a qualified reference subject is the default context's subject",
          R("POST", "/subjects/customer2-value/versions", sbody(CUST, references=qrefs)), 200,
          pred=lambda d: d["id"] == cust_id and d["references"] == refs)
    code("a reference into another context is 42201",
         R("POST", "/subjects/customer3-value/versions",
           sbody(CUST, references=[dict(qrefs[0], subject=":.other:address-value")])), 422, 42201)
    code("a colon inside a context name is 400", R("GET", "/contexts/a:b/subjects"), 400, 400)
    check(":.:subject is the default context's subject",
          R("GET", "/subjects/" + q(":.:users-value") + "/versions"), 200, "[1,2,3]")
    check("register through :.:subject lands in the plain subject",
          R("POST", "/subjects/" + q(":.:ctx-value") + "/versions", sbody('"float"')), 200,
          pred=lambda d: d["version"] == 1)
    check("... and is listed unqualified", R("GET", "/subjects?subjectPrefix=ctx"), 200, '["ctx-value"]')
    code(":.other:subject is 40401", R("GET", "/subjects/" + q(":.other:users-value") + "/versions"), 404, 40401)
    code("register into another context is 40401",
         R("POST", "/subjects/" + q(":.other:x") + "/versions", sbody('"float"')), 404, 40401)
    check("subjectPrefix=:.:users", R("GET", "/subjects?subjectPrefix=" + q(":.:users")), 200, '["users-value"]')
    check("subjectPrefix of another context lists nothing",
          R("GET", "/subjects?subjectPrefix=" + q(":.other:")), 200, "[]")
    code("?subject= of another context finds no id", R("GET", "/schemas/ids/1?subject=" + q(":.other:x")),
         404, 40403)
    check("GET /v1/metadata/id", R("GET", "/v1/metadata/id"), 200,
          pred=lambda d: list(d) == ["scope"] and d["scope"]["path"] == []
          and set(d["scope"]["clusters"]) == {"kafka-cluster", "schema-registry-cluster"})
    check("GET /v1/metadata/version", R("GET", "/v1/metadata/version"), 200,
          pred=lambda d: set(d) == {"version", "commitId"})
    check("GET /v1/metadata/deployment", R("GET", "/v1/metadata/deployment"), 200,
          pred=lambda d: list(d) == ["attributes"] and all(isinstance(a, str) for a in d["attributes"]))

    # ---- compatibility -------------------------------------------------------------------------------
    C = "/compatibility/subjects/users-value/versions"
    check("compatible with latest", R("POST", C + "/latest", sbody(S3)), 200, '{"is_compatible":true}')
    check("incompatible with latest", R("POST", C + "/latest", sbody(BAD_TYPE)), 200, '{"is_compatible":false}')
    check("verbose lists findings", R("POST", C + "/latest?verbose=true", sbody(BAD_TYPE)), 200,
          pred=lambda d: d["is_compatible"] is False and d["messages"] and all(isinstance(m, str) for m in d["messages"]))
    check("verbose compatible has empty messages", R("POST", C + "/latest?verbose=true", sbody(S3)), 200,
          '{"is_compatible":true,"messages":[]}')
    check("compatibility against all versions", R("POST", C, sbody(BAD_TYPE)), 200, '{"is_compatible":false}')
    check("latest of an unknown subject is compatible",
          R("POST", "/compatibility/subjects/nobody/versions/latest", sbody(S1)), 200, '{"is_compatible":true}')
    code("missing version of a missing subject is 40402",
         R("POST", "/compatibility/subjects/nobody/versions/7", sbody(S1)), 404, 40402)
    code("compatibility with version 0 is 42202", R("POST", C + "/0", sbody(S1)), 422, 42202)
    code("unparsable schema in compatibility is 42201",
         R("POST", C + "/latest", '{"schema":"{\\"type\\":"}'), 422, 42201)
    check("unparsable schema with verbose is incompatible + message",
          R("POST", C + "/latest?verbose=true", '{"schema":"{\\"type\\":"}'), 200,
          pred=lambda d: d["is_compatible"] is False and d["messages"])

    # ---- config ------------------------------------------------------------------------------------
    check("GET /config is the server default", R("GET", "/config"), 200,
          pred=lambda d: d["compatibilityLevel"] == "BACKWARD")
    check("PUT /config echoes upper-case", R("PUT", "/config", {"compatibility": "full"}), 200,
          '{"compatibility":"FULL"}')
    check("GET /config after PUT", R("GET", "/config"), 200, pred=lambda d: d["compatibilityLevel"] == "FULL")
    code("invalid level is 42203", R("PUT", "/config", {"compatibility": "SIDEWAYS"}), 422, 42203)
    code("config body not JSON is 400", R("PUT", "/config", '{"compatibility":'), 400, 400)
    code("subject without config is 40408", R("GET", "/config/users-value"), 404, 40408)
    check("defaultToGlobal gives the effective level", R("GET", "/config/users-value?defaultToGlobal=true"), 200,
          pred=lambda d: d["compatibilityLevel"] == "FULL")
    check("PUT /config/{s}", R("PUT", "/config/users-value", {"compatibility": "NONE"}), 200,
          '{"compatibility":"NONE"}')
    check("GET /config/{s}", R("GET", "/config/users-value"), 200, pred=lambda d: d["compatibilityLevel"] == "NONE")
    check("PUT merges: echo of normalize only", R("PUT", "/config/users-value", {"normalize": True}), 200,
          '{"normalize":true}')
    check("PUT merge keeps the level", R("GET", "/config/users-value"), 200,
          pred=lambda d: d["compatibilityLevel"] == "NONE" and d["normalize"] is True)
    check("regit.rules is an extra config key", R("PUT", "/config/users-value", {"regit.rules": "strict"}), 200,
          '{"regit.rules":"strict"}')
    check("GET shows regit.rules", R("GET", "/config/users-value"), 200,
          pred=lambda d: d["regit.rules"] == "strict" and d["compatibilityLevel"] == "NONE")
    code("bad regit.rules is 42203", R("PUT", "/config/users-value", {"regit.rules": "lax"}), 422, 42203)
    check("config for a subject without schemas",
          R("PUT", "/config/no-schemas-yet", {"compatibility": "FORWARD"}), 200, '{"compatibility":"FORWARD"}')
    code("config PUT on an invalid subject is 42208",
         R("PUT", "/config/" + q("bad\x01subject"), {"compatibility": "FORWARD"}), 422, 42208)
    check("DELETE /config/{s} returns the old config in GET's shape", R("DELETE", "/config/users-value"), 200,
          pred=lambda d: d.get("compatibilityLevel") == "NONE" and "compatibility" not in d)
    code("DELETE /config/{s} again is 40401", R("DELETE", "/config/users-value"), 404, 40401)
    check("DELETE /config returns the old global in GET's shape", R("DELETE", "/config"), 200,
          pred=lambda d: d.get("compatibilityLevel") == "FULL" and "compatibility" not in d)
    check("global reverts to the server default", R("GET", "/config"), 200,
          pred=lambda d: d["compatibilityLevel"] == "BACKWARD")

    # ---- mode ---------------------------------------------------------------------------------------
    check("GET /mode", R("GET", "/mode"), 200, '{"mode":"READWRITE"}')
    code("subject without mode is 40409", R("GET", "/mode/users-value"), 404, 40409)
    code("invalid mode is 42204", R("PUT", "/mode", {"mode": "SIDEWAYS"}), 422, 42204)
    code("FORWARD on a subject is 42204", R("PUT", "/mode/users-value", {"mode": "FORWARD"}), 422, 42204)
    check("PUT /mode/{s} echoes", R("PUT", "/mode/users-value", {"mode": "READONLY"}), 200, '{"mode":"READONLY"}')
    check("GET /mode/{s}", R("GET", "/mode/users-value"), 200, '{"mode":"READONLY"}')
    code("register in READONLY is 42205", R("POST", "/subjects/users-value/versions", sbody('"int"')), 422, 42205)
    code("delete in READONLY is 42205", R("DELETE", "/subjects/users-value/versions/3"), 422, 42205)
    check("lookup still works in READONLY", R("POST", "/subjects/users-value", sbody(S1)), 200,
          pred=lambda d: d["version"] == 1)
    check("DELETE /mode/{s} returns the old mode", R("DELETE", "/mode/users-value"), 200, '{"mode":"READONLY"}')
    code("DELETE /mode/{s} again is 40401", R("DELETE", "/mode/users-value"), 404, 40401)
    code("explicit id outside IMPORT is 42205",
         R("POST", "/subjects/users-value/versions", sbody('"int"', id=77)), 422, 42205)
    code("IMPORT on a subject with live schemas needs force (42205)",
         R("PUT", "/mode/users-value", {"mode": "IMPORT"}), 422, 42205)
    check("IMPORT mode on an empty subject", R("PUT", "/mode/imported", {"mode": "IMPORT"}), 200, '{"mode":"IMPORT"}')
    check("IMPORT keeps the given id and version",
          R("POST", "/subjects/imported/versions", sbody('"boolean"', id=500, version=7)), 200,
          pred=lambda d: d["id"] == 500 and d["version"] == 7)
    check("imported id resolves", R("GET", "/schemas/ids/500"), 200, pred=lambda d: d["schema"] == '"boolean"')
    R("DELETE", "/mode/imported")

    # ---- delete -----------------------------------------------------------------------------------------
    R("PUT", "/config/del-value", {"compatibility": "NONE"})
    R("POST", "/subjects/del-value/versions", sbody('"string"'))
    r = R("POST", "/subjects/del-value/versions", sbody('"bytes"'))
    check("del-value v2", r, 200, pred=lambda d: d["version"] == 2)
    bytes_id = r.json().get("id") if r.status == 200 else 0
    code("permanent delete of a live version is 40407",
         R("DELETE", "/subjects/del-value/versions/2?permanent=true"), 404, 40407)
    check("soft delete returns the version", R("DELETE", "/subjects/del-value/versions/2"), 200, "2")
    code("soft delete again is 40406", R("DELETE", "/subjects/del-value/versions/2"), 404, 40406)
    check("soft-deleted version is hidden", R("GET", "/subjects/del-value/versions"), 200, "[1]")
    check("deleted=true shows it", R("GET", "/subjects/del-value/versions?deleted=true"), 200, "[1,2]")
    check("deleted=1 is false", R("GET", "/subjects/del-value/versions?deleted=1"), 200, "[1]")
    check("deleted=TRUE is true", R("GET", "/subjects/del-value/versions?deleted=TRUE"), 200, "[1,2]")
    check("deletedOnly=true", R("GET", "/subjects/del-value/versions?deletedOnly=true"), 200, "[2]")
    check("deletedAsNegative with deleted=true", R("GET", "/subjects/del-value/versions?deleted=true&deletedAsNegative=true"),
          200, "[1,-2]")
    check("deletedAsNegative alone lists live versions",
          R("GET", "/subjects/del-value/versions?deletedAsNegative=true"), 200, "[1]")
    check("deletedAsNegative with deletedOnly", R("GET", "/subjects/del-value/versions?deletedOnly=true&deletedAsNegative=true"),
          200, "[-2]")
    code("soft-deleted version is 40402", R("GET", "/subjects/del-value/versions/2"), 404, 40402)
    check("soft-deleted version with deleted=true", R("GET", "/subjects/del-value/versions/2?deleted=true"), 200,
          pred=lambda d: d["version"] == 2 and d.get("deleted") is True)
    check("lookup skips soft-deleted", R("POST", "/subjects/del-value", sbody('"bytes"')), 404)
    check("lookup with deleted=true finds it", R("POST", "/subjects/del-value?deleted=true", sbody('"bytes"')), 200,
          pred=lambda d: d["version"] == 2)
    check("soft-deleted schema still resolves by id", R("GET", f"/schemas/ids/{bytes_id}"), 200,
          pred=lambda d: d["schema"] == '"bytes"' and "deleted" not in d and "subject" not in d)
    check("?subject= of a soft-deleted version names it, deleted",
          R("GET", f"/schemas/ids/{bytes_id}?subject=del-value"), 200,
          pred=lambda d: (d["subject"], d["version"], d.get("deleted")) == ("del-value", 2, True))
    check("id subjects hide soft-deleted", R("GET", f"/schemas/ids/{bytes_id}/subjects"), 200, "[]")
    check("id subjects with deleted=true", R("GET", f"/schemas/ids/{bytes_id}/subjects?deleted=true"), 200,
          '["del-value"]')
    check("version after a soft delete is max+1", R("POST", "/subjects/del-value/versions", sbody('"long"')), 200,
          pred=lambda d: d["version"] == 3)
    R("DELETE", "/subjects/del-value/versions/3")
    check("hard delete after soft delete", R("DELETE", "/subjects/del-value/versions/3?permanent=true"), 200, "3")
    code("hard delete of a gone version is 40402",
         R("DELETE", "/subjects/del-value/versions/3?permanent=true"), 404, 40402)
    check("hard-deleting the highest version frees its number",
          R("POST", "/subjects/del-value/versions", sbody('"double"')), 200, pred=lambda d: d["version"] == 3)
    code("permanent subject delete with live versions is 40405",
         R("DELETE", "/subjects/del-value?permanent=true"), 404, 40405)
    check("subject soft delete lists live versions", R("DELETE", "/subjects/del-value"), 200, "[1,3]")
    code("subject soft delete again is 40404", R("DELETE", "/subjects/del-value"), 404, 40404)
    code("all-soft-deleted subject reads as unknown", R("GET", "/subjects/del-value/versions"), 404, 40401)
    check("soft delete keeps the subject config", R("GET", "/config/del-value"), 200,
          pred=lambda d: d["compatibilityLevel"] == "NONE")
    check("GET /subjects?deleted=true includes it", R("GET", "/subjects?deleted=true"), 200,
          pred=lambda d: "del-value" in d)
    check("GET /subjects?deletedOnly=true", R("GET", "/subjects?deletedOnly=true"), 200,
          pred=lambda d: d == ["del-value"])
    check("permanent subject delete lists the rest", R("DELETE", "/subjects/del-value?permanent=true"), 200,
          "[1,2,3]")
    code("deleted subject is 40401", R("DELETE", "/subjects/del-value"), 404, 40401)
    check("hard-deleted subject is gone", R("GET", "/subjects?deleted=true"), 200,
          pred=lambda d: "del-value" not in d)
    code("hard delete drops the subject config", R("GET", "/config/del-value"), 404, 40408)
    code("hard-deleted id is 40403", R("GET", f"/schemas/ids/{bytes_id}"), 404, 40403)

    # ---- limits and encodings ------------------------------------------------------------------------------
    # A declared 17 MiB body is refused before it is read: send only headers.
    import socket
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as sock:
        sock.sendall(b"POST /subjects/big/versions HTTP/1.1\r\nHost: x\r\nContent-Type: " + CT_V1.encode()
                     + b"\r\nContent-Length: " + str(17 << 20).encode() + b"\r\n\r\n" + b"x" * 65536)
        got = b""
        while b"}" not in got:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    t.ok(got.startswith(b"HTTP/1.1 413") and b'"error_code":413' in got, "17 MiB body is 413", got[:300])
    r = srv.request("POST", "/subjects/big/versions", b"[" + b" " * (15 << 20) + b"]", fresh=True)
    code("15 MiB body is read and judged (400)", r, 400, 400)
    check("unknown and malformed query params are ignored",
          R("GET", "/subjects/users-value/versions/1?x=%zz&deleted=true&name=com.example.User&&="), 200,
          pred=lambda d: d["version"] == 1)
    odd = ["..", ".", "../../etc/passwd", "a/b", ".git", "refs/heads/main", "x%2Fy", "ü-ñ-値", " spaced ",
           "%00", "HEAD", "x" * 200, "a\\b", "CON", "-value", "a:b"]
    for i, subj in enumerate(odd, 1):
        r = R("POST", f"/subjects/{q(subj)}/versions",
              sbody(json.dumps({"type": "fixed", "name": f"F{i}", "size": i}, separators=(",", ":"))))
        if t.ok(r.status == 200, f"subject {subj[:20]!r} registers", r):
            check(f"subject {subj[:20]!r} round-trips", R("GET", f"/subjects/{q(subj)}/versions/latest"), 200,
                  pred=lambda d, s=subj: d["subject"] == s)
    check("GET /subjects lists the odd names exactly", R("GET", "/subjects"), 200,
          pred=lambda d: all(s in d for s in odd))
    code("NUL in a subject is 42208", R("POST", "/subjects/a%00b/versions", sbody('"int"')), 422, 42208)
    code("control character in a subject is 42208", R("POST", "/subjects/a%01b/versions", sbody('"int"')), 422, 42208)
    code("__GLOBAL is 42208", R("POST", "/subjects/__GLOBAL/versions", sbody('"int"')), 422, 42208)
    code("raw .. in the path does not route", R("GET", "/subjects/../subjects"), 404, 404)
    code("malformed percent-encoding is 400", R("GET", "/subjects/a%zzb/versions"), 400, 400)
    tree = subprocess.run(["git", "--git-dir", STORE, "ls-tree", "-r", "--name-only", "HEAD"],
                          capture_output=True, text=True)
    names = tree.stdout.splitlines()
    import re
    bad = [n for n in names if not re.fullmatch(r"(regit\.json|config\.json|mode\.json|README\.md|"
                                                r"subjects/[A-Za-z0-9_.%-]+/[A-Za-z0-9_.-]+)", n)
           or re.search(r"(^|/)\.\.?(/|$)|/\.git", n)]
    t.ok(tree.returncode == 0 and names and not bad,
         f"store tree has only encoded names ({len(names)} files)", bad[:5] or tree.stderr)

    # ---- observability -----------------------------------------------------------------------------------------
    check("GET /health is ok", R("GET", "/health"), 200, pred=lambda d: d["status"] == "ok" and d["schemas"] >= 3)
    r = R("GET", "/metrics")
    want = ['regit_http_requests_total{route="/subjects/{s}/versions",status="200"} ',
            'regit_http_request_duration_seconds_bucket{route="/schemas/ids/{id}",le="+Inf"} ',
            "regit_schemas ", "regit_subjects ", "regit_store_commits_total ", "regit_compat_rejections_total "]
    lines = r.text.splitlines()
    missing = [w for w in want if not any(l.startswith(w) and not l.endswith(" 0") for l in lines)]
    t.ok(r.status == 200 and not missing,
         "GET /metrics has requests, latency, schemas, subjects, commits, rejections", missing)
    t.ok(r.ctype.startswith("text/plain"), "metrics are text/plain", r.ctype)

    # ---- concurrency -------------------------------------------------------------------------------------------
    results, errors = {}, []

    def worker(k):
        try:
            s = Server.__new__(Server)
            s.port, s.conn = srv.port, None
            sch = json.dumps({"type": "record", "name": "C",
                              "fields": [{"name": f"f{k}", "type": "int", "default": 0}]})
            a = s.request("POST", f"/subjects/conc-{k % 3}/versions", sbody(sch))
            b = s.request("POST", f"/subjects/same-{k}/versions", sbody('"double"'))
            results[k] = (a.json(), b.json())
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    R("PUT", "/config", {"compatibility": "NONE"})
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(1, 25)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    ok = not errors and len(results) == 24
    detail = errors[:3]
    if ok:
        ids = [a["id"] for a, _ in results.values()]
        per = {}
        for k, (a, _) in results.items():
            per.setdefault(k % 3, []).append(a["version"])
        same = {b["id"] for _, b in results.values()}
        ok = len(set(ids)) == 24 and all(sorted(v) == list(range(1, 9)) for v in per.values()) and len(same) == 1
        detail = (ids, per, same)
    t.ok(ok, "24 concurrent clients: distinct ids, versions 1..8 per subject, one id per schema", detail)
    R("DELETE", "/config")
    check("cache sees state after concurrent writes", R("GET", "/schemas/ids/1"), 200,
          pred=lambda d: d["schema"] == S1)

    # ---- restart and reload --------------------------------------------------------------------------------------
    rc = srv.stop()
    t.ok(rc == 0, "SIGTERM stops the server with status 0", f"exit {rc}\n" + srv.stderr_text()[-3000:])
    if rc != 0 and os.environ.get("REGIT_KEEP_LOG"):
        open(os.environ["REGIT_KEEP_LOG"], "w").write(srv.stderr_text())
    srv = start(STORE, "--compat", "BACKWARD", "--rules", "avro", name="main2")
    R = srv.request
    check("after restart: versions reloaded", R("GET", "/subjects/users-value/versions"), 200, "[1,2,3]")
    check("after restart: ids reloaded", R("GET", "/schemas/ids/2"), 200, pred=lambda d: d["schema"] == S2)
    check("after restart: new ids continue past imported ones",
          R("POST", "/subjects/after-restart/versions", sbody('{"type":"enum","name":"E","symbols":["A"]}')), 200,
          pred=lambda d: d["id"] > 500 and d["version"] == 1)
    check("after restart: soft-deleted state kept", R("GET", "/subjects/address-value/versions"), 200, "[1]")

    # ---- direct pushes ---------------------------------------------------------------------------------------------
    fork = os.path.join(tmp, "fork.git")
    subprocess.run(["git", "clone", "-q", "--bare", STORE, fork], check=True)
    fsrv = start(fork, "--compat", "BACKWARD", "--rules", "avro", name="fork")
    check("register on a clone of the store",
          fsrv.request("POST", "/subjects/pushed-value/versions",
                       sbody('{"type":"record","name":"Pushed","fields":[]}')), 200)
    fsrv.stop()
    branch = subprocess.run(["git", "--git-dir", STORE, "symbolic-ref", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    p = subprocess.run(["git", "--git-dir", fork, "push", "-q", STORE, f"{branch}:{branch}"],
                       capture_output=True, text=True)
    t.ok(p.returncode == 0, "git push into the live store", p.stderr)

    def wait_for(fn, secs=6.0):
        end = time.time() + secs
        while time.time() < end:
            r = fn()
            if r:
                return r
            time.sleep(0.1)
        return None

    t.ok(wait_for(lambda: R("GET", "/subjects/pushed-value/versions").status == 200),
         "pushed subject is served within 6 s")
    work = os.path.join(tmp, "work")
    subprocess.run(["git", "clone", "-q", STORE, work], check=True)
    # The pushes below test the server's own check of what lands in the store, so they
    # bypass the store's pre-receive hook (which would refuse them first: ledger.sh).
    subprocess.run(["git", "-C", work, "config", "remote.origin.receivepack",
                    "git -c core.hooksPath=/dev/null receive-pack"], check=True)
    avsc = sorted(n for n in subprocess.run(["git", "-C", work, "ls-files"], capture_output=True,
                                            text=True).stdout.splitlines() if n.endswith("/v1.avsc"))
    if t.ok(bool(avsc), "store layout has subjects/*/v1.avsc"):
        with open(os.path.join(work, avsc[0]), "w") as f:
            f.write("this is not a schema {")
        g = ["git", "-C", work, "-c", "user.name=t", "-c", "user.email=t@example.com"]
        subprocess.run(g + ["commit", "-qam", "break a schema"], check=True)
        subprocess.run(g + ["push", "-q", "origin", f"HEAD:{branch}"], check=True, capture_output=True)
        t.ok(wait_for(lambda: R("GET", "/health").status == 503), "invalid push: /health is 503",
             R("GET", "/health"))
        check("invalid push: the old index is still served", R("GET", "/subjects/users-value/versions"), 200,
              "[1,2,3]")
        subprocess.run(g + ["revert", "--no-edit", "HEAD"], check=True, capture_output=True)
        subprocess.run(g + ["push", "-q", "origin", f"HEAD:{branch}"], check=True, capture_output=True)
        t.ok(wait_for(lambda: R("GET", "/health").status == 200), "fixing push: /health is 200 again",
             R("GET", "/health"))

    # ---- pushed versions obey the compatibility policy ---------------------------------------------
    # users-value holds v1..v3 at the server default BACKWARD (avro rules). A hand-made v4 that
    # changes id from long to string is what a registration would refuse with 40901.
    g = ["git", "-C", work, "-c", "user.name=t", "-c", "user.email=t@example.com"]
    udir = os.path.join(work, "subjects", "users-value")

    def push_version(version, schema, meta, msg):
        with open(os.path.join(udir, f"v{version}.avsc"), "w") as f:
            f.write(json.dumps(json.loads(schema), indent=2) + "\n")
        with open(os.path.join(udir, f"v{version}.json"), "w") as f:
            f.write(json.dumps(meta) + "\n")
        subprocess.run(g + ["add", "-A"], check=True)
        subprocess.run(g + ["commit", "-qm", msg], check=True)
        return subprocess.run(g + ["push", "-q", "origin", f"HEAD:{branch}"], capture_output=True, text=True)

    def metric(name):
        for line in R("GET", "/metrics").text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    rejected_before = metric("regit_store_rejections_total")
    subprocess.run(g + ["pull", "-q", "origin", branch], check=True, capture_output=True)
    p = push_version(4, BAD_TYPE, {"id": 9001, "deleted": False}, "hand-made incompatible v4")
    t.ok(p.returncode == 0, "push an incompatible v4 by hand", p.stderr)
    r = wait_for(lambda: (lambda h: h if h.status == 503 else None)(R("GET", "/health")))
    t.ok(r is not None and "incompatible" in r.json().get("message", "") and "users-value" in r.json()["message"],
         "incompatible push: /health is 503 and says which subject is incompatible", R("GET", "/health"))
    check("incompatible push: the previous versions are still served", R("GET", "/subjects/users-value/versions"),
          200, "[1,2,3]")
    code("incompatible push: its id is not served", R("GET", "/schemas/ids/9001"), 404, 40403)
    t.ok(metric("regit_store_ok") == 0 and rejected_before is not None
         and metric("regit_store_rejections_total") == rejected_before + 1,
         "incompatible push: regit_store_ok 0, regit_store_rejections_total counts it",
         (metric("regit_store_ok"), rejected_before, metric("regit_store_rejections_total")))
    t.ok("incompatible" in srv.stderr_text(), "incompatible push is logged", srv.stderr_text()[-600:])
    code("writes fail while the store is refused (50001)",
         R("POST", "/subjects/while-refused/versions", sbody('"int"')), 500, 50001)
    # The same version made compatible: served.
    S4 = json.dumps({"type": "record", "name": "User", "namespace": "com.example", "fields": [
        {"name": "id", "type": "long"}, {"name": "email", "type": "string", "default": ""},
        {"name": "age", "type": "int", "default": 0}, {"name": "nick", "type": "string", "default": "x"}]},
        separators=(",", ":"))
    p = push_version(4, S4, {"id": 9001, "deleted": False}, "v4 made compatible")
    t.ok(p.returncode == 0 and wait_for(lambda: R("GET", "/health").status == 200),
         "compatible push: /health is 200 again", R("GET", "/health"))
    check("compatible push: v4 is served", R("GET", "/subjects/users-value/versions/4"), 200,
          pred=lambda d: d["id"] == 9001 and json.loads(d["schema"])["fields"][3]["name"] == "nick")
    # A subject set to NONE accepts anything pushed, like a registration would.
    R("PUT", "/config/loose-value", {"compatibility": "NONE"})
    R("POST", "/subjects/loose-value/versions", sbody('"int"'))
    subprocess.run(g + ["pull", "-q", "origin", branch], check=True, capture_output=True)
    udir = os.path.join(work, "subjects", "loose-value")
    p = push_version(2, '{"type":"enum","name":"E2","symbols":["X"]}', {"id": 9500}, "anything goes at NONE")
    t.ok(p.returncode == 0 and wait_for(lambda: R("GET", "/subjects/loose-value/versions").text == "[1,2]"),
         "level NONE: an unrelated pushed v2 is served", R("GET", "/health"))
    # A copied metadata file does not carry a valid seal: the copy is checked.
    udir = os.path.join(work, "subjects", "users-value")
    with open(os.path.join(udir, "v1.json")) as f:
        sealed = json.load(f)
    t.ok(isinstance(sealed.get("seal"), str) and len(sealed["seal"]) == 16, "regit seals the metadata it writes",
         sealed)
    sealed.update(version=5, id=9600)
    p = push_version(5, BAD_TYPE, sealed, "copied metadata, incompatible v5")
    t.ok(p.returncode == 0 and wait_for(lambda: R("GET", "/health").status == 503),
         "a copied seal does not exempt an incompatible version", R("GET", "/health"))
    subprocess.run(g + ["revert", "--no-edit", "HEAD"], check=True, capture_output=True)
    subprocess.run(g + ["push", "-q", "origin", f"HEAD:{branch}"], check=True, capture_output=True)
    t.ok(wait_for(lambda: R("GET", "/health").status == 200), "reverting it: /health is 200", R("GET", "/health"))
    # Versions another registry wrote with force=true are sealed: pushed, they are served.
    fork2 = os.path.join(tmp, "fork2.git")
    subprocess.run(["git", "clone", "-q", "--bare", STORE, fork2], check=True)
    f2 = start(fork2, "--compat", "BACKWARD", "--rules", "avro", name="fork2")
    check("another registry forces an incompatible v5",
          f2.request("POST", "/subjects/users-value/versions?force=true", sbody(BAD_TYPE)), 200,
          pred=lambda d: d["version"] == 5)
    f2.stop()
    p = subprocess.run(["git", "--git-dir", fork2, "push", "-q", STORE, f"{branch}:{branch}"],
                       capture_output=True, text=True)
    t.ok(p.returncode == 0 and wait_for(lambda: R("GET", "/subjects/users-value/versions").text == "[1,2,3,4,5]")
         and R("GET", "/health").status == 200,
         "a forced version written by a registry is served after the push", R("GET", "/health"))
    srv.stop()

    # ---- authentication (--auth FILE, regit passwd) ----------------------------------------------------------
    creds = os.path.join(tmp, "users")
    for user, role in [("reader", "read"), ("writer", "write"), ("boss", "admin")]:
        p = subprocess.run([serverlib.REGIT_BIN, "passwd", "--password-stdin", creds,
                            user, role], input=f"pw-{user}\n", capture_output=True, text=True)
        t.ok(p.returncode == 0, f"regit passwd adds {user} ({role})", p.stderr)
    astore = os.path.join(tmp, "auth.git")
    asrv = start(astore, "--auth", creds, "--access-log", name="auth")
    import base64

    def basic(user, pw=None):
        tok = base64.b64encode(f"{user}:{pw or 'pw-' + user}".encode()).decode()
        return {"Authorization": "Basic " + tok}
    r = asrv.request("GET", "/subjects")
    code("no credentials is 401", r, 401, 401)
    t.ok(r.headers.get("WWW-Authenticate", "").startswith("Basic"), "401 carries WWW-Authenticate: Basic",
         r.headers)
    code("wrong password is 401", asrv.request("GET", "/subjects", headers=basic("reader", "nope")), 401, 401)
    code("unknown route still 401 before routing", asrv.request("GET", "/nope"), 401, 401)
    check("reader may read", asrv.request("GET", "/subjects", headers=basic("reader")), 200, "[]")
    code("reader may not register (403)",
         asrv.request("POST", "/subjects/a/versions", sbody('"int"'), headers=basic("reader")), 403, 403)
    check("writer may register", asrv.request("POST", "/subjects/a/versions", sbody('"int"'),
                                              headers=basic("writer")), 200, pred=lambda d: d["id"] == 1)
    code("writer may not change config (403)",
         asrv.request("PUT", "/config", {"compatibility": "NONE"}, headers=basic("writer")), 403, 403)
    check("writer may soft-delete", asrv.request("DELETE", "/subjects/a/versions/1", headers=basic("writer")),
          200, "1")
    code("writer may not hard-delete (403)",
         asrv.request("DELETE", "/subjects/a/versions/1?permanent=true", headers=basic("writer")), 403, 403)
    check("admin may hard-delete",
          asrv.request("DELETE", "/subjects/a/versions/1?permanent=true", headers=basic("boss")), 200, "1")
    check("reader may test compatibility",
          asrv.request("POST", "/compatibility/subjects/a/versions/latest", sbody('"int"'), headers=basic("reader")),
          200)
    asrv.stop()
    authors = subprocess.run(["git", "--git-dir", astore, "log", "--format=%an|%s"], capture_output=True,
                             text=True).stdout.splitlines()
    t.ok(any(a.startswith("writer|register") for a in authors) and any(a.startswith("boss|") for a in authors),
         "commits are authored by the authenticated user", authors)
    logged = [json.loads(line) for line in asrv.stderr_text().splitlines() if line.startswith("{")]
    t.ok(any(x.get("user") == "writer" and x["status"] == 200 for x in logged)
         and all("user" not in x for x in logged if x["status"] == 401), "access log names the user", logged[:3])

    # ---- access log and product defaults -------------------------------------------------------------------------
    lsrv = start(os.path.join(tmp, "store2.git"), "--access-log", name="logged")
    check("default server level is FULL_TRANSITIVE with strict rules", lsrv.request("GET", "/config"), 200,
          pred=lambda d: d["compatibilityLevel"] == "FULL_TRANSITIVE" and d.get("regit.rules", "strict") == "strict")
    lsrv.request("GET", "/schemas/ids/1")
    lsrv.stop()
    recs = []
    try:
        recs = [json.loads(line) for line in lsrv.stderr_text().splitlines() if line.startswith("{")]
        good = (len(recs) == 2 and recs[0]["method"] == "GET" and recs[0]["target"] == "/config"
                and recs[0]["status"] == 200 and recs[1]["route"] == "/schemas/ids/{id}"
                and recs[1]["status"] == 404 and isinstance(recs[1]["us"], int))
    except ValueError:
        good = False
    t.ok(good, "access log: one JSON line per request", recs)
finally:
    for s in servers:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
    shutil.rmtree(tmp, ignore_errors=True)

t.finish()
