#!/usr/bin/env python3
"""differential.py - generated codecs against python3-avro on random schemas.

    differential.py REGIT --seed S --count N [--batch B] [--data K]
                    [--mutations M] [--work DIR]

For N seeded random writer schemas W (every primitive, logical types, enums
with and without a default, fixed, arrays, maps, unions null-first,
null-last and tagged, nested and recursive named types, namespaces,
defaults of every kind with \\u0000 and non-ASCII text, names that are C
keywords or C library macros and names that collide after the C name
mapping) it derives a reader R by compatible changes (fields added with a
default, fields removed, int->long->float->double, string<->bytes, enum
symbols added and removed under a reader default, unions widened, a type
made optional, fields reordered, a named type moved to another namespace),
and runs
`regit gen --json --prefix pI --reader R:100 --writer W:1`. B schemas make
one C program (tests/codegen/diff_driver.h), compiled once with
clang -fsanitize=address,undefined. Then, per schema:

  - K random R data, encoded by python3-avro: the generated NAME_decode
    must consume them exactly; NAME_to_json must equal python3-avro's
    decoding (the comparison rules below); NAME_encode must give back the
    input bytes; NAME_from_json of the JSON text, encoded, too;
  - K random W data: NAME_decode_writer must give python3-avro's resolving
    reading DatumReader(W, R) (or fail where it fails);
  - M mutations (truncations, bit flips, byte overwrites, insertions) of
    those encodings: no sanitizer report, no crash; a strict prefix of a
    valid encoding must be refused; whatever decodes must encode again.

Comparison rules (docs/codegen.md, "JSON"): the generated JSON is parsed and
walked along R: bytes and fixed are strings of code points U+0000..U+00FF,
a union value is null or {"BRANCH": value} with BRANCH the full name of a
named type or the type name; floats and doubles are compared by their bits
(the generator writes 17 significant digits, which round-trip; a float is
widened to double first); NaN, infinities and map keys with a NUL byte
cannot be written as JSON (NAME_to_json must give REGIT_AVRO_EINVALID).

The oracle is python3-avro 1.11.1's DatumReader (its BinaryDecoder, record,
array, map and skip logic), with its departures from the specification
overridden in SpecReader below, each named there. Prints TAP lines, one per
batch and kind of check; failures carry the seed, the schema files and the
input. Exit 1 on any failure.
"""
import argparse
import copy
import io
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import time

import avro.io
import avro.schema

PRIMS = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
# Names that are C keywords, C library macros, runtime names or that collide
# after the C name mapping (FooBar, Foo_Bar and FOO_BAR are all foo_bar).
FIELD_NAMES = ["NULL", "errno", "EOF", "SIZE_MAX", "INT32_MAX", "EXIT_SUCCESS",
               "FLT_MAX", "JSON_INDENT", "int", "class", "struct", "default",
               "bool", "true", "unsigned", "register", "FooBar", "Foo_Bar",
               "foo_bar", "count", "tag", "value", "present", "items", "entries",
               "key", "len", "ptr", "stdin", "assert", "offsetof", "has_x", "x",
               "_", "_x", "x_", "union", "template", "new", "delete", "this"]
TYPE_NAMES = ["FooBar", "Foo_Bar", "FOO_BAR", "fooBar", "NULL", "errno", "EOF",
              "SIZE_MAX", "regit_avro_str", "regit_avro_arena", "COUNT", "X", "Node",
              "main", "free", "json_t", "uint8_t", "size_t", "E", "R"]
SYMBOLS = ["A", "B", "C", "COUNT", "NULL", "EOF", "errno", "X_COUNT", "_", "a",
           "FooBar", "Foo_Bar", "SIZE_MAX", "true", "int", "S1", "S2", "EINVALID"]
# A name without a dot is resolved in the enclosing namespace, so a type in
# the null namespace cannot be referred to from inside a namespaced one: the
# root always has a namespace, and named types either inherit it or name
# another one.
NAMESPACES = ["a", "a.b", "com.example", "if.while", "x.y_z"]
LOGICAL = {
    "int": ["date", "time-millis"],
    "long": ["timestamp-millis", "timestamp-micros", "time-micros",
             "local-timestamp-millis", "local-timestamp-micros"],
    "string": ["uuid"],
}
MAX_DEPTH = 4


class NoDefault(Exception):
    """No finite default (e.g. a record that requires itself)."""


class Tagged:
    """A union value with its branch index in the reader's union."""

    def __init__(self, index, value):
        self.index, self.value = index, value

    def __repr__(self):
        return "Tagged(%d, %r)" % (self.index, self.value)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def f32_of_int(n):
    """n rounded once to the nearest float (ties to even), as C's (float)n."""
    m = abs(n)
    if m < (1 << 24):
        return float(n)
    e = m.bit_length() - 24
    q, rem = divmod(m, 1 << e)
    half = 1 << (e - 1)
    if rem > half or (rem == half and q & 1):
        q += 1
    return math.copysign(float(q << e), n)


def bits(x):
    return struct.pack("<d", x)


# ---------------------------------------------------------------- schemas --


class Schemas:
    """Random schemas as JSON trees, remembering every named type."""

    def __init__(self, r, tag):
        self.r = r
        self.tag = tag
        self.n = 0
        self.named = {}       # fullname -> definition (dict)
        self.open = []        # fullnames of records being defined
        self.explicit = False  # every new named type says its namespace

    def fresh_name(self, ns):
        r = self.r
        for _ in range(20):
            base = r.choice(TYPE_NAMES) if r.random() < 0.4 else "T%d" % self.n
            self.n += 1
            full = "%s.%s" % (ns, base) if ns else base
            if full not in self.named:
                return base, full
        self.n += 1
        base = "T%d_%s" % (self.n, self.tag)
        return base, ("%s.%s" % (ns, base) if ns else base)

    def named_head(self, kind, enclosing_ns):
        """name/namespace keys for a new named type and its full name."""
        r = self.r
        k = r.random()
        if self.explicit:
            ns = r.choice(NAMESPACES)
            base, full = self.fresh_name(ns)
            head = {"type": kind, "name": base, "namespace": ns}
        elif k < 0.5:
            ns = enclosing_ns             # inherited: no namespace key
            base, full = self.fresh_name(ns)
            head = {"type": kind, "name": base}
        elif k < 0.85:
            ns = r.choice(NAMESPACES)
            base, full = self.fresh_name(ns)
            head = {"type": kind, "name": base, "namespace": ns}
        else:
            ns = r.choice(NAMESPACES)
            base, full = self.fresh_name(ns)
            head = {"type": kind, "name": full}   # dotted name
        return head, full, ns

    def prim(self):
        r = self.r
        t = r.choice(PRIMS[1:] + ["int", "long", "string"])
        k = r.random()
        if t in LOGICAL and k < 0.25:
            return {"type": t, "logicalType": r.choice(LOGICAL[t])}
        if t == "bytes" and k < 0.2:
            p = r.randint(1, 20)
            # scale > precision is an invalid decimal: plain bytes
            return {"type": "bytes", "logicalType": "decimal", "precision": p,
                    "scale": r.randint(0, p + 2)}
        return t

    def type(self, depth, ns, in_union=False):
        r = self.r
        k = r.randrange(100)
        if depth >= MAX_DEPTH or k < 35:
            t = self.prim()
            return t
        if k < 43:
            head, full, _ = self.named_head("enum", ns)
            syms = r.sample(SYMBOLS, r.randint(1, 6))
            head["symbols"] = syms
            if r.random() < 0.4:
                head["default"] = r.choice(syms)
            self.named[full] = head
            return head
        if k < 49:
            head, full, _ = self.named_head("fixed", ns)
            head["size"] = r.choice([1, 2, 3, 12, 16, r.randint(1, 40)])
            if r.random() < 0.15:
                head["logicalType"] = "decimal"
                head["precision"] = r.randint(1, 8)
                head["scale"] = r.randint(0, 3)
            elif head["size"] == 12 and r.random() < 0.3:
                head["logicalType"] = "duration"
            self.named[full] = head
            return head
        if k < 55 and self.named:
            full = r.choice(sorted(self.named))
            if full not in self.open:
                return full
        if k < 62 and self.open:
            target = r.choice(self.open)
            c = r.randrange(4)
            if c == 0:
                return {"type": "array", "items": target}
            if c == 1:
                return {"type": "map", "values": target}
            if in_union:
                return target
            return ["null", target] if c == 2 else [target, "null"]
        if k < 72:
            return self.record(depth + 1, ns)
        if k < 80:
            return {"type": "array", "items": self.type(depth + 1, ns)}
        if k < 86:
            return {"type": "map", "values": self.type(depth + 1, ns)}
        if in_union:
            return self.prim()
        return self.union(depth + 1, ns)

    def union(self, depth, ns):
        r = self.r
        if r.randrange(3) == 0:
            t = self.type(depth, ns, in_union=True)
            if kind_of(t, self.named) in ("null", "union"):
                t = "int"
            return ["null", t] if r.randrange(2) else [t, "null"]
        branches, kinds = [], set()
        for _ in range(r.randint(1, 5)):
            t = self.type(depth, ns, in_union=True)
            kd = kind_of(t, self.named)
            if kd == "union" or kd in kinds:
                continue
            kinds.add(kd)
            branches.append(t)
        return branches or ["null"]

    def record(self, depth, ns, head=None):
        r = self.r
        if head is None:
            head, full, ns = self.named_head("record", ns)
        else:
            full = "%s.%s" % (ns, head["name"]) if ns else head["name"]
        self.named[full] = head          # visible to itself (recursion)
        self.open.append(full)
        fields, used = [], set()
        for i in range(r.randint(0, 6)):
            name = r.choice(FIELD_NAMES) if r.random() < 0.35 else "f%d" % i
            if name in used:
                name = "f%d_" % i
            used.add(name)
            t = self.type(depth, ns)
            fld = {"name": name, "type": t}
            if r.random() < 0.45:
                try:
                    fld["default"] = self.default(t, 0)
                except NoDefault:
                    pass
            fields.append(fld)
        self.open.pop()
        head["fields"] = fields
        return head

    def resolve(self, t):
        return self.named[t] if isinstance(t, str) and t in self.named else t

    def default(self, t, depth):
        """A JSON default for t (a union's is its first branch's)."""
        if isinstance(t, list):
            return self.default(t[0], depth)
        return json_value(self.r, self.resolve(t), self.named, depth, for_default=True)


def kind_of(t, named):
    if isinstance(t, list):
        return "union"
    if isinstance(t, dict):
        if t["type"] in ("array", "map"):
            return t["type"]
        if t["type"] in ("record", "enum", "fixed"):
            return "named:" + full_name_of(t, named)
        return t["type"]
    if t in PRIMS:
        return t
    return "named:" + t


def full_name_of(d, named):
    for k, v in named.items():
        if v is d:
            return k
    raise KeyError(d.get("name"))


def rand_string(r):
    k = r.random()
    if k < 0.3:
        return "".join(r.choice("abcXYZ019 _-") for _ in range(r.randint(0, 8)))
    out = []
    for _ in range(r.randint(0, 10)):
        c = r.random()
        if c < 0.15:
            out.append("\u0000")
        elif c < 0.4:
            out.append(chr(r.randint(0x20, 0x7e)))
        elif c < 0.6:
            out.append(chr(r.randint(0x80, 0x7ff)))
        elif c < 0.8:
            cp = r.randint(0x800, 0xfffd)
            if 0xd800 <= cp <= 0xdfff:
                cp = 0xe000
            out.append(chr(cp))
        elif c < 0.9:
            out.append(chr(r.randint(0x10000, 0x10ffff)))
        else:
            out.append(r.choice('"\\/\b\f\n\r\t\u007f\u2028'))
    return "".join(out)


def rand_bytes(r, n=None):
    if n is None:
        n = r.choice([0, 1, 2, 5, r.randint(0, 30)])
    if r.random() < 0.4:   # often valid UTF-8, for bytes -> string readers
        s = rand_string(r).encode("utf-8")
        return s[:n] if n is not None and len(s) >= n else s
    return bytes(r.choice([0, 0xff, 0x80, 0x7f, r.randrange(256)]) for _ in range(n))


def rand_int(r, bits_):
    k = r.random()
    lim = 1 << (bits_ - 1)
    if k < 0.3:
        return r.randint(-3, 3)
    if k < 0.45:
        return r.choice([lim - 1, -lim, lim - 2, -lim + 1, 63, 64, -64, -65])
    if k < 0.7:
        return r.randint(-1000, 1000)
    return r.randint(-lim, lim - 1)


def rand_double(r, single, finite=False):
    k = r.random()
    if k < 0.2:
        v = r.choice([0.0, -0.0, 1.0, -1.5, 0.1, 1e-45, 3.4028234663852886e38,
                      2.2250738585072014e-308, 5e-324, 1.7976931348623157e308,
                      16777217.0, 9007199254740993.0])
    elif k < 0.3 and not finite:
        v = r.choice([float("nan"), float("inf"), -float("inf")])
    elif k < 0.6:
        v = r.uniform(-1e6, 1e6)
    else:
        if single:
            v = struct.unpack("<f", struct.pack("<I", r.getrandbits(32)))[0]
        else:
            v = struct.unpack("<d", struct.pack("<Q", r.getrandbits(64)))[0]
    if single:
        if math.isfinite(v) and abs(v) > 3.4028234663852886e38:
            v = 1.0
        v = f32(v)
    if finite and not math.isfinite(v):
        v = 0.5
    return v


def json_value(r, t, named, depth, for_default=False):
    """A random value of t: python3-avro's form (bytes as bytes), or with
    for_default the schema-default JSON form (bytes as ISO-8859-1 text,
    a union as its first branch's value)."""
    if isinstance(t, str) and t in named:
        t = named[t]
    if isinstance(t, list):
        if for_default:
            return json_value(r, t[0], named, depth, True)
        order = list(range(len(t)))
        r.shuffle(order)
        if depth >= MAX_DEPTH + 2:   # end recursion: null or a non-record first
            order.sort(key=lambda i: 0 if t[i] == "null" else 1)
        last = None
        for i in order:
            try:
                return Tagged(i, json_value(r, t[i], named, depth + 1, False))
            except NoDefault as e:
                last = e
        raise last or NoDefault()
    ty = t["type"] if isinstance(t, dict) else t
    if ty == "record" and (depth > MAX_DEPTH + 6 or "fields" not in t):
        raise NoDefault()    # too deep, or a record still being defined
    if ty == "null":
        return None
    if ty == "boolean":
        return r.random() < 0.5
    if ty == "int":
        return rand_int(r, 32)
    if ty == "long":
        return rand_int(r, 64)
    if ty in ("float", "double"):
        v = rand_double(r, ty == "float", finite=for_default)
        if for_default and r.random() < 0.2:     # an integer default
            return r.choice([r.randint(-5, 5), (1 << 24) + 1, (1 << 53) + 1,
                             (1 << 62) + (1 << 38) + 1, -(1 << 63)])
        return v
    if ty == "string":
        return rand_string(r)
    if ty in ("bytes", "fixed"):
        b = rand_bytes(r, t["size"] if ty == "fixed" else None)
        if ty == "fixed" and len(b) != t["size"]:
            b = (b + bytes(t["size"]))[:t["size"]]
        return b.decode("latin-1") if for_default else b
    if ty == "enum":
        return r.choice(t["symbols"])
    if ty == "array":
        n = 0 if depth >= MAX_DEPTH + 2 else r.choice([0, 1, 2, 3, r.randint(0, 6)])
        return [json_value(r, t["items"], named, depth + 1, for_default) for _ in range(n)]
    if ty == "map":
        n = 0 if depth >= MAX_DEPTH + 2 else r.choice([0, 1, 2, r.randint(0, 5)])
        out = {}
        for _ in range(n):
            key = rand_string(r) if r.random() < 0.3 else "k%d" % r.randrange(20)
            if for_default or r.random() < 0.8:
                key = key.replace("\u0000", "0")
            out[key] = json_value(r, t["values"], named, depth + 1, for_default)
        return out
    if ty == "record":
        return {f["name"]: json_value(r, f["type"], named, depth + 1, for_default)
                for f in t["fields"]}
    raise ValueError(ty)


# -------------------------------------------------------------- evolution --


def evolve(gen, writer):
    """A reader derived from writer by changes the specification resolves.
    gen.named must describe writer; returns (reader, list of changes)."""
    r = gen.r
    reader = copy.deepcopy(writer)
    changes = []
    gen.explicit = True
    # The reader's named types, by full name, found by walking it.
    rnamed = {}
    walk_named(reader, None, rnamed)
    renames = {}

    def field_type_change(t, depth):
        """t changed (or not) at a non-union position."""
        if isinstance(t, dict) and "logicalType" in t and t["type"] in PRIMS:
            base = t["type"]
        else:
            base = t if isinstance(t, str) else None
        k = r.random()
        if base in ("int", "long", "float", "string", "bytes") and k < 0.25:
            to = {"int": ["long", "float", "double"], "long": ["float", "double"],
                  "float": ["double"], "string": ["bytes"], "bytes": ["string"]}[base]
            nt = r.choice(to)
            changes.append("%s->%s" % (base, nt))
            return nt, True
        if isinstance(t, list) and k < 0.35:
            kinds = {kind_of(b, rnamed) for b in t}
            opts = [c for c in ("null", "boolean") if c not in kinds]
            if "array" not in kinds:
                opts.append({"type": "array", "items": "int"})
            if "map" not in kinds:
                opts.append({"type": "map", "values": "string"})
            head, full, _ = gen.named_head("enum", None)
            head["symbols"] = ["W1", "W2"]
            opts.append(head)
            nb = r.choice(opts)
            if isinstance(nb, dict) and nb.get("type") == "enum":
                gen.named[full] = nb
                rnamed[full] = nb
            t.insert(r.randint(0, len(t)), nb)
            changes.append("union widened")
            return t, True
        if not isinstance(t, list) and k < 0.4 and kind_of(t, rnamed) != "null":
            changes.append("made optional")
            return (["null", t] if r.random() < 0.5 else [t, "null"]), True
        return t, False

    def walk(t, depth):
        """Change record definitions and array/map element types in place."""
        if isinstance(t, list):
            for b in t:
                walk(b, depth + 1)
            return
        if not isinstance(t, dict):
            return
        ty = t["type"]
        if ty == "array":
            walk(t["items"], depth + 1)
            if not isinstance(t["items"], list):
                nt, ch = field_type_change(t["items"], depth)
                if ch and not isinstance(nt, list):
                    t["items"] = nt
            return
        if ty == "map":
            walk(t["values"], depth + 1)
            if not isinstance(t["values"], list):
                nt, ch = field_type_change(t["values"], depth)
                if ch and not isinstance(nt, list):
                    t["values"] = nt
            return
        if ty == "enum":
            if r.random() < 0.3:
                new = [s for s in SYMBOLS if s not in t["symbols"]]
                for s in r.sample(new, min(len(new), r.randint(1, 2))):
                    t["symbols"].insert(r.randint(0, len(t["symbols"])), s)
                if "default" not in t or r.random() < 0.5:
                    t["default"] = r.choice(t["symbols"])
                changes.append("enum symbols added")
            return
        if ty != "record" or t.get("_seen"):
            return
        t["_seen"] = True
        for f in t["fields"]:
            walk(f["type"], depth + 1)
        keep = []
        for f in t["fields"]:
            if r.random() < 0.12:
                changes.append("field removed")
                continue
            nt, ch = field_type_change(f["type"], depth)
            if ch:
                f["type"] = nt
                f.pop("default", None)
                try:
                    f["default"] = json_value(r, nt, rnamed, 0, for_default=True)
                except NoDefault:
                    pass
            keep.append(f)
        if r.random() < 0.3:
            # not the name of a removed field: that would change its type
            names = {f["name"] for f in t["fields"]}
            name = r.choice(FIELD_NAMES + ["added"])
            while name in names:
                name += "_"
            saved = gen.named
            gen.named = rnamed
            nt = gen.type(2, None)
            gen.named = saved
            try:
                keep.insert(r.randint(0, len(keep)),
                            {"name": name, "type": nt, "_added": True,
                             "default": json_value(r, nt, rnamed, 0, for_default=True)})
                changes.append("field added")
            except NoDefault:
                pass
        if len(keep) > 1 and r.random() < 0.2:
            r.shuffle(keep)     # fields are matched by name
            changes.append("fields reordered")
        t["fields"] = keep

    walk(reader, 0)
    strip_seen(reader)
    # Definitions moved by the changes (a removed field held one, an added
    # field refers to one defined later) go to their first use.
    # Defaults last: a default written before a type it uses changed
    # (a record's field promoted, a union widened) may no longer match.
    # Before normalize: an added field dropped here for want of a default
    # must not take a definition normalize moved into it.
    regen_defaults(r, reader, rnamed, set())
    fulls = {id(d): k for k, d in rnamed.items()}
    reader = normalize(reader, rnamed, fulls, set())
    # A writer symbol the reader lacks reads as the reader enum's default;
    # symbols some default names stay.
    dtext = json.dumps(collect_defaults(reader, []))
    for full in sorted(rnamed):
        d = rnamed[full]
        if d["type"] == "enum" and "default" in d and r.random() < 0.3:
            cands = [x for x in d["symbols"] if x != d["default"] and json.dumps(x) not in dtext]
            if cands:
                d["symbols"].remove(r.choice(cands))
                changes.append("enum symbol removed under a default")
        elif d["type"] == "enum" and "default" not in d and r.random() < 0.1:
            # Without a default, the writer's data with that symbol must be
            # refused (REGIT_AVRO_ERESOLVE), the rest read.
            cands = [x for x in d["symbols"] if json.dumps(x) not in dtext]
            if cands and len(d["symbols"]) > 1:
                d["symbols"].remove(r.choice(cands))
                changes.append("enum symbol removed without a default")
    # A leaf named type (enum or fixed) moved to another namespace: named
    # types match by unqualified name.
    leaves = [k for k, v in rnamed.items() if v["type"] in ("enum", "fixed")]
    if leaves and r.random() < 0.25:
        old = r.choice(leaves)
        d = rnamed[old]
        short = old.rsplit(".", 1)[-1]
        new = "moved%d.%s" % (gen.n, short)
        gen.n += 1
        d["name"] = short
        d["namespace"] = "moved%d" % (gen.n - 1)
        renames[old] = new
        replace_refs(reader, old, new)
        changes.append("namespace moved")
    return reader, changes


def regen_defaults(r, t, named, seen):
    """A fresh default for every field that has one in the final reader; a
    field added by the reader that gets none (a record that requires
    itself) is dropped again."""
    if isinstance(t, str) and t in named:
        t = named[t]
    if isinstance(t, list):
        for b in t:
            regen_defaults(r, b, named, seen)
        return
    if not isinstance(t, dict):
        return
    if t["type"] == "array":
        regen_defaults(r, t["items"], named, seen)
    elif t["type"] == "map":
        regen_defaults(r, t["values"], named, seen)
    elif t["type"] == "record" and id(t) not in seen:
        seen.add(id(t))
        keep = []
        for f in t["fields"]:
            regen_defaults(r, f["type"], named, seen)
            if "default" in f or f.get("_added"):
                f.pop("default", None)
                for _ in range(3):
                    try:
                        f["default"] = json_value(r, f["type"], named, 0, for_default=True)
                        break
                    except NoDefault:
                        pass
            if f.pop("_added", False) and "default" not in f:
                continue
            keep.append(f)
        t["fields"] = keep


def collect_defaults(t, out):
    if isinstance(t, list):
        for b in t:
            collect_defaults(b, out)
    elif isinstance(t, dict):
        for k in ("items", "values"):
            if k in t:
                collect_defaults(t[k], out)
        for f in t.get("fields", []):
            if "default" in f:
                out.append(f["default"])
            collect_defaults(f["type"], out)
    return out


def normalize(t, defs, fulls, seen, moved=False):
    """t with every named type defined at its first use in document order
    (a reference before its definition takes the definition, which then
    gets an explicit namespace; the later definition becomes a reference)."""
    if isinstance(t, list):
        return [normalize(b, defs, fulls, seen) for b in t]
    if isinstance(t, str):
        if t in defs and t not in seen:
            return normalize(defs[t], defs, fulls, seen, moved=True)
        return t
    ty = t["type"]
    if ty in ("record", "enum", "fixed") and id(t) in fulls:
        full = fulls[id(t)]
        if full in seen:
            return full
        seen.add(full)
        if moved:
            ns, _, nm = full.rpartition(".")
            t["name"] = nm
            t["namespace"] = ns
        for f in t.get("fields", []):
            f["type"] = normalize(f["type"], defs, fulls, seen)
        return t
    if ty == "array":
        t["items"] = normalize(t["items"], defs, fulls, seen)
    elif ty == "map":
        t["values"] = normalize(t["values"], defs, fulls, seen)
    return t


def strip_seen(t):
    if isinstance(t, list):
        for b in t:
            strip_seen(b)
    elif isinstance(t, dict):
        t.pop("_seen", None)
        for k in ("items", "values"):
            if k in t:
                strip_seen(t[k])
        for f in t.get("fields", []):
            strip_seen(f["type"])


def replace_refs(t, old, new):
    if isinstance(t, list):
        for i, b in enumerate(t):
            if b == old:
                t[i] = new
            else:
                replace_refs(b, old, new)
    elif isinstance(t, dict):
        for k in ("items", "values"):
            if k in t:
                if t[k] == old:
                    t[k] = new
                else:
                    replace_refs(t[k], old, new)
        for f in t.get("fields", []):
            if f["type"] == old:
                f["type"] = new
            else:
                replace_refs(f["type"], old, new)


def walk_named(t, ns, out):
    """Full name -> definition of every named type in t."""
    if isinstance(t, list):
        for b in t:
            walk_named(b, ns, out)
        return
    if not isinstance(t, dict):
        return
    ty = t["type"]
    if ty in ("record", "enum", "fixed"):
        name = t["name"]
        if "." in name:
            full = name
            ns2 = name.rsplit(".", 1)[0]
        else:
            ns2 = t["namespace"] if "namespace" in t else ns
            full = "%s.%s" % (ns2, name) if ns2 else name
        if full in out:
            return
        out[full] = t
        for f in t.get("fields", []):
            walk_named(f["type"], ns2, out)
    elif ty == "array":
        walk_named(t["items"], ns, out)
    elif ty == "map":
        walk_named(t["values"], ns, out)


# ------------------------------------------------------------------ oracle --


def strip_logical(node):
    """python3-avro turns logical types into Python objects (a random string
    is no uuid, a timestamp becomes a datetime); the generated code keeps
    the underlying type, and so does the oracle: logical types are dropped
    for python3-avro only (the binary encoding is the same)."""
    if isinstance(node, dict):
        node = {k: strip_logical(v) for k, v in node.items()
                if k not in ("logicalType", "precision", "scale")}
    elif isinstance(node, list):
        node = [strip_logical(v) for v in node]
    return node


def parse(tree):
    return avro.schema.parse(json.dumps(strip_logical(tree)))


def short(s):
    return s.name if hasattr(s, "name") else s.type


def exact_match(r, w):
    if r.type != w.type:
        return False
    if r.type in ("record", "enum", "fixed"):
        # .name is the name as written, dotted or not
        return (r.fullname.rsplit(".", 1)[-1] == w.fullname.rsplit(".", 1)[-1]
                or w.fullname in getattr(r, "aliases", []))
    return True


PROMOTE = {"int": {"long", "float", "double"}, "long": {"float", "double"},
           "float": {"double"}, "string": {"bytes"}, "bytes": {"string"}}


def spec_match(r, w):
    """The specification's "match" (Schema Resolution), unions aside:
    named types by unqualified name; arrays and maps by element; the
    promotions. python3-avro matches records and fixed by full name and
    arrays and maps only when the element type names are equal."""
    if exact_match(r, w):
        if r.type == "fixed":
            return r.size == w.size
        if r.type == "array":
            return spec_match_any(r.items, w.items)
        if r.type == "map":
            return spec_match_any(r.values, w.values)
        return True
    return w.type in PROMOTE and r.type in PROMOTE[w.type]


def spec_match_any(r, w):
    if isinstance(w, avro.schema.UnionSchema):
        return True      # decided per value
    if isinstance(r, avro.schema.UnionSchema):
        return pick_branch(r, w) is not None
    return spec_match(r, w)


def pick_branch(ru, w):
    """The reader union's branch for writer type w: the same type (for a
    named type the same full name) first, then the same unqualified name,
    then the first that matches by promotion. That is Avro Java's order,
    and python3-avro's for full names; the specification only says "the
    first schema in the reader's union that matches", which for a union of
    a.E and b.E read from b.E would be a.E."""
    for i, b in enumerate(ru.schemas):
        if b.type == w.type and spec_match(b, w) and (
                b.type not in ("record", "enum", "fixed") or b.fullname == w.fullname):
            return i
    for i, b in enumerate(ru.schemas):
        if exact_match(b, w) and spec_match(b, w):
            return i
    for i, b in enumerate(ru.schemas):
        if spec_match(b, w):
            return i
    return None


class TaggedWriter(avro.io.DatumWriter):
    """python3-avro's DatumWriter, except that a union value says its branch
    (Tagged): python3-avro writes the last branch the value validates
    against, which for a union of two records or of a map and a record may
    be a branch the value was not made for. No up-front validation (it
    knows no Tagged); write_data still refuses a value of the wrong type."""

    def write(self, datum, encoder):
        self.write_data(self.writers_schema, datum, encoder)

    def write_union(self, writers_schema, datum, encoder):
        encoder.write_long(datum.index)
        self.write_data(writers_schema.schemas[datum.index], datum.value, encoder)


class Refused(Exception):
    pass


class SpecReader(avro.io.DatumReader):
    """python3-avro's DatumReader with its departures from the
    specification (Avro 1.11 "Schema Resolution") overridden:

      - read_data: python3-avro matches records, enums and fixed by full
        name (the specification: unqualified name), does not resolve
        promotions inside arrays and maps (it compares the element types'
        names), refuses string<->bytes, and returns a promoted value
        unconverted (an int read as a float stays an exact Python int).
        Here promotions convert: to double as Python's float(), to float
        rounded once to binary32 (as C's (float) cast; see f32_of_int).
      - read_enum: python3-avro predates the enum default (Avro 1.9): a
        writer symbol the reader lacks is read as the reader's default.
      - _read_default_value: python3-avro encodes a bytes/fixed default as
        UTF-8 (the specification: code points U+0000..U+00FF are the bytes),
        refuses an integer default for float/double, and reads a record
        default's explicit null as "left out" (then uses the field's own
        default).
      - union values are returned as Tagged(reader branch index, value), so
        the comparison can check the branch, not only the value.
    Record field matching (by name), skipping writer-only fields, arrays,
    maps and the binary decoding itself are python3-avro's.
    """

    def read_data(self, w, r, dec):
        if isinstance(w, avro.schema.UnionSchema):
            idx = dec.read_long()
            if not 0 <= idx < len(w.schemas):
                raise Refused("union-index: %d" % idx)
            wb = w.schemas[idx]
            if w is r:
                return Tagged(idx, self.read_data(wb, wb, dec))
            return self.read_data(wb, r, dec)
        if isinstance(r, avro.schema.UnionSchema):
            j = pick_branch(r, w)
            if j is None:
                raise Refused("no-branch: no branch of the reader's union matches %s" % short(w))
            return Tagged(j, self.read_data(w, r.schemas[j], dec))
        if not spec_match(r, w):
            raise Refused("no-match: %s cannot read %s" % (short(r), short(w)))
        if w.type != r.type:
            if w.type == "int":
                v = dec.read_int()
            elif w.type == "long":
                v = dec.read_long()
            elif w.type == "float":
                return dec.read_float()
            elif w.type == "string":
                return dec.read_bytes()
            else:   # bytes -> string
                return dec.read_bytes().decode("utf-8")
            if r.type == "long":
                return v
            if r.type == "float":
                return f32_of_int(v)
            return float(v)
        if w.type == "fixed":
            return dec.read(w.size)
        if w.type == "record":
            return self.read_record(w, r, dec)
        if w.type == "enum":
            return self.read_enum(w, r, dec)
        if w.type == "array":
            return self.read_array(w, r, dec)
        if w.type == "map":
            return self.read_map(w, r, dec)
        return super().read_data(w, w, dec)

    def read_enum(self, w, r, dec):
        i = dec.read_int()
        if not 0 <= i < len(w.symbols):
            raise Refused("enum-index: %d" % i)
        s = w.symbols[i]
        if s in r.symbols:
            return s
        if r.get_prop("default") is not None:
            return r.get_prop("default")
        raise Refused("enum-symbol: %s not in the reader" % s)

    def _read_default_value(self, s, d):
        if isinstance(s, avro.schema.UnionSchema):
            return Tagged(0, self._read_default_value(s.schemas[0], d))
        if s.type in ("bytes", "fixed") and isinstance(d, str):
            return d.encode("latin-1")
        if s.type in ("float", "double") and isinstance(d, int) and not isinstance(d, bool):
            return f32_of_int(d) if s.type == "float" else float(d)
        if s.type == "record":
            return {f.name: self._read_default_value(f.type, d[f.name] if f.name in d else f.default)
                    for f in s.fields}
        return super()._read_default_value(s, d)



# -------------------------------------------------------------- comparison --


def branch_name(s):
    if s.type in ("record", "enum", "fixed"):
        return s.fullname
    return s.type


def json_writable(s, v):
    """False when v holds something Avro JSON cannot carry (NaN, infinity,
    a map key with a NUL byte): NAME_to_json must then fail."""
    if isinstance(v, Tagged):
        return json_writable(s.schemas[v.index], v.value)
    if s.type in ("float", "double"):
        return math.isfinite(v)
    if s.type == "array":
        return all(json_writable(s.items, x) for x in v)
    if s.type == "map":
        return all("\u0000" not in k and json_writable(s.values, x) for k, x in v.items())
    if s.type == "record":
        return all(json_writable(f.type, v[f.name]) for f in s.fields)
    return True


def compare(s, exp, got, path="$"):
    """None when the generated JSON value got equals exp along schema s,
    else where and how they differ."""
    if isinstance(s, avro.schema.UnionSchema):
        if not isinstance(exp, Tagged):
            return "%s: oracle value not tagged" % path
        b = s.schemas[exp.index]
        if b.type == "null":
            return None if got is None else "%s: %r, expected null (branch %d)" % (path, got, exp.index)
        if not isinstance(got, dict) or len(got) != 1:
            return "%s: %r, expected a {branch: value} object" % (path, got)
        name = next(iter(got))
        if name != branch_name(b):
            return "%s: branch %r, expected %r" % (path, name, branch_name(b))
        return compare(b, exp.value, got[name], "%s.%s" % (path, name))
    t = s.type
    if t == "null":
        return None if got is None else "%s: %r, expected null" % (path, got)
    if t == "boolean":
        return None if got is exp else "%s: %r, expected %r" % (path, got, exp)
    if t in ("int", "long"):
        ok = isinstance(got, int) and not isinstance(got, bool) and got == exp
        return None if ok else "%s: %r, expected %r" % (path, got, exp)
    if t in ("float", "double"):
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return "%s: %r, expected a number" % (path, got)
        want = f32(exp) if t == "float" else float(exp)
        return None if bits(float(got)) == bits(want) else "%s: %r, expected %r" % (path, got, want)
    if t == "string":
        return None if got == exp else "%s: %r, expected %r" % (path, got, exp)
    if t in ("bytes", "fixed"):
        try:
            b = got.encode("latin-1")
        except (AttributeError, UnicodeEncodeError):
            return "%s: %r is no bytes string" % (path, got)
        return None if b == exp else "%s: %r, expected %r" % (path, b, exp)
    if t == "enum":
        return None if got == exp else "%s: %r, expected %r" % (path, got, exp)
    if t == "array":
        if not isinstance(got, list) or len(got) != len(exp):
            return "%s: %r, expected %d items" % (path, got, len(exp))
        for i, (e, g) in enumerate(zip(exp, got)):
            d = compare(s.items, e, g, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    if t == "map":
        if not isinstance(got, dict) or sorted(got) != sorted(exp):
            return "%s: keys %r, expected %r" % (path, sorted(got) if isinstance(got, dict) else got,
                                                 sorted(exp))
        for k in exp:
            d = compare(s.values, exp[k], got[k], "%s[%r]" % (path, k))
            if d:
                return d
        return None
    if t == "record":
        names = [f.name for f in s.fields]
        if not isinstance(got, dict) or list(got) != names:
            return "%s: fields %r, expected %r" % (path, list(got) if isinstance(got, dict) else got, names)
        for f in s.fields:
            d = compare(f.type, exp[f.name], got[f.name], "%s.%s" % (path, f.name))
            if d:
                return d
        return None
    return "%s: unknown type %s" % (path, t)


def no_dup_pairs(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate key %r" % k)
        d[k] = v
    return d


# ------------------------------------------------------------------ driver --


def mutations(r, data, m):
    out = []
    for _ in range(m):
        k = r.random()
        if k < 0.3 and data:
            out.append(("trunc", data[:r.randrange(len(data))]))
            continue
        b = bytearray(data)
        if k < 0.6 and b:
            for _ in range(r.randint(1, 3)):
                i = r.randrange(len(b))
                b[i] ^= 1 << r.randrange(8)
        elif k < 0.85 and b:
            for _ in range(r.randint(1, 3)):
                b[r.randrange(len(b))] = r.choice([0, 0x7f, 0x80, 0xff, 0x01, 0xfe])
        else:
            i = r.randrange(len(b) + 1)
            b[i:i] = bytes(r.choice([0xff, 0x80, 0x01, 0x7f]) for _ in range(r.randint(1, 10)))
        out.append(("mut", bytes(b)))
    return out


class Batch:
    def __init__(self, args, seeds, work):
        self.args, self.seeds, self.work = args, seeds, work
        self.fail = []
        self.refusals = {}
        self.counts = {"schemas": 0, "refused": 0, "data": 0, "resolved": 0,
                       "resolve_err": 0, "mutated": 0, "roundtrip": 0}

    def note(self, kind, idx, msg, data=None):
        s = self.items[idx]
        extra = " input %s" % data.hex() if data is not None else ""
        self.fail.append("%s: seed %d (%s, %s): %s%s" % (kind, s["seed"], s["wfile"], s["rfile"], msg, extra))

    def build(self):
        a = self.args
        self.items = []
        gdir = os.path.join(self.work, "gen")
        os.makedirs(gdir, exist_ok=True)
        for i, seed in enumerate(self.seeds):
            r = random.Random(seed)
            g = Schemas(r, "s%d" % seed)
            root = {"type": "record", "name": "Rand%d" % seed}
            root["namespace"] = r.choice(NAMESPACES)
            g.record(0, root.get("namespace"), head=root)
            fulls = {id(d): k for k, d in g.named.items()}
            wtree = normalize(root, g.named, fulls, set())
            wnamed = {}
            walk_named(wtree, None, wnamed)
            reader, changes = evolve(g, wtree)
            wfile = os.path.join(self.work, "w%d.avsc" % seed)
            rfile = os.path.join(self.work, "r%d.avsc" % seed)
            with open(wfile, "w") as f:
                json.dump(wtree, f, indent=1)
            with open(rfile, "w") as f:
                json.dump(reader, f, indent=1)
            item = {"seed": seed, "wfile": wfile, "rfile": rfile, "wtree": wtree,
                    "rtree": reader, "changes": changes, "rand": r}
            self.items.append(item)
            p = subprocess.run([a.regit, "gen", "--json", "--prefix", "p%d" % i, "-o", gdir,
                                "--reader", rfile + ":100", "--writer", wfile + ":1"],
                               capture_output=True, text=True, timeout=60)
            if p.returncode != 0:
                item["name"] = None
                self.counts["refused"] += 1
                self.note("regit gen", i, "exit %d: %s (reader changes: %s)" %
                          (p.returncode, p.stderr.strip()[:400], ", ".join(changes)))
                continue
            item["name"] = [os.path.basename(x)[:-2] for x in p.stdout.split()
                            if x.endswith(".c")][0]
            try:
                item["w"] = parse(wtree)
                item["r"] = parse(reader)
            except Exception as e:   # python3-avro refuses a schema regit takes
                item["name"] = None
                self.note("python3-avro parse", i, "%s: %s" % (type(e).__name__, e))
                continue
            self.counts["schemas"] += 1
        good = [it for it in self.items if it["name"]]
        main = os.path.join(self.work, "main.c")
        with open(main, "w") as f:
            f.write('#include "diff_driver.h"\n')
            for it in good:
                f.write('#include "%s.h"\nDIFF_SCHEMA(%s)\n' % (it["name"], it["name"]))
            f.write("static const diff_fn diff_table[] = {\n")
            for it in good:
                f.write("\tdiff_run_%s,\n" % it["name"])
            if not good:
                f.write("\t0\n")
            f.write("};\nint main(void) { return diff_main(diff_table, %d); }\n" % len(good))
        for k, it in enumerate(good):
            it["slot"] = k
        exe = os.path.join(self.work, "drv")
        srcs = [main] + [os.path.join(gdir, it["name"] + ".c") for it in good]
        # -O0: a third of -O1's compile time, and ASan sees every access.
        # The documented warning flags: a warning is a finding (not -Werror,
        # so that one schema's warning does not hide the others' checks).
        cmd = [a.cc, "-std=c11", "-Wall", "-Wextra", "-pedantic", "-O0", "-g",
               "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
               "-fno-omit-frame-pointer",
               "-I", gdir, "-I", os.path.dirname(os.path.abspath(__file__)),
               "-o", exe] + srcs + ["-ljansson"]
        # clang's temporary objects in the batch's directory: a shared /tmp
        # may be cleaned under a long run.
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, TMPDIR=self.work))
        if p.returncode != 0:
            self.fail.append("compile: %s" % p.stderr[:2000])
            return None
        if "warning:" in p.stderr:
            self.fail.append("compiler warnings: %s" % p.stderr[:2000])
        return exe

    def cases(self):
        a = self.args
        cases = []   # (mode, item, data, kind, expected)
        for i, it in enumerate(self.items):
            if not it["name"]:
                continue
            r = it["rand"]
            rnamed, wnamed = {}, {}
            walk_named(it["rtree"], None, rnamed)
            walk_named(it["wtree"], None, wnamed)
            for mode, tree, named, sch in (("D", it["rtree"], rnamed, it["r"]),
                                           ("W", it["wtree"], wnamed, it["w"])):
                for _ in range(a.data):
                    try:
                        datum = json_value(r, tree, named, 0)
                        buf = io.BytesIO()
                        TaggedWriter(sch).write(datum, avro.io.BinaryEncoder(buf))
                    except NoDefault:
                        continue
                    except Exception as e:
                        self.note("python3-avro write", i, "%s: %s" % (type(e).__name__, e))
                        continue
                    data = buf.getvalue()
                    if len(data) > 30000:
                        continue
                    try:
                        exp = SpecReader(sch if mode == "D" else it["w"],
                                         it["r"] if mode == "W" else sch).read(
                            avro.io.BinaryDecoder(io.BytesIO(data)))
                        exp = ("ok", exp)
                    except UnicodeDecodeError as e:
                        exp = ("utf8", str(e))
                    except Refused as e:
                        exp = ("err", str(e))
                    cases.append((mode, i, data, "data", exp))
                    for kind, md in mutations(r, data, a.mutations):
                        cases.append((mode, i, md, kind, None))
        return cases

    def run(self, exe, cases):
        inp = "".join("%s %d %s\n" % (m, self.items[i]["slot"], d.hex() or "-")
                      for m, i, d, _, _ in cases)
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=99"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        try:
            p = subprocess.run([exe], input=inp, capture_output=True, text=True,
                               timeout=self.args.timeout, env=env, errors="replace")
        except subprocess.TimeoutExpired:
            self.fail.append("driver timed out after %d s" % self.args.timeout)
            return
        lines = p.stdout.split("\n")
        if p.returncode != 0 or len(lines) < len(cases):
            k = len(lines) - 1
            where = ""
            if k < len(cases):
                m, i, d, kind, _ = cases[k]
                where = " on case %d (%s %s)" % (k, m, kind)
                self.note("crash", i, "driver exit %d%s: %s" % (p.returncode, where,
                                                              p.stderr[-3000:]), d)
            else:
                self.fail.append("driver exit %d: %s" % (p.returncode, p.stderr[-3000:]))
        for k, c in enumerate(cases):
            if k >= len(lines) - 1:
                break
            self.check(c, lines[k])

    def check(self, case, line):
        mode, i, data, kind, exp = case
        it = self.items[i]
        f = line.split(" ", 11)
        # dec RC CONSUMED [enc RC HEX fj RC HEX json RC TEXT]
        drc, consumed = int(f[1]), int(f[2])
        if kind != "data":
            self.counts["mutated"] += 1
            if kind == "trunc" and drc == 0 and consumed <= len(data):
                # a strict prefix of a valid encoding cannot be complete
                self.note("truncation accepted", i, "mode %s: dec 0 consumed %d" % (mode, consumed), data)
            if drc == 0 and int(f[4]) != 0:
                self.note("mutated: decoded but does not encode", i, line[:300], data)
            return
        sch = it["r"]
        if exp[0] != "ok":
            why = "invalid UTF-8 as a string" if exp[0] == "utf8" else exp[1].split(":")[0]
            self.refusals[why] = self.refusals.get(why, 0) + 1
            if exp[0] == "utf8" and drc == 0:
                # invalid UTF-8 read as a string: refused by decode or by JSON
                if int(f[10]) == 0:
                    self.note("bytes->string of invalid UTF-8", i, "decoded and written as JSON: %s" % line[:300], data)
                else:
                    self.counts["resolve_err"] += 1
                return
            if drc == 0:
                self.note("oracle refuses, generated accepts", i, "%s; %s" % (exp[1], line[:300]), data)
            else:
                self.counts["resolve_err"] += 1
            return
        if drc != 0 or consumed != len(data):
            self.note("decode (%s)" % mode, i, "dec %d consumed %d of %d" % (drc, consumed, len(data)), data)
            return
        erc, ehex, jrc = int(f[4]), f[5], int(f[10])
        self.counts["data" if mode == "D" else "resolved"] += 1
        if mode == "D" and (erc != 0 or ehex != (data.hex() or "-")):
            self.note("re-encode", i, "enc %d %s" % (erc, ehex), data)
        value = exp[1]
        writable = json_writable(sch, value)
        if not writable:
            if jrc == 0:
                self.note("to_json", i, "wrote %s for a value JSON cannot carry" % f[11][:200], data)
            return
        if jrc != 0:
            self.note("to_json", i, "rc %d for %r" % (jrc, value), data)
            return
        try:
            got = json.loads(f[11], object_pairs_hook=no_dup_pairs)
        except ValueError as e:
            self.note("to_json", i, "not JSON (%s): %s" % (e, f[11][:300]), data)
            return
        d = compare(sch, value, got)
        if d:
            self.note("value (%s)" % ("decode" if mode == "D" else "decode_writer"), i, d, data)
            return
        frc, fhex = int(f[7]), f[8]
        if frc != 0:
            self.note("from_json", i, "rc %d of %s" % (frc, f[11][:300]), data)
        elif mode == "D" and fhex != (data.hex() or "-"):
            self.note("from_json", i, "encodes to %s" % fhex, data)
        elif mode == "D":
            self.counts["roundtrip"] += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("regit")
    ap.add_argument("--seed", type=int, default=20261206)
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--data", type=int, default=6)
    ap.add_argument("--mutations", type=int, default=4)
    ap.add_argument("--work", default=None)
    ap.add_argument("--cc", default="clang")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--minutes", type=float, default=0,
                    help="start no batch after this long (0: run them all); totals still print")
    ap.add_argument("--seeds", default=None, help="comma-separated schema seeds (a regression set)")
    args = ap.parse_args()
    work = args.work or os.path.join(os.path.dirname(os.path.abspath(args.regit)), "gen-differential")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if args.seeds:
        seeds = [int(x) for x in args.seeds.split(",") if x]
    else:
        seeds = [args.seed + k for k in range(args.count)]
    n = 0
    bad = 0
    totals = {}
    refusals = {}
    t0 = time.time()
    for b in range(0, len(seeds), args.batch):
        if args.minutes and time.time() - t0 > args.minutes * 60:
            print("# time budget of %g minutes spent: stopped before seed %d" % (args.minutes, seeds[b]))
            break
        part = seeds[b:b + args.batch]
        bw = os.path.join(work, "b%d" % (b // args.batch))
        os.makedirs(bw)
        batch = Batch(args, part, bw)
        exe = batch.build()
        if exe:
            batch.run(exe, batch.cases())
        for k, v in batch.counts.items():
            totals[k] = totals.get(k, 0) + v
        for k, v in batch.refusals.items():
            refusals[k] = refusals.get(k, 0) + v
        n += 1
        c = batch.counts
        desc = ("seeds %d..%d: %d schemas, %d data decoded, %d resolved, %d oracle refusals, %d mutated"
                % (part[0], part[-1], c["schemas"], c["data"], c["resolved"], c["resolve_err"], c["mutated"]))
        if batch.fail:
            bad += 1
            print("not ok %d - %s" % (n, desc))
            for msg in batch.fail[:20]:
                print("#   " + msg.replace("\n", "\n#   "))
            if len(batch.fail) > 20:
                print("#   ... %d more" % (len(batch.fail) - 20))
            print("#   rerun: %s --seeds %s" % (sys.argv[0], ",".join(map(str, part))))
        else:
            print("ok %d - %s" % (n, desc))
            if not args.keep:
                shutil.rmtree(bw, ignore_errors=True)
        sys.stdout.flush()
    print("# totals: %s in %.0f s" % (", ".join("%s %d" % kv for kv in sorted(totals.items())),
                                     time.time() - t0))
    print("# oracle refusals (the generated decoder must refuse too): %s"
          % ", ".join("%s %d" % kv for kv in sorted(refusals.items())))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
