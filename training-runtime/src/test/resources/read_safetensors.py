"""An independent reader of the safetensors format, written from the specification with Python's standard library
only (no Java code shared): prints each tensor's dtype, shape and values as JSON. The real `safetensors` package
cannot be installed here (no PyPI), so this checks Kiln's files against the format itself."""
import json
import struct
import sys

FORMATS = {"F64": "d", "F32": "f", "I64": "q", "I32": "i", "I16": "h", "I8": "b", "U8": "B", "BOOL": "?"}

with open(sys.argv[1], "rb") as f:
    data = f.read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n].decode("utf-8"))
body = data[8 + n:]
out = {"__metadata__": header.pop("__metadata__", {})}
end = 0
for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
    begin, stop = info["data_offsets"]
    assert begin == end, f"{name}: gap or overlap at {begin}"
    end = stop
    raw = body[begin:stop]
    count = 1
    for d in info["shape"]:
        count *= d
    fmt = FORMATS.get(info["dtype"])
    values = list(struct.unpack("<" + fmt * count, raw)) if fmt else None
    out[name] = {"dtype": info["dtype"], "shape": info["shape"], "values": values}
assert end == len(body), "trailing bytes"
print(json.dumps(out))
