#!/usr/bin/env bash
# `npm run demo`: everything needed to try Doorman on this machine, in one command.
# Installs what is missing, makes sure PostgreSQL and Redis run, starts a throwaway target
# PostgreSQL (scram-sha-256 + TLS) under .demo/, migrates and seeds the broker, starts the
# broker and connector in the background, and prints what to try next.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DEMO="$ROOT/.demo"
PORT="${DEMO_PORT:-8080}"
TARGET_PORT="${DEMO_TARGET_PORT:-55432}"
IDP_PORT="${DEMO_IDP_PORT:-8090}"
mkdir -p "$DEMO"

bash scripts/install-deps.sh
bash scripts/ensure-services.sh
[ -f dist/apps/broker/src/main.js ] && [ -z "$(find apps libs scripts -newer dist/apps/broker/src/main.js -name '*.ts' | head -1)" ] || npm run -s build

bash scripts/demo-stop.sh >/dev/null 2>&1 || true

# --- the demo target: its own cluster, passwords really checked --------------------------
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ ! -f "$DEMO/pgdata/PG_VERSION" ]; then
  echo "creating the demo target cluster…"
  rm -rf "$DEMO/pgdata"; mkdir -p "$DEMO/pgdata"
  openssl rand -hex 16 > "$DEMO/target-password"
  [ "$(id -u)" = 0 ] && chown -R postgres "$DEMO/pgdata" && chmod 755 "$DEMO" && cp "$DEMO/target-password" "$DEMO/pwfile" && chown postgres "$DEMO/pwfile"
  run_pg "$PGBIN/initdb" -D "$DEMO/pgdata" -U postgres --pwfile="$DEMO/pwfile" --auth-host=scram-sha-256 --auth-local=scram-sha-256 >/dev/null
  rm -f "$DEMO/pwfile"
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$DEMO/pgdata/server.key" -out "$DEMO/pgdata/server.crt" 2>/dev/null
  chmod 600 "$DEMO/pgdata/server.key"
  [ "$(id -u)" = 0 ] && chown postgres "$DEMO/pgdata/server.key" "$DEMO/pgdata/server.crt"
  cat >> "$DEMO/pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $TARGET_PORT
unix_socket_directories = ''
ssl = on
password_encryption = 'scram-sha-256'
CONF
fi
TARGET_PASSWORD="$(cat "$DEMO/target-password")"
TARGET_URL="postgres://postgres:${TARGET_PASSWORD}@127.0.0.1:${TARGET_PORT}"
if ! run_pg "$PGBIN/pg_ctl" -D "$DEMO/pgdata" status >/dev/null 2>&1; then
  run_pg "$PGBIN/pg_ctl" -D "$DEMO/pgdata" -l "$DEMO/pgdata/server.log" -w start >/dev/null
fi
PGPASSWORD="$TARGET_PASSWORD" psql "host=127.0.0.1 port=$TARGET_PORT user=postgres dbname=postgres" -qAtc \
  "SELECT 1 FROM pg_database WHERE datname = 'shop'" | grep -q 1 || {
  PGPASSWORD="$TARGET_PASSWORD" psql "host=127.0.0.1 port=$TARGET_PORT user=postgres dbname=postgres" -qc 'CREATE DATABASE shop'
  PGPASSWORD="$TARGET_PASSWORD" psql "host=127.0.0.1 port=$TARGET_PORT user=postgres dbname=shop" -qc \
    "CREATE TABLE public.orders (id serial PRIMARY KEY, item text NOT NULL, placed_at timestamptz DEFAULT now());
     INSERT INTO public.orders (item) VALUES ('book'), ('lamp'), ('pen');"
}

# --- the demo's identity provider: sign-in for alice, bob and sam in a browser ----------
# scripts/demo-idp.mjs is oidc-provider in memory (demo and tests only): passwords and the
# client secret are made once under .demo/, groups map onto Doorman roles below.
[ -f "$DEMO/idp.env" ] || {
  echo "IDP_CLIENT_SECRET=$(openssl rand -hex 24)"
  for who in ALICE BOB SAM; do echo "${who}_PASSWORD=$(openssl rand -hex 6)"; done
} > "$DEMO/idp.env"
. "$DEMO/idp.env"
DOORMAN_IDP_CONFIG="$(cat <<JSON
{ "port": $IDP_PORT,
  "clients": [{ "client_id": "doorman-demo", "client_secret": "$IDP_CLIENT_SECRET",
                "redirect_uris": ["http://127.0.0.1:$PORT/auth/callback"] }],
  "people": [
    { "login": "alice", "password": "$ALICE_PASSWORD", "email": "alice@demo.doorman", "name": "Alice Engineer", "groups": ["engineering"] },
    { "login": "bob", "password": "$BOB_PASSWORD", "email": "bob@demo.doorman", "name": "Bob Approver", "groups": ["engineering", "db-approvers"] },
    { "login": "sam", "password": "$SAM_PASSWORD", "email": "sam@demo.doorman", "name": "Sam Security Lead", "groups": ["security-team"] } ] }
JSON
)" nohup node scripts/demo-idp.mjs > "$DEMO/idp.log" 2>&1 &
echo $! > "$DEMO/idp.pid"
for _ in $(seq 1 40); do grep -q '^issuer ' "$DEMO/idp.log" && break; sleep 0.25; done
grep -q '^issuer ' "$DEMO/idp.log" || { echo "the identity provider did not start; see $DEMO/idp.log" >&2; tail -20 "$DEMO/idp.log" >&2; exit 1; }
export PUBLIC_URL="http://127.0.0.1:$PORT" OIDC_ISSUER_URL="http://127.0.0.1:$IDP_PORT" \
  OIDC_CLIENT_ID="doorman-demo" OIDC_CLIENT_SECRET="$IDP_CLIENT_SECRET" \
  OIDC_ROLE_MAP="engineering=requester,db-approvers=approver,security-team=security,security-team=auditor"

# --- the broker -------------------------------------------------------------------------
psql -h 127.0.0.1 -U postgres -d postgres -qAtc "SELECT 1 FROM pg_database WHERE datname = 'doorman_demo'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE doorman_demo'
[ -f "$DEMO/keys.env" ] || node dist/apps/broker/src/cli/keygen.js > "$DEMO/keys.env"
[ -f "$DEMO/admin-token" ] || openssl rand -hex 24 > "$DEMO/admin-token"
ADMIN_TOKEN="$(cat "$DEMO/admin-token")"
set -a; . "$DEMO/keys.env"; set +a
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/doorman_demo" REDIS_URL="redis://127.0.0.1:6379" \
  REDIS_PREFIX="{doorman-demo}" PORT="$PORT" BOOTSTRAP_ADMIN_TOKEN="$ADMIN_TOKEN"
nohup node dist/apps/broker/src/main.js > "$DEMO/broker.log" 2>&1 &
echo $! > "$DEMO/broker.pid"
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "http://127.0.0.1:$PORT/health" >/dev/null || { echo "broker did not start; see $DEMO/broker.log" >&2; tail -20 "$DEMO/broker.log" >&2; exit 1; }

node dist/scripts/demo-seed.js "http://127.0.0.1:$PORT" "$ADMIN_TOKEN" "$TARGET_PORT" > "$DEMO/seed.env"
. "$DEMO/seed.env"

# --- the connector: holds the target's superuser password; the broker never sees it ------
CONNECTOR_ID="$CONNECTOR_ID" TARGET_DATABASE_URL="$TARGET_URL/postgres" PGSSLMODE=require \
  nohup node dist/apps/connector/src/main.js > "$DEMO/connector.log" 2>&1 &
echo $! > "$DEMO/connector.pid"
for _ in $(seq 1 40); do
  curl -fs "http://127.0.0.1:$PORT/health" | grep -q '"healthy":true' && break; sleep 0.5
done

API="http://127.0.0.1:$PORT/api/v1"
cat <<MSG

Doorman is running.
  broker     http://127.0.0.1:$PORT   (OpenAPI: http://127.0.0.1:$PORT/api/docs)   log: .demo/broker.log
  connector  CONNECTOR_ID=$CONNECTOR_ID                                            log: .demo/connector.log
  target     PostgreSQL on 127.0.0.1:$TARGET_PORT, database "shop" (scram-sha-256, TLS)

Try it (alice asks, bob approves, alice gets a real login that ends by itself):
  export ALICE=$ALICE_TOKEN BOB=$BOB_TOKEN
  REQ=\$(curl -s -XPOST $API/access-requests -H "authorization: Bearer \$ALICE" -H 'content-type: application/json' \\
        -d '{"integrationId":"$INTEGRATION_ID","database":"shop","schema":"public","permission":"read","duration":"2m","justification":"demo"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).id')
  curl -s -XPOST $API/access-requests/\$REQ/approve -H "authorization: Bearer \$BOB"
  curl -s $API/access-requests/\$REQ -H "authorization: Bearer \$ALICE"            # ACTIVE within a moment
  curl -s -XPOST $API/access-requests/\$REQ/credentials -H "authorization: Bearer \$ALICE"
  psql "<connectionString from above>" -c 'select * from orders'                 # works for 2 minutes
  curl -s "$API/audit-events?requestId=\$REQ" -H "authorization: Bearer \$ALICE"

Sign in at http://127.0.0.1:$PORT/auth/login?returnTo=/console/ (a browser holds one session: one person per
  browser profile, or a normal and a private window)
  alice / $ALICE_PASSWORD   requester        bob / $BOB_PASSWORD   approver        sam / $SAM_PASSWORD   security lead
  identity provider http://127.0.0.1:$IDP_PORT (demo only)                         log: .demo/idp.log

Admin token: $ADMIN_TOKEN      Stop everything: npm run demo:stop
MSG
