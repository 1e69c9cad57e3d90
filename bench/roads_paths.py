#!/usr/bin/env python3
"""bench/roads.sh helper: writes the request lists every server gets, into DIR:
bbox-small/medium/large.txt (`?bbox=w,s,e,n&limit=100`, boxes of about 200 m, 1 km and 3 km
inside the network's extent), item.txt (`/ID`), tiles-14..17.txt (`/z/x/y`, the tiles that
cover the extent, at most 400 a zoom). Seeded: the same lists on every run."""
import math
import os
import random
import sys

out, extent, ids = sys.argv[1], [float(v) for v in sys.argv[2].split(",")], sys.argv[3].split(",")
w, s, e, n = extent
os.makedirs(out, exist_ok=True)
rnd = random.Random(8)
for name, size in (("bbox-small", 0.002), ("bbox-medium", 0.01), ("bbox-large", 0.03)):
    with open(os.path.join(out, name + ".txt"), "w") as f:
        for _ in range(300):
            x = rnd.uniform(w, max(w, e - size))
            y = rnd.uniform(s, max(s, n - size))
            f.write(f"?bbox={x:.6f},{y:.6f},{x + size:.6f},{y + size:.6f}&limit=100\n")
with open(os.path.join(out, "item.txt"), "w") as f:
    for i in ids:
        f.write(f"/{i}\n")


def tile(lon, lat, z):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)
    return x, y


for z in (14, 15, 16, 17):
    x0, y0 = tile(w, n, z)
    x1, y1 = tile(e, s, z)
    tiles = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    rnd.shuffle(tiles)
    with open(os.path.join(out, f"tiles-{z}.txt"), "w") as f:
        for x, y in tiles[:400]:
            f.write(f"/{z}/{x}/{y}\n")
