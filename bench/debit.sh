#!/usr/bin/env bash
# Web口座振替 bench (issue 6): a 全銀 種別91 export and a result import of N debits, end to end
# including the database, on SQLite and on a throwaway PostgreSQL cluster. Target: 200,000
# records/s or more for each (reported as "× target").
#
# Usage: bench/debit.sh [--records N] [--no-sqlite] [--no-postgres]
# Environment:
#   MADOGUCHI_BIN  binary (default: target/release/madoguchi if it has the bench, else target/debug/madoguchi;
#                  the report says which)
#   BENCH_TMPDIR   where the databases live (default /tmp; not tmpfs if you want the disk measured)
#   PG_BIN         PostgreSQL bin dir (default: newest /usr/lib/postgresql/*/bin)
# Runs `madoguchi debit bench --records N` (see crates/madoguchi/src/debit/bench.rs). Every
# process it starts is stopped on exit; the data directories are deleted.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RECORDS=100000
DO_SQLITE=1
DO_PG=1
while (($#)); do
  case $1 in
    --records) RECORDS=${2:?--records needs a number}; shift ;;
    --no-sqlite) DO_SQLITE=0 ;;
    --no-postgres) DO_PG=0 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
BIN=${MADOGUCHI_BIN:-}
if [[ -z $BIN ]]; then
  # The release binary only when it is new enough to have the bench.
  if "$ROOT/target/release/madoguchi" debit bench --help >/dev/null 2>&1; then
    BIN=$ROOT/target/release/madoguchi
  else
    BIN=$ROOT/target/debug/madoguchi
  fi
fi
[[ -x $BIN ]] || { echo "no binary at $BIN (cargo build --bin madoguchi)" >&2; exit 1; }
# madoguchi reads every MADOGUCHI_* variable as configuration (`bin` is not a key): keep it out.
unset MADOGUCHI_BIN
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/madoguchi-debit-bench.XXXXXX")
chmod 755 "$WORK" # the postgres user must reach its cluster inside
PGDATA_DIR=
as_pg() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [[ -n $PGDATA_DIR && -f $PGDATA_DIR/postmaster.pid ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
echo "# debit bench: $RECORDS debits, binary $BIN ($(basename "$(dirname "$BIN")") build), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if ((DO_SQLITE)); then
  echo "## SQLite (WAL, synchronous=FULL) in $WORK"
  MADOGUCHI_LOG=warn "$BIN" debit bench --records "$RECORDS" --database-url "sqlite://$WORK/sqlite/madoguchi.db"
fi
if ((DO_PG)); then
  [[ -x $PG_BIN/initdb ]] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  mkdir -p "$WORK/pg"
  if [[ $EUID -eq 0 ]]; then chown postgres: "$WORK/pg"; fi
  PGDATA_DIR=$WORK/pg/data
  as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 ||
    { cat "$WORK/initdb.log" >&2; exit 1; }
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pg/server.log" -w -t 60 \
    -o "-k $WORK/pg -c listen_addresses='' -c fsync=on -c synchronous_commit=on" start >/dev/null
  as_pg "$PG_BIN/createdb" -h "$WORK/pg" -U postgres madoguchi
  echo "## PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (fsync=on, unix socket)"
  MADOGUCHI_LOG=${MADOGUCHI_LOG:-warn} "$BIN" debit bench --records "$RECORDS" \
    --database-url "postgres://postgres@localhost/madoguchi?host=$WORK/pg"
fi
