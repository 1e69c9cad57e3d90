#!/usr/bin/env bash
# Fuzzes every parser of outside input with cargo-fuzz (libFuzzer) for a set time each and
# reports executions and findings (issue 9).
#
# Usage: bench/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]     (default 60 s, every target)
#
# cargo-fuzz needs nightly-only flags; the toolchain is stable, so RUSTC_BOOTSTRAP=1 lets
# stable rustc accept them. The targets run with `--sanitizer none` by default (safe Rust: a
# panic, abort or timeout is the finding; `unsafe` is forbidden in the crates under test);
# SANITIZER=address asks for ASan (stable rust-std ships its runtime; a full rebuild). Install once: `cargo install cargo-fuzz`.
# Builds go to fuzz/target (its own target directory; debug-assertions on, optimised).
# The committed seeds (fuzz/corpus/<target>/) are read, never written: libFuzzer keeps the
# inputs it finds in fuzz/work/<target>/ (a scratch corpus, reused by the next run).
# Crashes land in fuzz/artifacts/<target>/; copy a fixed one into fuzz/corpus/<target>/ so
# tests/fuzz_corpus.rs keeps it fixed. The table reports executions, exec/s, the coverage
# libFuzzer reached (cov: edges, ft: features) and the number of new crash artifacts.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECS=${1:-60}
shift || true
ALL=(form_definition form_answers zengin_read line_webhook oidc_response debit_bills_csv banks_import postal_csv bank_return roads_geojson roads_shapefile)
TARGETS=("${@:-${ALL[@]}}")
# SANITIZER=address for ASan (needs a toolchain that ships its runtime); default none.
SANITIZER=${SANITIZER:-none}
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi
export RUSTC_BOOTSTRAP=1
cd "$ROOT/fuzz"
for t in "${TARGETS[@]}"; do
    cargo fuzz build --sanitizer "$SANITIZER" "$t" 2>&1 | tail -3
done
REPORT=$(mktemp)
printf '| target | seconds | executions | exec/s | cov | ft | seeds | corpus after | findings |\n|---|---|---|---|---|---|---|---|---|\n' > "$REPORT"
FAILED=0
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t" "work/$t"
    before=$(ls "artifacts/$t" | wc -l)
    log=$(mktemp)
    set +e
    cargo fuzz run --sanitizer "$SANITIZER" "$t" "work/$t" "corpus/$t" -- -max_total_time="$SECS" \
        -print_final_stats=1 -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
        >"$log" 2>&1
    rc=$?
    set -e
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
    rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}' | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    after=$(ls "artifacts/$t" | wc -l)
    found=$((after - before))
    seeds=$(ls "corpus/$t" | wc -l)
    corpus=$(ls "work/$t" | wc -l)
    if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
        FAILED=1
        echo "== $t: exit $rc, $found new artifacts; log tail:" >&2
        tail -30 "$log" >&2
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$SECS" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "$seeds" "$corpus" "$found" >> "$REPORT"
    rm -f "$log"
done
cat "$REPORT"
rm -f "$REPORT"
exit $FAILED
