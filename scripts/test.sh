#!/usr/bin/env bash
# Runs every Madoguchi test: formatting, clippy, unit + storage tests (SQLite and PostgreSQL),
# and the browser end-to-end suite.
#
# Works on a fresh Debian 12 machine that has the Rust toolchain: missing Debian packages
# (postgresql, chromium, fonts-noto-cjk, nodejs/npm) are installed first, with sudo when not
# running as root. Stops at the first failing step. Non-interactive, so fine under CI=true.
#
# Usage: scripts/test.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$(pwd)

export DEBIAN_FRONTEND=noninteractive
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"
# playwright-core never downloads browsers, but make sure nothing else tries either.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
if [[ "${CI:-}" == "true" ]]; then
  export npm_config_progress=false
  export CARGO_TERM_PROGRESS_WHEN=never
fi

SCRIPT_START=$SECONDS
CURRENT_STEP="setup"
STEP_START=$SECONDS
SUMMARY=()

header() {
  CURRENT_STEP="$1"
  STEP_START=$SECONDS
  printf '\n==============================================================================\n'
  printf '== %s\n' "$1"
  printf '==============================================================================\n'
}

done_step() {
  local took=$((SECONDS - STEP_START))
  SUMMARY+=("${CURRENT_STEP}: ${took}s")
  printf -- '-- %s: ok (%ss)\n' "$CURRENT_STEP" "$took"
}

on_exit() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    printf '\n== SUMMARY: FAILED at step "%s" (exit %s) after %ss' "$CURRENT_STEP" "$rc" "$((SECONDS - SCRIPT_START))"
    if [[ ${#SUMMARY[@]} -gt 0 ]]; then
      printf ' — passed before it: %s' "$(IFS=';'; echo "${SUMMARY[*]}" | sed 's/;/, /g')"
    fi
    printf '\n'
  fi
}
trap on_exit EXIT

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

pg_bindir() {
  local d
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir 2>/dev/null || true)
    if [[ -n "$d" && -x "$d/initdb" ]]; then
      echo "$d"
      return 0
    fi
  fi
  for d in /usr/lib/postgresql/*/bin; do
    if [[ -x "$d/initdb" ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
header "system packages (postgresql, chromium, fonts-noto-cjk, nodejs/npm)"
missing=()
pg_bindir >/dev/null || missing+=(postgresql)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
# Japanese glyphs for screenshots.
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed' || missing+=(fonts-noto-cjk)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing: ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "all present"
fi
PG_BINDIR=$(pg_bindir) || { echo "error: PostgreSQL server binaries (initdb) not found after install" >&2; exit 1; }
# The storage tests start a throwaway PostgreSQL cluster; make initdb/pg_ctl findable.
export PATH="$PATH:$PG_BINDIR"
node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
  # Debian 12 ships Node 18; the e2e suite (playwright-core, mailparser) needs 20+. The npm
  # registry's `node` package carries an official Node 20 binary: install it under target/
  # (rebuildable, git-ignored) and put it first on PATH for this run.
  echo "Node $(node --version) is older than 20: installing node@20 from the npm registry into target/node"
  mkdir -p "$REPO_ROOT/target/node"
  npm install --prefix "$REPO_ROOT/target/node" --no-audit --no-fund node@20
  export PATH="$REPO_ROOT/target/node/node_modules/.bin:$PATH"
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if ((node_major < 20)); then
    echo "error: could not provide Node.js >= 20 (found $(node --version))" >&2
    exit 1
  fi
fi
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    if command -v rustup >/dev/null 2>&1; then
      rustup component add "$component"
    else
      echo "error: cargo ${component} is missing and rustup is not available to add it" >&2
      exit 1
    fi
  fi
done
echo "rust: $(rustc --version)"
echo "node: $(node --version), npm: $(npm --version)"
echo "postgresql: $PG_BINDIR"
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
done_step

# ---------------------------------------------------------------------------------------------
header "cargo fmt --all -- --check"
cargo fmt --all -- --check
done_step

header "cargo clippy --all-targets --locked -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings
done_step

header "cargo test --workspace --locked (storage on SQLite and PostgreSQL)"
cargo test --workspace --locked
done_step


# ---------------------------------------------------------------------------------------------
header "e2e: npm install"
cd "$REPO_ROOT/e2e"
if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
done_step

header "e2e: npm test (Chromium, axe-core, SMTP sink)"
# The e2e suite drives the dev-profile binary that `cargo test` has just built (the same code as
# the release build; building release as well would add ~15 minutes to a cold CI run on 2 cores).
# Set E2E_SERVER_BIN to test another binary, e.g. target/release/madoguchi.
E2E_SERVER_BIN="${E2E_SERVER_BIN:-$REPO_ROOT/target/debug/madoguchi}" npm test
done_step
cd "$REPO_ROOT"

printf '\n== SUMMARY: all %s steps passed in %ss — %s\n' "${#SUMMARY[@]}" "$((SECONDS - SCRIPT_START))" \
  "$(IFS=';'; echo "${SUMMARY[*]}" | sed 's/;/, /g')"
