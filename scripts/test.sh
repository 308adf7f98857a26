#!/usr/bin/env bash
# `npm test`: installs what is missing, then lint, format, types, build, and every test tier.
# No --forceExit: every test closes what it opens (apps, pools, Redis clients, processes,
# servers), so jest exits by itself; a leak shows as "Jest did not exit", and
# `npx jest --detectOpenHandles <file>` names the handle.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/ensure-services.sh

# A clean clone must install with `npm ci` (npm 11 refuses a lockfile that lacks any
# platform's optional packages): checked against the lockfile without touching node_modules.
echo "== lockfile (npm ci)"; npm ci --dry-run --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
echo "== lint"; npx eslint . --max-warnings=0
echo "== import cycles"; node scripts/check-cycles.mjs && node scripts/check-cycles.mjs apps/connector/src
echo "== format"; npx prettier --check . --log-level warn
echo "== build (typecheck + compile)"; npx tsc -p tsconfig.json --noEmit && npm run -s build
echo "== unit"; npx jest --selectProjects unit --ci
echo "== integration"; npx jest --selectProjects int --ci --runInBand
echo "== end to end"; npx jest --selectProjects e2e --ci --runInBand
