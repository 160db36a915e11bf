#!/usr/bin/env python3
"""randschema.py SEED - print a random, valid Avro record schema.

Used by tests/integration/codegen.sh to drive the generated-code checks with
schemas nobody wrote by hand: every kind (null, boolean, int, long, float,
double, bytes, string, enum, fixed, record, array, map, unions tagged and
["null", T] in either order), nesting, references to earlier named types,
and recursion (a record reachable from itself through a union or array).
The same SEED always gives the same schema.
"""
import json
import random
import sys

PRIMS = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.n = 0
        self.named = []          # (kind, name) defined so far
        self.open_records = []   # records being defined (for recursion)

    def name(self, prefix):
        self.n += 1
        return "%s%d" % (prefix, self.n)

    def prim(self, allow_null=True):
        choices = PRIMS if allow_null else PRIMS[1:]
        return self.r.choice(choices)

    def type(self, depth, in_union=False):
        r = self.r
        k = r.randrange(100)
        if depth > 3 or k < 40:
            return self.prim(allow_null=not in_union or True)
        if k < 47:
            syms = ["S%d" % i for i in range(r.randint(1, 5))]
            t = {"type": "enum", "name": self.name("E"), "symbols": syms}
            self.named.append(("enum", t["name"]))
            return t
        if k < 53:
            t = {"type": "fixed", "name": self.name("F"), "size": r.randint(1, 20)}
            self.named.append(("fixed", t["name"]))
            return t
        if k < 58 and self.named:
            return self.r.choice(self.named)[1]
        if k < 63 and self.open_records:
            # Recursion: only behind a union with null or an array.
            target = r.choice(self.open_records)
            if r.randrange(2):
                return {"type": "array", "items": target}
            return None if in_union else ["null", target]
        if k < 72:
            return self.record(depth + 1)
        if k < 80:
            return {"type": "array", "items": self.type(depth + 1)}
        if k < 86:
            return {"type": "map", "values": self.type(depth + 1)}
        if in_union:
            return self.prim()
        return self.union(depth + 1)

    def union(self, depth):
        r = self.r
        if r.randrange(3) == 0:
            t = self.type(depth, in_union=True)
            if t is None or t == "null" or isinstance(t, list):
                t = "int"
            return ["null", t] if r.randrange(2) else [t, "null"]
        branches = []
        kinds = set()
        for _ in range(r.randint(1, 5)):
            t = self.type(depth, in_union=True)
            if t is None or isinstance(t, list):
                continue
            if isinstance(t, dict):
                kind = t["type"] if t["type"] in ("array", "map") else "named:" + t["name"]
            elif isinstance(t, str) and t in PRIMS:
                kind = t
            else:
                kind = "named:" + t
            if kind in kinds:
                continue
            kinds.add(kind)
            branches.append(t)
        return branches or ["null"]

    def record(self, depth):
        name = self.name("R")
        self.open_records.append(name)
        fields = []
        for i in range(self.r.randint(0, 6)):
            t = self.type(depth)
            if t is None:
                t = "long"
            fields.append({"name": "f%d" % i, "type": t})
        self.open_records.pop()
        self.named.append(("record", name))
        return {"type": "record", "name": name, "fields": fields}


def main():
    seed = int(sys.argv[1])
    g = Gen(seed)
    root = g.record(0)
    root["name"] = "Rand%d" % seed
    # Fix self-references to the root's old name.
    old = "R1"
    text = json.dumps(root, indent=1)
    text = text.replace('"%s"' % old, '"%s"' % root["name"])
    print(text)


if __name__ == "__main__":
    main()
