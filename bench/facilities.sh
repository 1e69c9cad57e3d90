#!/usr/bin/env bash
# Facility bookings per second, with and without contention, as ratios to the machine's
# ceilings (the same ceilings bench/run.sh measures):
#   A  static response: `madoguchi ceiling` under wrk -c64                      -> req/s
#   B  durable commits: pg_test_fsync, fdatasync of one 8 kB write, on BENCH_TMPDIR -> commits/s
# then `madoguchi demo` on SQLite (and on PostgreSQL unless --no-postgres) with
# `madoguchi facilities bench-setup` (registered residents with tokens, rules lifted):
#   spread      POST /api/v1/reservations, every request a different free slot (wrk -c8, -c32):
#               each is one durable booking transaction -> bookings/s, ratio to B and to A
#   contention  every request the same slot (wrk -c32): one 201, the rest 409 overlap
#               -> answers/s, ratio to A; checks that exactly one booking was made
#
# Usage: MADOGUCHI_BIN=target/release/madoguchi bench/facilities.sh [--duration SECS] [--no-postgres]
# Environment: MADOGUCHI_BIN (default target/release/madoguchi; this script never builds),
#   BENCH_TMPDIR (default /tmp), PG_BIN (default: newest /usr/lib/postgresql/*/bin).
# Only talks to 127.0.0.1; stops every process it started. The report goes to stdout and to
# $BENCH_TMPDIR/madoguchi-bench-facilities.md. A debug binary gives correct answers but slow
# figures: for smoke tests only.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${MADOGUCHI_BIN:-$ROOT/target/release/madoguchi}
unset MADOGUCHI_BIN # every MADOGUCHI_* variable is configuration for the server
DURATION=10
DO_PG=1
while (($#)); do
  case $1 in
    --duration) DURATION=${2:?}; shift ;;
    --no-postgres) DO_PG=0 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -x $BIN ]] || { echo "binary not found: $BIN (set MADOGUCHI_BIN)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/madoguchi-bench-facilities.XXXXXX")
REPORT=${BENCH_TMPDIR:-/tmp}/madoguchi-bench-facilities.md
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  if [[ -n ${PGDATA_DIR:-} && -d ${PGDATA_DIR:-} ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '[bench-facilities] %s\n' "$*" >&2; }
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # PID URL
  for _ in $(seq 1 600); do
    kill -0 "$1" 2>/dev/null || { echo "server exited:" >&2; tail -n 20 "$WORK"/demo-*.log "$WORK"/ceiling.log >&2 2>/dev/null; return 1; }
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $2" >&2; return 1
}
# wrk_rps NAME CONNS URL [script env…]: prints requests/s; the wrk output is kept in $WORK/NAME.txt
wrk_rps() {
  local name=$1 conns=$2 url=$3; shift 3
  env "$@" wrk -t2 -c"$conns" -d"${DURATION}s" --latency ${SCRIPT:+-s "$SCRIPT"} "$url" >"$WORK/$name.txt" 2>&1
  awk '/^Requests\/sec:/ {print $2}' "$WORK/$name.txt"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 |"); log "$1: $2 ($3, $4)"; }

# ---- ceilings
port=$(free_port)
MADOGUCHI_LOG=warn "$BIN" ceiling --addr "127.0.0.1:$port" >"$WORK/ceiling.log" 2>&1 &
PIDS+=($!); wait_http "$!" "http://127.0.0.1:$port/"
SCRIPT="" A=$(wrk_rps ceiling-static 64 "http://127.0.0.1:$port/")
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'
row "A static response (ceiling)" "$A req/s" "wrk -c64" "—"
B=""
if [[ -x $PG_BIN/pg_test_fsync ]]; then
  "$PG_BIN/pg_test_fsync" -s 3 -f "$WORK/fsync.out" >"$WORK/pg_test_fsync.txt" 2>&1 || true
  B=$(awk '/one 8kB write/ {f = 1} f && $1 == "fdatasync" {print $2; exit}' "$WORK/pg_test_fsync.txt")
  row "B fdatasync (ceiling)" "${B:-?} commits/s" "pg_test_fsync -s 3, $(stat -f -c %T "$WORK")" "—"
fi

# ---- one backend: NAME and the demo arguments
bench_backend() {
  local name=$1; shift
  local port setup_args=("$@")
  port=$(free_port)
  MADOGUCHI_LOG=warn "$BIN" demo --addr "127.0.0.1:$port" "$@" >"$WORK/demo-$name.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  wait_http "$pid" "http://127.0.0.1:$port/readyz"
  "$BIN" facilities bench-setup --users 32 --yes-throwaway --out "$WORK/setup-$name" "${setup_args[@]}" >/dev/null
  local url="http://127.0.0.1:$port/api/v1/reservations" offset=0 c rps made
  SCRIPT=$ROOT/bench/facilities.lua
  for c in 8 32; do
    rps=$(wrk_rps "$name-spread-c$c" "$c" "$url" BENCH_DIR="$WORK/setup-$name" BENCH_MODE=spread BENCH_OFFSET=$offset)
    made=$(awk '/^created/ {print $2}' "$WORK/$name-spread-c$c.txt")
    local secs; secs=$(awk -v n="$made" -v d="$DURATION" 'BEGIN { printf "%.1f", n / d }')
    row "$name bookings, no contention (c$c)" "$secs bookings/s (wrk $rps req/s; $(grep -c '^status' "$WORK/$name-spread-c$c.txt") status kinds: $(grep -E '^(status|reason)' "$WORK/$name-spread-c$c.txt" | tr '\n' ' '))" "$(ratio "$secs" "$B") of B" "$(ratio "$secs" "$A") of A"
    offset=$((offset + 4000))
  done
  rps=$(wrk_rps "$name-contention" 32 "$url" BENCH_DIR="$WORK/setup-$name" BENCH_MODE=contention BENCH_OFFSET=$((offset + 4000)))
  made=$(awk '/^created/ {print $2}' "$WORK/$name-contention.txt")
  local verdict="exactly one booking"
  [[ $made == 1 ]] || verdict="WRONG: $made bookings of one slot"
  row "$name one slot, contention (c32)" "$rps answers/s ($verdict; $(grep '^status' "$WORK/$name-contention.txt" | tr '\n' ' '))" "—" "$(ratio "$rps" "$A") of A"
  [[ $made == 1 ]] || FAILED=1
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

FAILED=0
bench_backend sqlite --data-dir "$WORK/sqlite"
if ((DO_PG)) && [[ -x $PG_BIN/initdb ]]; then
  PGDATA_DIR=$WORK/pg/data
  mkdir -p "$WORK/pg"; chmod 755 "$WORK"; [[ $(id -u) == 0 ]] && chown postgres: "$WORK/pg"
  as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; exit 1; }
  pgport=$(free_port)
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pg/server.log" -w -t 60 \
    -o "-p $pgport -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" start >/dev/null || { cat "$WORK/pg/server.log" >&2; exit 1; }
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$pgport" -U postgres madoguchi
  dburl="postgres://postgres@127.0.0.1:$pgport/madoguchi"
  bench_backend postgres --database-url "$dburl"
fi

{
  echo "# Facility bookings ($(date -u +%F), $(nproc) CPUs, binary $BIN, ${DURATION}s per run)"
  echo
  echo "| what | figure | ratio | ratio |"
  echo "|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$REPORT"
exit "$FAILED"
