#!/usr/bin/env bash
# Road ledger bench (issue 8): side by side, in one run, on the same data:
#   - OGC API Features items (bbox queries of three sizes, single items):
#     pygeoapi 0.21.0 (gunicorn, its PostgreSQL provider on PostGIS) vs Madoguchi (SQLite, PostgreSQL);
#     target: Madoguchi >= 3 x pygeoapi.
#   - Mapbox vector tiles at zoom 14-17: martin 1.14 (PostGIS table source) vs Madoguchi;
#     target: Madoguchi >= 1 x martin.
# The data is the demo's road network: `madoguchi demo` loads it into SQLite; the sections are
# copied into a PostGIS table (EPSG:4326, GiST index) for pygeoapi and martin, and Madoguchi on
# PostgreSQL gets the same demo load. Every server gets the same request list (same bboxes, ids,
# tiles) through wrk and bench/roads-paths.lua.
#
# Usage: bench/roads.sh [--duration SECS] [--connections N] [--save] [--no-install]
# Environment:
#   MADOGUCHI_BIN  the binary to measure (default target/release/madoguchi, else target/debug;
#                  the report says which: figures of a debug build are not representative)
#   BENCH_TMPDIR   where databases live (default /tmp)
#   PG_BIN         PostgreSQL bin dir (default /usr/lib/postgresql/15/bin)
#   BENCH_TOOLS    where pygeoapi's venv and martin are installed (default target/bench-tools)
#   MARTIN_TARGET  cargo's target dir for building martin (default: a temporary one under
#                  BENCH_TOOLS, deleted after the install)
# Installs, idempotently: wrk and postgresql-15-postgis-3 (apt-get), pygeoapi 0.21.0 + gunicorn +
# psycopg2-binary + SQLAlchemy + GeoAlchemy2 (what pygeoapi's PostgreSQL provider imports; pygeoapi
# itself does not depend on them) in a Python 3.11 venv (pip), martin 1.14.0 (cargo install --locked; a long
# compile the first time). --no-install fails instead when something is missing.
# Talks only to 127.0.0.1 and a unix socket; stops everything it started; deletes its data.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=10
CONNS=32
SAVE=0
INSTALL=1
while (($#)); do
  case $1 in
    --duration) DURATION=${2:?}; shift ;;
    --connections) CONNS=${2:?}; shift ;;
    --save) SAVE=1 ;;
    --no-install) INSTALL=0 ;;
    -h|--help) sed -n '2,26p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
BIN=${MADOGUCHI_BIN:-}
if [[ -z $BIN ]]; then
  if [[ -x $ROOT/target/release/madoguchi ]]; then BIN=$ROOT/target/release/madoguchi; else BIN=$ROOT/target/debug/madoguchi; fi
fi
[[ -x $BIN ]] || { echo "no binary at $BIN" >&2; exit 1; }
unset MADOGUCHI_BIN # madoguchi reads MADOGUCHI_* as configuration
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
TOOLS=${BENCH_TOOLS:-$ROOT/target/bench-tools}
PYGEOAPI_VERSION=0.21.0
MARTIN_VERSION=1.14.0
MARTIN=$TOOLS/bin/martin
VENV=$TOOLS/pygeoapi-$PYGEOAPI_VERSION
LOGS=$(mktemp -d /tmp/madoguchi-roads-bench-logs.XXXXXX)
WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/madoguchi-roads-bench.XXXXXX")
chmod 755 "$WORK"
PIDS=()
PGDATA_DIR=
as_pg() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -n $PGDATA_DIR && -f $PGDATA_DIR/postmaster.pid ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "[roads-bench] $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { # URL: waits up to 120 s for a 2xx/3xx
  for _ in $(seq 1 240); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "timed out waiting for $1 (server logs: $LOGS)" >&2
  for f in "$LOGS"/*.log; do [[ -s $f ]] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done
  return 1
}

# ---- tools ----------------------------------------------------------------------------------
need_apt() { # PACKAGE...
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  ((INSTALL)) || { echo "missing Debian packages: ${missing[*]}" >&2; exit 1; }
  log "apt-get install ${missing[*]}"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
need_apt wrk curl postgresql-15 postgresql-15-postgis-3
# The marker names what was installed, so a venv from an older version of this script (without
# the provider's dependencies) is completed rather than trusted.
PIP_PACKAGES=("pygeoapi==$PYGEOAPI_VERSION" gunicorn psycopg2-binary SQLAlchemy GeoAlchemy2)
if [[ ! -x $VENV/bin/gunicorn || "$(cat "$VENV/.madoguchi-packages" 2>/dev/null)" != "${PIP_PACKAGES[*]}" ]]; then
  ((INSTALL)) || { echo "pygeoapi venv missing or incomplete at $VENV" >&2; exit 1; }
  PY=$(command -v python3.11 || command -v python3)
  log "pip install ${PIP_PACKAGES[*]} into $VENV ($("$PY" --version))"
  [[ -x $VENV/bin/pip ]] || "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q "${PIP_PACKAGES[@]}" >"$LOGS/pip.log" 2>&1 ||
    { tail -20 "$LOGS/pip.log" >&2; exit 1; }
  echo "${PIP_PACKAGES[*]}" >"$VENV/.madoguchi-packages"
fi
if [[ ! -x $MARTIN ]]; then
  ((INSTALL)) || { echo "martin missing at $MARTIN" >&2; exit 1; }
  log "cargo install martin $MARTIN_VERSION (long compile)"
  # Only the PostgreSQL source: the default features add map rendering (maplibre_native), whose
  # build script clones a repository from the network, and a web UI; neither serves tiles.
  CARGO_TARGET_DIR=${MARTIN_TARGET:-$TOOLS/martin-target} nice cargo install martin --locked --version "$MARTIN_VERSION" \
    --no-default-features --features postgres --root "$TOOLS" >"$LOGS/martin-install.log" 2>&1 ||
    { tail -20 "$LOGS/martin-install.log" >&2; exit 1; }
  [[ -n ${MARTIN_TARGET:-} ]] || rm -rf "$TOOLS/martin-target" # a few GB of build files
fi

# ---- PostgreSQL with PostGIS (TCP on 127.0.0.1: pygeoapi and martin connect by URL) --------
PG_PORT=$(free_port)
mkdir -p "$WORK/pg"
[[ $EUID -eq 0 ]] && chown postgres: "$WORK/pg"
PGDATA_DIR=$WORK/pg/data
as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres -E UTF8 --locale=C >"$LOGS/initdb.log" 2>&1
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pg/server.log" -w -t 60 \
  -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres)
"${PSQL[@]}" -c "CREATE DATABASE gis" -c "CREATE DATABASE madoguchi"
"${PSQL[@]}" -d gis -c "CREATE EXTENSION postgis"

# ---- Madoguchi on SQLite (demo data) --------------------------------------------------------
M_SQLITE_PORT=$(free_port)
MADOGUCHI_LOG=warn "$BIN" demo --addr "127.0.0.1:$M_SQLITE_PORT" --data-dir "$WORK/sqlite" >"$LOGS/madoguchi-sqlite.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$M_SQLITE_PORT/healthz"
DB_FILE=$WORK/sqlite/madoguchi.db
[[ -f $DB_FILE ]] || DB_FILE=$(ls "$WORK"/sqlite/*.db | head -n 1)

# Copy the public sections (with their route number and name) into PostGIS, EPSG:6677 → 4326.
python3 "$ROOT/bench/roads_export.py" "$DB_FILE" >"$WORK/sections.sql"
"${PSQL[@]}" -d gis -f "$WORK/sections.sql"
SECTIONS=$("${PSQL[@]}" -d gis -tAc "SELECT count(*) FROM sections")
EXTENT=$("${PSQL[@]}" -d gis -tAc "SELECT concat_ws(',', ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) FROM (SELECT ST_Extent(geom) e FROM sections) s")
log "$SECTIONS sections in PostGIS, extent $EXTENT"
[[ $SECTIONS -gt 0 ]] || { echo "no sections exported" >&2; exit 1; }
IDS=$("${PSQL[@]}" -d gis -tAc "SELECT string_agg(id::text, ',') FROM (SELECT id FROM sections ORDER BY md5(id::text) LIMIT 300) s")

# The request lists: the same bboxes, ids and tiles for every server.
python3 "$ROOT/bench/roads_paths.py" "$WORK/paths" "$EXTENT" "$IDS"

# ---- Madoguchi on PostgreSQL (the same demo load) -------------------------------------------
M_PG_PORT=$(free_port)
MADOGUCHI_LOG=warn "$BIN" demo --addr "127.0.0.1:$M_PG_PORT" \
  --database-url "postgres://postgres@127.0.0.1:$PG_PORT/madoguchi" >"$LOGS/madoguchi-pg.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$M_PG_PORT/healthz"

# ---- pygeoapi (gunicorn, PostgreSQL provider) -----------------------------------------------
PY_PORT=$(free_port)
WORKERS=$((2 * $(nproc) + 1))
cat >"$WORK/pygeoapi.yml" <<EOF
server:
  bind: {host: 127.0.0.1, port: $PY_PORT}
  url: http://127.0.0.1:$PY_PORT
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {default_items: 10, max_items: 10000}
  map: {url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: 'none'}
logging: {level: ERROR}
metadata:
  identification: {title: bench, description: bench, keywords: [roads], keywords_type: theme, terms_of_service: 'https://example.org', url: 'https://example.org'}
  license: {name: CC-BY 4.0, url: 'https://creativecommons.org/licenses/by/4.0/'}
  provider: {name: bench, url: 'https://example.org'}
  contact: {name: bench, position: bench, address: x, city: x, stateorprovince: x, postalcode: x, country: JP, phone: x, fax: x, email: bench@example.org, url: 'https://example.org', hours: x, instructions: x, role: pointOfContact}
resources:
  sections:
    type: collection
    title: sections
    description: road sections
    keywords: [roads]
    extents:
      spatial: {bbox: [${EXTENT}], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}
    providers:
      - type: feature
        name: PostgreSQL
        data: {host: 127.0.0.1, port: $PG_PORT, dbname: gis, user: postgres, password: '', search_path: [public]}
        id_field: id
        table: sections
        geom_field: geom
EOF
export PYGEOAPI_CONFIG=$WORK/pygeoapi.yml PYGEOAPI_OPENAPI=$WORK/pygeoapi-openapi.yml
"$VENV/bin/pygeoapi" openapi generate "$PYGEOAPI_CONFIG" --output-file "$PYGEOAPI_OPENAPI" >"$LOGS/pygeoapi-openapi.log" 2>&1 ||
  { echo "pygeoapi openapi generate failed:" >&2; tail -20 "$LOGS/pygeoapi-openapi.log" >&2; exit 1; }
# exec: $! is then gunicorn itself, so cleanup stops it and its workers (not just a subshell).
(cd "$WORK" && exec "$VENV/bin/gunicorn" --workers "$WORKERS" --bind "127.0.0.1:$PY_PORT" \
  pygeoapi.flask_app:APP >"$LOGS/pygeoapi.log" 2>&1) &
PIDS+=($!)
wait_http "http://127.0.0.1:$PY_PORT/collections/sections/items?limit=1"

# ---- martin (PostGIS table source `sections`) -----------------------------------------------
MA_PORT=$(free_port)
"$MARTIN" --listen-addresses "127.0.0.1:$MA_PORT" "postgres://postgres@127.0.0.1:$PG_PORT/gis" >"$LOGS/martin.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$MA_PORT/catalog"

# ---- measure --------------------------------------------------------------------------------
# bench NAME BASE PATHS_FILE PREFIX SUFFIX → req/s (successful responses only)
bench() {
  local name=$1 base=$2 file=$3 out
  out=$LOGS/wrk-$name.txt
  # warm-up pass over the whole list (caches of every server fill alike)
  PATHS_FILE=$file PATH_PREFIX=$4 PATH_SUFFIX=$5 wrk -t2 -c8 -d3s -s "$ROOT/bench/roads-paths.lua" "$base" >/dev/null 2>&1 || true
  PATHS_FILE=$file PATH_PREFIX=$4 PATH_SUFFIX=$5 wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/roads-paths.lua" "$base" >"$out" 2>&1
  awk '/^ok_per_sec/ {print $2}' "$out"
}
declare -A R
M_S=http://127.0.0.1:$M_SQLITE_PORT
M_P=http://127.0.0.1:$M_PG_PORT
PYG=http://127.0.0.1:$PY_PORT
MAR=http://127.0.0.1:$MA_PORT
export ACCEPT=application/geo+json
for kind in bbox-small bbox-medium bbox-large item; do
  f=$WORK/paths/$kind.txt
  log "OGC $kind: pygeoapi"
  R[$kind,py]=$(bench "py-$kind" "$PYG" "$f" /collections/sections/items "")
  log "OGC $kind: madoguchi sqlite"
  R[$kind,ms]=$(bench "ms-$kind" "$M_S" "$f" /ogc/collections/sections/items "")
  log "OGC $kind: madoguchi postgres"
  R[$kind,mp]=$(bench "mp-$kind" "$M_P" "$f" /ogc/collections/sections/items "")
done
export ACCEPT='*/*'
for z in 14 15 16 17; do
  f=$WORK/paths/tiles-$z.txt
  log "tiles z$z: martin"
  R[t$z,ma]=$(bench "ma-t$z" "$MAR" "$f" /sections "")
  log "tiles z$z: madoguchi sqlite"
  R[t$z,ms]=$(bench "ms-t$z" "$M_S" "$f" /roads/tiles .mvt)
  log "tiles z$z: madoguchi postgres"
  R[t$z,mp]=$(bench "mp-t$z" "$M_P" "$f" /roads/tiles .mvt)
done

ratio() { python3 -c "import sys; a,b=float(sys.argv[1] or 0),float(sys.argv[2] or 0); print(f'{a/b:.2f} ×' if b>0 else 'n/a')" "$1" "$2"; }
REPORT=/tmp/madoguchi-roads-bench-latest.md
{
  echo "# Road ledger bench ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "Binary \`$BIN\`; $(nproc) cores; wrk -t2 -c$CONNS -d${DURATION}s per row after a 3 s warm-up;"
  echo "$SECTIONS sections; pygeoapi $PYGEOAPI_VERSION (gunicorn, $WORKERS workers, PostgreSQL provider);"
  echo "martin $("$MARTIN" --version 2>/dev/null | awk '{print $2}'); PostGIS $("${PSQL[@]}" -d gis -tAc 'SELECT postgis_lib_version()');"
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD). Logs: $LOGS"
  echo
  echo "| OGC API items | pygeoapi req/s | Madoguchi SQLite req/s | × pygeoapi | Madoguchi PostgreSQL req/s | × pygeoapi |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for kind in bbox-small bbox-medium bbox-large item; do
    echo "| $kind | ${R[$kind,py]} | ${R[$kind,ms]} | $(ratio "${R[$kind,ms]}" "${R[$kind,py]}") | ${R[$kind,mp]} | $(ratio "${R[$kind,mp]}" "${R[$kind,py]}") |"
  done
  echo
  echo "| Vector tiles | martin tiles/s | Madoguchi SQLite tiles/s | × martin | Madoguchi PostgreSQL tiles/s | × martin |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for z in 14 15 16 17; do
    echo "| z$z | ${R[t$z,ma]} | ${R[t$z,ms]} | $(ratio "${R[t$z,ms]}" "${R[t$z,ma]}") | ${R[t$z,mp]} | $(ratio "${R[t$z,mp]}" "${R[t$z,ma]}") |"
  done
  echo
  echo "Statuses per run (non-OK responses are not counted as served):"
  echo
  echo '```'
  for f in "$LOGS"/wrk-*.txt; do echo "$(basename "$f" .txt): $(grep -E '^(statuses|errors)' "$f" | tr '\n' ' ')"; done
  echo '```'
} >"$REPORT"
cat "$REPORT"
if ((SAVE)); then cp "$REPORT" "$ROOT/bench/results/roads-latest.md"; fi
