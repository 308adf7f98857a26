#!/usr/bin/env bash
# Stops what `npm run demo` started (broker, connector, identity provider, demo target cluster).
set -uo pipefail
cd "$(dirname "$0")/.."
DEMO=.demo
for p in connector broker idp; do
  if [ -f "$DEMO/$p.pid" ]; then kill "$(cat "$DEMO/$p.pid")" 2>/dev/null && echo "stopped $p"; rm -f "$DEMO/$p.pid"; fi
done
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -f "$DEMO/pgdata/PG_VERSION" ]; then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DEMO/pgdata" stop -m fast >/dev/null 2>&1
  else "$PGBIN/pg_ctl" -D "$DEMO/pgdata" stop -m fast >/dev/null 2>&1; fi && echo "stopped the demo target"
fi
exit 0
