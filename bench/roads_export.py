#!/usr/bin/env python3
"""bench/roads.sh helper: prints SQL that creates the PostGIS table `sections` from the public
road sections (and their route's number and name) of a Madoguchi SQLite database. The stored
geometry is GeoJSON in EPSG:6677 ([easting, northing]); PostGIS transforms it to EPSG:4326 once
at load, so pygeoapi and martin serve lon/lat without a per-request transform."""
import json
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
rows = db.execute(
    """SELECT s.id, s.route_id, s.section_code, s.carriageway_width_m, s.sidewalk_width_m,
              s.pavement, s.sidewalk, s.length_m, r.route_number, r.name, s.geometry
       FROM road_sections s JOIN road_routes r ON r.id = s.route_id
       WHERE s.public AND r.public ORDER BY s.id"""
).fetchall()


def lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


out = sys.stdout
out.write(
    "CREATE TABLE sections (id bigint PRIMARY KEY, route_id bigint, section_code text,"
    " carriageway_width_m double precision, sidewalk_width_m double precision, pavement text,"
    " sidewalk text, length_m double precision, route_number text, route_name text,"
    " geom geometry(LineString, 4326) NOT NULL);\n"
)
for i in range(0, len(rows), 500):
    chunk = rows[i : i + 500]
    vals = []
    for r in chunk:
        g = json.loads(r[10])
        vals.append(
            "(" + ",".join(lit(v) for v in r[:10])
            + f",ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON({lit(json.dumps(g))}), 6677), 4326))"
        )
    out.write("INSERT INTO sections VALUES " + ",\n".join(vals) + ";\n")
out.write("CREATE INDEX sections_geom ON sections USING gist (geom);\nANALYZE sections;\n")
