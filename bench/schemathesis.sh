#!/usr/bin/env bash
# API fuzzing (issue 9): schemathesis against /api/v1/openapi.json of a running
# `madoguchi demo`, with a bearer token of a demo resident: no 5xx, responses conform to the
# schema (status codes, content types, bodies), every operation.
#
# Usage: bench/schemathesis.sh [MAX_EXAMPLES]      (default 50 per operation)
# Environment: MADOGUCHI_BIN (default target/debug/madoguchi), SCHEMATHESIS_TOKEN_EMAIL
#   (default hanako@example.jp), PORT (default 18181), ST_MAX_TIME (seconds, default 600).
# schemathesis is installed with pip into a venv under target/schemathesis-venv.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAX=${1:-50}
BIN=${MADOGUCHI_BIN:-$ROOT/target/debug/madoguchi}
EMAIL=${SCHEMATHESIS_TOKEN_EMAIL:-hanako@example.jp}
PORT=${PORT:-18181}
VENV=$ROOT/target/schemathesis-venv
if [ ! -x "$VENV/bin/st" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
DATA=$(mktemp -d)
cleanup() {
    [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$DATA"
}
trap cleanup EXIT
for k in $(env | grep -o '^MADOGUCHI_[A-Z_]*'); do unset "$k"; done
"$BIN" demo --addr "127.0.0.1:$PORT" --data-dir "$DATA" >"$DATA/demo.log" 2>&1 &
PID=$!
for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.5
done
TOKEN=$("$BIN" admin token create --data-dir "$DATA" --email "$EMAIL" --scope '*' 2>/dev/null)
set +e
"$VENV/bin/st" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
    --url "http://127.0.0.1:$PORT" \
    --header "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "$MAX" \
    --report junit --report-dir "$DATA/report" --max-time "${ST_MAX_TIME:-600}" \
    2>&1 | tee "$DATA/st.log"
RC=${PIPESTATUS[0]}
set -e
grep -qi "error\|panicked" "$DATA/demo.log" && grep -i "panicked" "$DATA/demo.log" | head -5 >&2
exit "$RC"
