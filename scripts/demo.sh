#!/usr/bin/env bash
# Starts the demo city hall: SQLite in ./data (or --data-dir), migrations, demo municipalities and
# accounts (password demo-password-2026), then serves on 127.0.0.1:8080 unless --addr is given.
# Extra arguments go to `madoguchi demo`, e.g.: scripts/demo.sh --addr 127.0.0.1:3000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# PDF receipts and notices need a Japanese font (docs/documents.md); install it when missing.
if ! dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed'; then
  echo "installing fonts-noto-cjk (Japanese font for PDF documents)"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-noto-cjk
fi
exec cargo run --release --bin madoguchi -- demo "$@"
