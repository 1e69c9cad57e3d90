#!/usr/bin/env bash
# Starts the demo city hall: SQLite in ./data (or --data-dir), migrations, demo municipalities and
# accounts (password demo-password-2026), then serves on 127.0.0.1:8080 unless --addr is given.
# Extra arguments go to `madoguchi demo`, e.g.: scripts/demo.sh --addr 127.0.0.1:3000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo run --release --bin madoguchi -- demo "$@"
