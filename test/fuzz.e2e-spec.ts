import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { FakeSlack } from './support/fake-slack';
import { createWorld, type World } from './support/fixtures';
import { AppProcess } from './support/processes';
import { slackSignature } from './support/slack-driver';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';

jest.setTimeout(300_000);

const TOTAL = Number(process.env.FUZZ_TOTAL ?? 10_000);
const CONCURRENCY = 48;
const SECRET = 'fuzz-signing-secret-0123456789';

/** Deterministic randomness: a failure is reproducible from FUZZ_SEED. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE = [
  "'; DROP ROLE postgres; --",
  'x" OR "1"="1',
  '"; CREATE ROLE pwned SUPERUSER LOGIN; --',
  '$(touch /tmp/doorman-pwned)',
  '`id`',
  '| cat /etc/passwd',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  '\ud800',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '🧨💥'.repeat(20),
  'Ä'.repeat(64),
  ' ',
  '',
  'null',
  '{{7*7}}',
  '${jndi:ldap://127.0.0.1/x}',
  '<script>alert(1)</script>',
  'a'.repeat(70),
  '1e309',
  '-0',
  'NaN',
  '30s; DROP',
  '99999999d',
  '-5m',
];

/**
 * Ten thousand malformed or hostile inputs to the REST API and the Slack endpoint: no 5xx, no
 * crash, and not a single role created or changed in the target database.
 */
describe('fuzzing the edges', () => {
  let target: TargetPostgres;
  let env: BrokerTestEnv;
  let app: INestApplication;
  let slack: FakeSlack;
  let connector: AppProcess;
  let url: string;
  let w: World;
  let routes: Array<{ method: string; path: string }>;

  const rolesSnapshot = async () =>
    (
      await target.query<{ r: string }>(
        `SELECT string_agg(format('%s|%s|%s|%s|%s|%s', r.rolname, r.rolcanlogin, r.rolsuper, r.rolvaliduntil, r.rolpassword IS NOT NULL,
                  (SELECT string_agg(g.rolname, ',' ORDER BY g.rolname) FROM pg_auth_members m JOIN pg_authid g ON g.oid = m.roleid WHERE m.member = r.oid)), E'\\n' ORDER BY r.rolname) AS r
           FROM pg_authid r`,
      )
    ).rows[0].r;

  beforeAll(async () => {
    target = await startTargetPostgres();
    await target.createDatabase('app');
    slack = await FakeSlack.start('xoxb-fuzz-token');
    env = await createBrokerTestEnv({
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-fuzz-token',
      SLACK_API_URL: slack.url,
      LOG_LEVEL: 'silent',
    });
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const admin = new ApiClient(url, env.adminToken);
    w = await createWorld(admin, { host: '127.0.0.1', port: target.port });
    connector = AppProcess.start('connector', 'apps/connector/src/main.js', {
      REDIS_URL: env.env.REDIS_URL,
      REDIS_PREFIX: env.redisPrefix,
      CONNECTOR_ID: w.connectorId,
      TARGET_DATABASE_URL: target.superuserUrl('postgres'),
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: target.caFile,
      BROKER_SEAL_PUBLIC_KEY: env.env.BROKER_SEAL_PUBLIC_KEY,
      HEARTBEAT_INTERVAL_MS: '1000',
    });
    await waitFor(
      'the connector',
      async () => (await admin.get('/health')).body.connectors?.[0]?.healthy === true,
      30000,
      200,
    );
    const doc = (await admin.as(undefined).get('/api/docs-json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })),
    );
  });

  afterAll(async () => {
    if (process.env.E2E_DEBUG)
      process.stdout.write(`--- connector\n${connector?.lines.slice(-30).join('\n')}\n`);
    await connector?.stop();
    await app?.close();
    await slack?.close();
    await env?.dispose();
    await target?.stop();
  });

  it(`survives ${TOTAL} hostile inputs with no 5xx and no change to the target's roles`, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261121);
    const rnd = mulberry32(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const str = (): string =>
      rnd() < 0.6
        ? pick(HOSTILE)
        : Array.from({ length: Math.floor(rnd() * 40) }, () =>
            String.fromCharCode(Math.floor(rnd() * 0xffff)),
          ).join('');
    const value = (depth = 0): unknown => {
      const k = rnd();
      if (k < 0.35) return str();
      if (k < 0.45) return pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308]);
      if (k < 0.5) return pick([true, false, null]);
      if (k < 0.6 && depth < 4)
        return Array.from({ length: Math.floor(rnd() * 5) }, () => value(depth + 1));
      if (k < 0.75 && depth < 4)
        return Object.fromEntries(
          Array.from({ length: Math.floor(rnd() * 6) }, () => [
            pick([...FIELDS, str()]),
            value(depth + 1),
          ]),
        );
      return pick(IDS);
    };
    const FIELDS = [
      'integrationId',
      'database',
      'schema',
      'permission',
      'duration',
      'justification',
      'breakGlass',
      'name',
      'email',
      'roles',
      'reason',
      'yaml',
      'steps',
      '__proto__',
      'constructor',
    ];
    const IDS = [
      w.integrationId,
      w.flowId,
      w.alice.id,
      '00000000-0000-4000-8000-000000000000',
      'not-a-uuid',
      "1' OR '1'='1",
    ];
    const TOKENS = [
      env.adminToken,
      w.alice.token,
      w.security.token,
      w.bob.token,
      'garbage',
      undefined,
    ];

    // Lone surrogates cannot be URI-encoded: send raw invalid UTF-8 instead, hostile in its own way.
    const enc = (x: string) => {
      try {
        return encodeURIComponent(x);
      } catch {
        return '%ED%A0%80';
      }
    };
    const before = await rolesSnapshot();
    const counts = { total: 0, rest: 0, slack: 0, '2xx': 0, '4xx': 0, '5xx': 0 };
    const failures: string[] = [];
    const slow: string[] = [];
    // Each input draws all its randomness before its first await, so the inputs are the same
    // whatever the interleaving; CONCURRENCY requests are in flight at once.
    /**
     * A generous client timeout (the machine may be shared and busy: a slow answer is not a 5xx),
     * and one retry when the connection itself failed (a keep-alive socket the server had just
     * closed), so only the broker's answers are judged.
     */
    const send = async (target: string, init: RequestInit): Promise<Response> => {
      try {
        return await fetch(target, { ...init, signal: AbortSignal.timeout(30_000) });
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
        return fetch(target, { ...init, signal: AbortSignal.timeout(30_000) });
      }
    };
    const one = async () => {
      counts.total++;
      let status = 0;
      let what = '';
      const started = Date.now();
      try {
        if (rnd() < 0.15) {
          counts.slack++;
          const kind = rnd();
          const ts = Math.floor(Date.now() / 1000) - (rnd() < 0.1 ? 3600 : 0);
          const body =
            kind < 0.4
              ? new URLSearchParams({
                  command: '/access',
                  text: str(),
                  user_id: pick(['U0NOBODY', str()]),
                  trigger_id: str(),
                  team_id: 'T1',
                }).toString()
              : kind < 0.8
                ? new URLSearchParams({
                    payload: rnd() < 0.3 ? str() : JSON.stringify(value()),
                  }).toString()
                : JSON.stringify(value());
          const signed = rnd() < 0.7;
          const res = await send(`${url}/slack/events`, {
            method: 'POST',
            headers: {
              'content-type': kind < 0.8 ? 'application/x-www-form-urlencoded' : 'application/json',
              'x-slack-request-timestamp': String(ts),
              'x-slack-signature': signed
                ? slackSignature(SECRET, ts, body)
                : `v0=${'0'.repeat(64)}`,
            },
            body,
          });
          await res.arrayBuffer();
          status = res.status;
          what = `slack ${body.slice(0, 120)}`;
        } else {
          counts.rest++;
          const r = pick(routes);
          const path =
            r.path.replace(/\{[^}]+\}/g, () => enc(String(pick([...IDS, str()])))) +
            (rnd() < 0.3 ? `?${enc(str())}=${enc(str())}` : '');
          const token = pick(TOKENS);
          const raw =
            rnd() < 0.15
              ? pick(['{', '{"a":', '[1,2', '\u0000\u0001', 'x'.repeat(150_000), '{"a":1}{"b":2}'])
              : JSON.stringify(value());
          const method = rnd() < 0.1 ? pick(['PATCH', 'DELETE', 'PUT', 'POST', 'GET']) : r.method;
          const res = await send(`${url}${path}`, {
            method,
            headers: {
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              'content-type': rnd() < 0.9 ? 'application/json' : 'text/plain',
            },
            body: method === 'GET' ? undefined : raw,
          });
          await res.arrayBuffer();
          status = res.status;
          what = `${method} ${path} ${raw.slice(0, 120)}`;
        }
      } catch (e) {
        status = 599;
        what = `${what} threw ${e instanceof Error ? e.message : String(e)}`;
      }
      if (Date.now() - started > 2000 && slow.length < 10)
        slow.push(`${Date.now() - started}ms ${what.slice(0, 200)}`);
      counts[status >= 500 ? '5xx' : status >= 400 ? '4xx' : '2xx']++;
      if (status >= 500 && failures.length < 20) failures.push(`${status} ${what}`);
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < TOTAL) await one();
      }),
    );
    // Let anything the inputs might have set in motion reach the connector.
    await new Promise((r) => setTimeout(r, 2000));
    const after = await rolesSnapshot();
    process.stdout.write(
      `fuzz summary (seed ${seed}): ${counts.total} inputs, ${counts.rest} REST, ${counts.slack} Slack; ${counts['2xx']} 2xx, ${counts['4xx']} 4xx, ${counts['5xx']} 5xx; target roles ${after === before ? 'unchanged' : 'CHANGED'}\n`,
    );
    if (slow.length) process.stdout.write(`slow inputs:\n${slow.join('\n')}\n`);
    expect(failures).toEqual([]);
    expect(counts['5xx']).toBe(0);
    expect(after).toBe(before);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(connector.running).toBe(true);
  });
});
