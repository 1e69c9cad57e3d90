#!/usr/bin/env python3
"""Writes the seeds of the roads_shapefile fuzz target (fuzz/targets.rs) into
fuzz/corpus/roads_shapefile/: a flags byte (.prj choice in bits 0-1, .cpg choice in bits 2-3),
the .shp's length (u32 little-endian), the .shp, then the .dbf. The .dbf holds Shift_JIS text as
a 認定路線網図 export would. Run it again only to change the seeds; the files are committed."""
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "roads_shapefile")


def shp(records, shape_type):
    body = b""
    for n, content in enumerate(records, 1):
        body += struct.pack(">ii", n, len(content) // 2) + content
    xs = [0.0, 0.0, 0.0, 0.0]
    header = struct.pack(">i", 9994) + b"\0" * 20 + struct.pack(">i", (100 + len(body)) // 2)
    header += struct.pack("<ii", 1000, shape_type) + struct.pack("<8d", *(xs + [0.0] * 4))
    return header + body


def polyline(parts, z=False):
    pts = [p for part in parts for p in part]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    c = struct.pack("<i4d", 13 if z else 3, min(xs), min(ys), max(xs), max(ys))
    c += struct.pack("<ii", len(parts), len(pts))
    at = 0
    for part in parts:
        c += struct.pack("<i", at)
        at += len(part)
    for x, y in pts:
        c += struct.pack("<2d", x, y)
    if z:
        c += struct.pack("<2d", 0.0, 10.0) + b"".join(struct.pack("<d", 5.0) for _ in pts)
        c += struct.pack("<2d", 0.0, 0.0) + b"".join(struct.pack("<d", 0.0) for _ in pts)
    return c


def null_shape():
    return struct.pack("<i", 0)


def point(x, y):
    return struct.pack("<i2d", 1, x, y)


def dbf(fields, rows, encoding="shift_jis"):
    """fields: (name, type, length, decimals); rows: lists of str values."""
    rec_len = 1 + sum(f[2] for f in fields)
    hdr_len = 32 + 32 * len(fields) + 1
    out = struct.pack("<B3BIHH", 3, 126, 4, 1, len(rows), hdr_len, rec_len)
    out += b"\0" * 17 + b"\x13" + b"\0" * 2
    for name, typ, length, dec in fields:
        out += name.encode("ascii").ljust(11, b"\0") + typ.encode() + b"\0" * 4
        out += struct.pack("<BB", length, dec) + b"\0" * 14
    out += b"\r"
    for row in rows:
        out += b" "
        for (name, typ, length, dec), v in zip(fields, row):
            b = v.encode(encoding)[:length]
            out += b.rjust(length) if typ in "NF" else b.ljust(length)
    return out + b"\x1a"


def seed(name, flags, shp_bytes, dbf_bytes):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(bytes([flags]) + struct.pack("<I", len(shp_bytes)) + shp_bytes + dbf_bytes)


FIELDS = [
    ("ROSEN_NO", "C", 10, 0),
    ("ROSEN_NAME", "C", 40, 0),
    ("ROSEN_KBN", "C", 10, 0),
    ("NINTEI_YMD", "C", 10, 0),
    ("KITEN", "C", 40, 0),
    ("SHUTEN", "C", 40, 0),
    ("SHADO_W", "N", 8, 2),
]
ROW = ["3050", "八幡中央線", "2級", "19900401", "市川市八幡一丁目", "市川市真間二丁目", "5.50"]
ROW2 = ["3050", "", "", "", "", "", "4.00"]

os.makedirs(HERE, exist_ok=True)
line = polyline([[(6000.0, -29000.0), (6050.0, -29010.0)]])
two = polyline([[(6050.0, -29010.0), (6100.0, -29020.0)], [(6100.0, -29020.0), (6120.0, -29000.0)]])
# zone IX .prj, Shift_JIS (no .cpg): a route and a second section.
seed("zone9_sjis.bin", 1, shp([line, two], 3), dbf(FIELDS, [ROW, ROW2]))
# No .prj, a .cpg saying UTF-8 with a UTF-8 .dbf.
seed("utf8_cpg.bin", 1 << 2, shp([line], 3), dbf(FIELDS, [ROW], encoding="utf-8"))
# PolylineZ in longitude/latitude (JGD2011 .prj), a .cpg saying SJIS.
lonlat = polyline([[(139.9091, 35.7310), (139.9101, 35.7312), (139.9111, 35.7320)]], z=True)
seed("jgd2011_z.bin", 2 | (2 << 2), shp([lonlat], 13), dbf(FIELDS, [ROW]))
# Other field types (date, logical, float, numeric) and shapes the import refuses.
OTHER = [
    ("ROSEN_NO", "N", 6, 0),
    ("NINTEI_YMD", "D", 8, 0),
    ("HODO", "L", 1, 0),
    ("SHADO_W", "F", 10, 3),
    ("MEMO", "C", 20, 0),
]
seed(
    "types_wgs84.bin",
    3 | (3 << 2),
    shp([null_shape(), point(139.9, 35.7), line], 3),
    dbf(OTHER, [["12", "19991231", "T", "3.250", "ｶﾅ"], ["", "        ", "?", "x", "半角ｶﾅと漢字"], ["7", "20000229", "F", "-1.5", ""]]),
)
