#!/usr/bin/env bash
# Fuzzes every parser of outside input with cargo-fuzz (libFuzzer) for a set time each and
# reports executions and findings (issue 9).
#
# Usage: bench/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]     (default 60 s, every target)
#
# cargo-fuzz needs nightly-only flags; the toolchain is stable, so RUSTC_BOOTSTRAP=1 lets
# stable rustc accept them. The address sanitizer's runtime ships only with nightly
# toolchains, so the targets run with `--sanitizer none` (safe Rust: a panic is the finding;
# `unsafe` is forbidden in the crates under test). Install once: `cargo install cargo-fuzz`.
# Builds go to fuzz/target (its own target directory; debug-assertions on, optimised).
# Crashes land in fuzz/artifacts/<target>/; copy a fixed one into fuzz/corpus/<target>/ so
# tests/fuzz_corpus.rs keeps it fixed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECS=${1:-60}
shift || true
ALL=(form_definition form_answers zengin_read line_webhook oidc_response debit_bills_csv banks_import postal_csv bank_return)
# Planned targets (add the body to fuzz/targets.rs when the module lands):
#   roads_geojson   GeoJSON import of the 道路台帳 (src/roads, issue 8)
#   roads_shapefile Shapefile import of the 道路台帳 (src/roads, issue 8)
TARGETS=("${@:-${ALL[@]}}")
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi
export RUSTC_BOOTSTRAP=1
cd "$ROOT/fuzz"
cargo fuzz build --sanitizer none "${TARGETS[@]/#/}" 2>&1 | tail -3 || true
REPORT=$(mktemp)
printf '| target | seconds | executions | exec/s | corpus | findings |\n|---|---|---|---|---|---|\n' > "$REPORT"
FAILED=0
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    before=$(ls "artifacts/$t" | wc -l)
    log=$(mktemp)
    set +e
    cargo fuzz run --sanitizer none "$t" "corpus/$t" -- -max_total_time="$SECS" -print_final_stats=1 \
        -rss_limit_mb=2048 -max_len=65536 >"$log" 2>&1
    rc=$?
    set -e
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
    rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}' | tail -1)
    after=$(ls "artifacts/$t" | wc -l)
    found=$((after - before))
    corpus=$(ls "corpus/$t" | wc -l)
    if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
        FAILED=1
        echo "== $t: exit $rc, $found new artifacts; log tail:" >&2
        tail -30 "$log" >&2
    fi
    printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$SECS" "${execs:-?}" "${rate:-?}" "$corpus" "$found" >> "$REPORT"
    rm -f "$log"
done
cat "$REPORT"
rm -f "$REPORT"
exit $FAILED
