#!/usr/bin/env python3
"""resolve_oracle.py W.avsc R.avsc DIR N - the specification's reading.

A case folder holding a file "identity" expects the reader to re-encode
exactly the writer's bytes (used for string <-> bytes).

For each DIR/in_K.bin (data written with W), read it with python3-avro's
schema resolution into R and write it again with R: DIR/exp_K.bin. When the
library rejects the datum (e.g. an enum symbol the reader lacks and no
default), write the reason to DIR/exp_K.err instead.
"""
import io
import json
import os
import sys

import avro.io
import avro.schema


def strip_logical(node):
    """Logical types do not change the binary encoding, but python3-avro
    validates them (a random string is no uuid): drop them."""
    if isinstance(node, dict):
        node.pop("logicalType", None)
        for v in node.values():
            strip_logical(v)
    elif isinstance(node, list):
        for v in node:
            strip_logical(v)
    return node


def load(path):
    return avro.schema.parse(json.dumps(strip_logical(json.load(open(path)))))


def main():
    d, n = sys.argv[3], int(sys.argv[4])
    case = os.path.dirname(os.path.abspath(sys.argv[1]))
    if os.path.exists(os.path.join(case, "identity")):
        # string <-> bytes: python3-avro and Avro-C both refuse the
        # promotion; the reader's encoding equals the writer's bytes.
        for k in range(n):
            data = open("%s/in_%d.bin" % (d, k), "rb").read()
            open("%s/exp_%d.bin" % (d, k), "wb").write(data)
        return
    w = load(sys.argv[1])
    r = load(sys.argv[2])
    for k in range(n):
        data = open("%s/in_%d.bin" % (d, k), "rb").read()
        try:
            val = avro.io.DatumReader(w, r).read(avro.io.BinaryDecoder(io.BytesIO(data)))
            out = io.BytesIO()
            avro.io.DatumWriter(r).write(val, avro.io.BinaryEncoder(out))
            open("%s/exp_%d.bin" % (d, k), "wb").write(out.getvalue())
        except Exception as e:  # the oracle's verdict, whatever the kind
            open("%s/exp_%d.err" % (d, k), "w").write("%s\n" % e)


if __name__ == "__main__":
    main()
