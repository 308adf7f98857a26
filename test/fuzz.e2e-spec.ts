import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { ApiClient } from './support/api-client';
import { connectorHealthy, startBrokerApp, startConnectorProcess } from './support/apps';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { FakeSlack } from './support/fake-slack';
import { createWorld, type World } from './support/fixtures';
import { AppProcess } from './support/processes';
import { connectorJobsPending, outboxBacklog } from './support/queues';
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

/** Text PostgreSQL cannot store: each once reached the database as a 500. */
const UNSTORABLE = ['\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\ud83e', 'ok\u0000\ud800'];
/** Durations that passed the flow's maximum check but overflow PostgreSQL's integer. */
const HUGE_DURATIONS = ['9999999d', '24856d', '3651d', '87601h', '5256001m', '9999999h'];
/** Instants outside years 0001-9999 (PostgreSQL stops at 4713 BC; JavaScript reaches ±275760). */
const BAD_DATES = [
  '-200000-01-01T00:00:00Z',
  '+275000-01-01T00:00:00Z',
  '-004714-01-01T00:00:00Z',
  '10000-01-01',
  '0000-12-31T23:59:59Z',
];
const laughs = (depth: number) => {
  const rows = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < depth; i++) {
    const [x, y] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
    rows.push(`${x}: &${x} [${Array(9).fill(`*${y}`).join(', ')}]`);
  }
  return `version: 1\nx:\n  ${rows.join('\n  ')}\n`;
};
/** Policy files a parser can be made to choke on: aliases, alias bombs, escapes of the above. */
const BAD_YAML = [
  'version: 1\ngroups:\n  - name: *nowhere\n',
  laughs(4),
  laughs(9),
  'version: 1\ngroups:\n  - name: "bad\\0name"\n',
  'version: 1\ngroups:\n  - name: "\\ud800"\n',
  'version: 1\nusers:\n  - { email: "a\\0@x.io", name: n }\n',
  'version: 1\nflows:\n  - { name: f, integration: i, requestors: {}, resources: [{ role: "" }], defaultDuration: 1h, maxDuration: 2h }\n',
  'version: 1\nflows:\n  - { name: f, integration: i, requestors: {}, resources: [{ database: a, schema: b }], permissions: [read], defaultDuration: 1h, maxDuration: 9999999d }\n',
  'a: &a\n  b: *a\n',
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
  /** A registered connector no process serves: integrations made by the fuzzer go nowhere. */
  let idleConnectorId: string;

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
    let admin: ApiClient;
    ({ app, admin, url } = await startBrokerApp(env));
    w = await createWorld(admin, { host: '127.0.0.1', port: target.port });
    idleConnectorId = (await admin.post('/api/v1/connectors', { name: 'fuzz-idle' })).body.id;
    connector = startConnectorProcess(env, target, w.connectorId);
    await connectorHealthy(admin, w.connectorId);
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

    /**
     * Inputs of the classes that once gave 500s, each well formed but for one field,
     * so it reaches the code past validation that once failed. Every one must be refused (4xx).
     * Integrations go to a connector no process serves, so nothing reaches the target.
     */
    let made = 0;
    const fresh = (prefix: string) => `${prefix}-${seed}-${made++}`;
    const flowBody = (over: Record<string, unknown>) => ({
      name: fresh('fz-flow'),
      integrationId: w.integrationId,
      requestors: { userIds: [], groupIds: [] },
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['read'],
      approvers: { userIds: [w.bob.id] },
      defaultDuration: '1h',
      maxDuration: '2h',
      ...over,
    });
    const integrationBody = (over: Record<string, unknown>) => ({
      name: fresh('fz-pg'),
      connectorId: idleConnectorId,
      host: '127.0.0.1',
      databases: ['app'],
      ...over,
    });
    const ask = (over: Record<string, unknown>) => ({
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
      justification: 'fuzz',
      ...over,
    });
    const bad = () => pick(UNSTORABLE);
    type Call = { method: string; path: string; body?: unknown; token: string };
    const targeted = (): Call => {
      const admin = env.adminToken;
      const alice = w.alice.token;
      const cases: Array<() => Call> = [
        () => ({
          method: 'POST',
          path: '/api/v1/users',
          token: admin,
          body: pick([
            { email: `${fresh('u')}@x.io`, name: bad() },
            { email: `${bad()}${fresh('u')}@x.io`, name: 'n' },
          ]),
        }),
        () => ({ method: 'POST', path: '/api/v1/groups', token: admin, body: { name: bad() } }),
        () => ({ method: 'POST', path: '/api/v1/connectors', token: admin, body: { name: bad() } }),
        () => ({
          method: 'POST',
          path: '/api/v1/integrations',
          token: admin,
          body: integrationBody({
            [pick(['name', 'host', 'customAccessDetails'])]: bad(),
          }),
        }),
        () => ({
          method: 'POST',
          path: '/api/v1/access-flows',
          token: admin,
          body: flowBody(
            pick([
              { name: bad() },
              { resources: [{ role: bad() }], permissions: undefined },
              { resources: [{ role: '' }], permissions: undefined },
              { resources: [{ role: '' }, { database: 'app', schema: '' }] },
              { maxDuration: pick(HUGE_DURATIONS) },
              { pendingTtl: pick(HUGE_DURATIONS) },
              { extensions: { maxCount: 1, maxDuration: pick(HUGE_DURATIONS) } },
              {
                steps: [{ approvers: { userIds: [w.bob.id] }, timeout: pick(HUGE_DURATIONS) }],
                approvers: undefined,
              },
            ]),
          ),
        }),
        () => ({
          method: 'POST',
          path: '/api/v1/access-requests',
          token: alice,
          body: pick([
            ask({ justification: bad() }),
            ask({ duration: pick(HUGE_DURATIONS) }),
            ask({ schema: bad() }),
            { integrationId: w.integrationId, role: '', duration: '1h' },
            { integrationId: w.integrationId, role: bad(), duration: '1h' },
            ask({ [bad()]: 1 }),
          ]),
        }),
        () => ({
          method: 'POST',
          path: `/api/v1/users/${w.alice.id}/tokens`,
          token: admin,
          body: { name: bad() },
        }),
        () => ({
          method: 'POST',
          path: `/api/v1/integrations/${w.integrationId}/revoke-all`,
          token: admin,
          body: { reason: bad() },
        }),
        () => ({
          method: 'POST',
          path: `/api/v1/access-requests/${pick(IDS)}/deny`,
          token: w.bob.token,
          body: { reason: bad() },
        }),
        () => ({
          method: 'GET',
          token: admin,
          path: pick([
            `/api/v1/audit-events?${pick(['from', 'to'])}=${enc(pick(BAD_DATES))}`,
            `/api/v1/audit-events/export?from=${enc(pick(BAD_DATES))}`,
            `/api/v1/access-history?integrationId=${w.integrationId}&database=app&from=${enc(pick(BAD_DATES))}&to=2026-01-01`,
            `/api/v1/audit-events?action=${enc(bad().replace(/[\ud800-\udfff]/g, ''))}%00`,
            `/api/v1/access-requests?status=%00`,
          ]),
        }),
        () => ({
          method: 'POST',
          path: '/api/v1/policy/apply',
          token: pick([admin, w.security.token]),
          body: { yaml: pick(BAD_YAML), dryRun: rnd() < 0.5 },
        }),
      ];
      return pick(cases)();
    };
    /** The same thing created several times at once: one 201, the rest 409 from the unique index. */
    const burst = (): Call => {
      const make: Array<() => Call> = [
        () => ({
          method: 'POST',
          path: '/api/v1/users',
          token: env.adminToken,
          body: { email: `${fresh('twin')}@x.io`, name: 'Twin' },
        }),
        () => ({
          method: 'POST',
          path: '/api/v1/groups',
          token: env.adminToken,
          body: { name: fresh('fz-group') },
        }),
        () => ({
          method: 'POST',
          path: '/api/v1/connectors',
          token: env.adminToken,
          body: { name: fresh('fz-site') },
        }),
        () => ({
          method: 'POST',
          path: '/api/v1/integrations',
          token: env.adminToken,
          body: integrationBody({}),
        }),
        () => ({
          method: 'POST',
          path: '/api/v1/access-flows',
          token: env.adminToken,
          body: flowBody({}),
        }),
      ];
      return pick(make)();
    };

    // Lone surrogates cannot be URI-encoded: send raw invalid UTF-8 instead, hostile in its own way.
    const enc = (x: string) => {
      try {
        return encodeURIComponent(x);
      } catch {
        return '%ED%A0%80';
      }
    };
    const before = await rolesSnapshot();
    const counts = { total: 0, rest: 0, targeted: 0, slack: 0, '2xx': 0, '4xx': 0, '5xx': 0 };
    const failures: string[] = [];
    /** Targeted inputs answered other than they must be (accepted, or a burst not 201 + 4 × 409). */
    const misjudged: string[] = [];
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
        } else if (rnd() < 0.2) {
          counts.targeted++;
          const isBurst = rnd() < 0.15;
          const call = isBurst ? burst() : targeted();
          const fire = () =>
            send(`${url}${call.path}`, {
              method: call.method,
              headers: {
                authorization: `Bearer ${call.token}`,
                'content-type': 'application/json',
              },
              body: call.body === undefined ? undefined : JSON.stringify(call.body),
            }).then(async (r) => ({ status: r.status, text: await r.text() }));
          const answers = await Promise.all(Array.from({ length: isBurst ? 5 : 1 }, fire));
          status = Math.max(...answers.map((a) => a.status));
          what = `${isBurst ? 'burst ×5 ' : ''}${call.method} ${call.path} ${JSON.stringify(call.body ?? null).slice(0, 160)}`;
          const statuses = answers.map((a) => a.status).sort();
          const expected = isBurst ? [201, 409, 409, 409, 409] : null;
          const wrong =
            (expected !== null && statuses.join() !== expected.join()) ||
            (expected === null && statuses.some((x) => x < 400)) ||
            answers.some((a) => /duplicate key|QueryFailed|INSERT |UQ_|IDX_/.test(a.text));
          if (wrong && misjudged.length < 20)
            misjudged.push(`${statuses.join(',')} ${what} ${answers[0].text.slice(0, 160)}`);
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
    // Anything the inputs set in motion has reached the connector and run: the broker's outbox
    // is empty and the connector's queue holds nothing to run.
    const redis = { url: env.env.REDIS_URL, prefix: env.redisPrefix };
    await waitFor(
      'the outbox and the connector queue to drain',
      async () =>
        (await outboxBacklog(env.databaseUrl)) === 0 &&
        (await connectorJobsPending(redis, w.connectorId)) === 0,
      30000,
      200,
    );
    const after = await rolesSnapshot();
    process.stdout.write(
      `fuzz summary (seed ${seed}): ${counts.total} inputs, ${counts.rest} REST, ${counts.targeted} targeted, ${counts.slack} Slack; ${counts['2xx']} 2xx, ${counts['4xx']} 4xx, ${counts['5xx']} 5xx; target roles ${after === before ? 'unchanged' : 'CHANGED'}\n`,
    );
    if (slow.length) process.stdout.write(`slow inputs:\n${slow.join('\n')}\n`);
    expect(failures).toEqual([]);
    expect(counts['5xx']).toBe(0);
    expect(misjudged).toEqual([]);
    expect(after).toBe(before);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(connector.running).toBe(true);
  });
});
