#!/usr/bin/env bash
# Installs node modules when they are missing or older than package-lock.json.
# `npm install` (not `npm ci`): npm 11 refuses `ci` when the lock lacks other platforms'
# optional binaries (@swc/core-*), which it does not record; `install` honours the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing node modules…"
  npm install --no-fund --no-audit --loglevel=error
fi
