#!/usr/bin/env bash
# Crash safety (issue 9): SIGKILL `madoguchi serve` at random moments under a load of
# concurrent submissions, KILLS times per database (default 50), and check after every restart
# that each acknowledged write is stored intact and `madoguchi audit verify` passes.
# It runs tests/crash.rs with MADOGUCHI_CRASH_KILLS (the test suite's default is 20).
#
# Usage: bench/crash.sh [KILLS]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$PATH:$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
cd "$ROOT"
MADOGUCHI_CRASH_KILLS=${1:-50} cargo test -p madoguchi --test crash -- --nocapture --test-threads=1 2>&1 \
    | grep -E "kills survived|test result|panicked|FAILED" 
