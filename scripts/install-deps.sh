#!/usr/bin/env bash
# Installs node modules when they are missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing node modules…"
  npm ci --no-fund --no-audit --loglevel=error
fi
