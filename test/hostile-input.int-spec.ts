import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { ApiClient, ApiResponse } from './support/api-client';
import { startBrokerApp } from './support/apps';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';

/**
 * Input that once reached PostgreSQL and came back as a 500: text PostgreSQL
 * cannot store, durations and dates past its ranges, hostile YAML, an empty role name, and the
 * same thing created several times at once. Each is refused with a 4xx that says why.
 */
describe('hostile input (broker on real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let admin: ApiClient;
  let w: World;
  let n = 0;
  const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${n++}`;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    ({ app, admin } = await startBrokerApp(env));
    w = await createWorld(admin);
  });

  afterAll(async () => {
    await app?.close();
    await env?.dispose();
  });

  const refused = (res: ApiResponse, status = 400, message?: RegExp) => {
    expect({ status: res.status, body: res.body }).toMatchObject({ status });
    if (message) expect(String(res.body.message)).toMatch(message);
  };

  const flow = (over: Record<string, unknown> = {}) => ({
    name: unique('flow'),
    integrationId: w.integrationId,
    requestors: { userIds: [w.alice.id], groupIds: [] },
    resources: [{ database: 'app', schema: 'public' }],
    permissions: ['read'],
    approvers: { userIds: [w.bob.id] },
    defaultDuration: '1h',
    maxDuration: '2h',
    ...over,
  });
  const integration = (over: Record<string, unknown> = {}) => ({
    name: unique('pg'),
    connectorId: w.connectorId,
    host: '127.0.0.1',
    databases: ['app'],
    ...over,
  });
  const ask = (over: Record<string, unknown> = {}) => ({
    integrationId: w.integrationId,
    database: 'app',
    schema: 'public',
    permission: 'read',
    duration: '30m',
    justification: 'ticket 42',
    ...over,
  });

  describe.each([
    ['a NUL byte', 'bad\u0000name', /NUL/],
    ['a lone surrogate', 'bad\ud800name', /surrogate/],
  ])('text with %s', (_what, text, why) => {
    it.each([
      [
        'a user name',
        () => admin.post('/api/v1/users', { email: `${unique('u')}@x.io`, name: text }),
      ],
      ['a user email', () => admin.post('/api/v1/users', { email: `${text}@x.io`, name: 'n' })],
      ['a group name', () => admin.post('/api/v1/groups', { name: text })],
      ['a connector name', () => admin.post('/api/v1/connectors', { name: text })],
      [
        'an integration name',
        () => admin.post('/api/v1/integrations', integration({ name: text })),
      ],
      ['a host', () => admin.post('/api/v1/integrations', integration({ host: text }))],
      [
        'custom access details',
        () => admin.post('/api/v1/integrations', integration({ customAccessDetails: text })),
      ],
      ['a flow name', () => admin.post('/api/v1/access-flows', flow({ name: text }))],
      [
        'a justification',
        () => w.alice.api.post('/api/v1/access-requests', ask({ justification: text })),
      ],
      ['a token name', () => admin.post(`/api/v1/users/${w.alice.id}/tokens`, { name: text })],
      ['a key', () => admin.post('/api/v1/groups', { name: 'g', [text]: 1 })],
      [
        'a policy file',
        () =>
          admin.post('/api/v1/policy/apply', { yaml: `version: 1\ngroups: [{ name: ${text} }]` }),
      ],
    ])('in %s: 400 naming the rule', async (_field, send) => {
      refused(await send(), 400, why);
    });

    it('in a reason (deny, revoke-all): 400', async () => {
      const req = await w.alice.api.post('/api/v1/access-requests', ask());
      expect(req.status).toBe(201);
      refused(
        await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/deny`, { reason: text }),
        400,
        why,
      );
      refused(
        await admin.post(`/api/v1/integrations/${w.integrationId}/revoke-all`, { reason: text }),
        400,
        why,
      );
    });

    it('in a query parameter: 400', async () => {
      refused(
        await admin.get(
          `/api/v1/audit-events?action=${encodeURIComponent(text.replace('\ud800', ''))}%00`,
        ),
        400,
      );
      expect((await admin.get(`/api/v1/audit-events?action=x%ED%A0%80`)).status).toBeLessThan(500);
    });
  });

  it('a NUL written as a YAML escape in a policy file: 400 with the line', async () => {
    const res = await admin.post('/api/v1/policy/apply', {
      yaml: 'version: 1\ngroups:\n  - name: "bad\\0name"\n',
      dryRun: true,
    });
    refused(res, 400, /NUL/);
    expect(res.body.errors).toEqual([expect.objectContaining({ line: 3, path: 'groups.0.name' })]);
  });

  describe('durations past what PostgreSQL can hold', () => {
    it('refuses a maximum beyond 3650 days on a flow, and a request for 24856 days', async () => {
      refused(
        await admin.post('/api/v1/access-flows', flow({ maxDuration: '9999999d' })),
        400,
        /3650d/,
      );
      refused(
        await admin.post(
          '/api/v1/access-flows',
          flow({
            steps: [{ approvers: { userIds: [w.bob.id] }, timeout: '4000d' }],
            approvers: undefined,
          }),
        ),
        400,
        /3650d/,
      );
      const wide = await admin.post('/api/v1/access-flows', flow({ maxDuration: '3650d' }));
      expect(wide.status).toBe(201);
      refused(
        await w.alice.api.post('/api/v1/access-requests', ask({ duration: '24856d' })),
        400,
        /3650d/,
      );
    });
  });

  describe('dates outside what PostgreSQL can store', () => {
    it.each([
      '/api/v1/audit-events?from=-200000-01-01T00:00:00Z',
      '/api/v1/audit-events?to=275000-01-01',
      '/api/v1/audit-events?from=0001-01-01&to=99999-01-01',
      '/api/v1/audit-events/export?from=-100000-01-01T00:00:00Z',
      `/api/v1/access-history?integrationId=${'00000000-0000-4000-8000-000000000000'}&database=app&from=-5000-01-01T00:00:00Z&to=2026-01-01`,
      '/api/v1/audit-events?from=not-a-date',
    ])('%s: 400', async (path) => {
      refused(await admin.get(path), 400, /date/);
    });

    it('takes dates in range', async () => {
      expect((await admin.get('/api/v1/audit-events?from=2000-01-01&to=9999-12-31')).status).toBe(
        200,
      );
    });
  });

  describe('policy YAML that cannot be read', () => {
    it('an unresolved alias: 400 with its line', async () => {
      const res = await admin.post('/api/v1/policy/apply', {
        yaml: 'version: 1\ngroups:\n  - name: *nowhere\n',
        dryRun: true,
      });
      refused(res, 400, /alias/);
      expect(res.body.errors[0]).toMatchObject({ line: 3 });
    });

    it('an alias inside the node it names (a cycle): 400 with its line', async () => {
      const res = await admin.post('/api/v1/policy/apply', {
        yaml: 'version: 1\nx: &a\n  b: *a\n',
        dryRun: true,
      });
      refused(res, 400, /cycle/);
      expect(res.body.errors[0]).toMatchObject({ line: 3 });
    });

    it('an alias bomb (billion laughs): 400 with a line, quickly', async () => {
      const rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (const [x, y] of ['ba', 'cb', 'dc', 'ed', 'fe', 'gf', 'hg', 'ih'])
        rows.push(`${x}: &${x} [${Array(9).fill(`*${y}`).join(',')}]`);
      const started = Date.now();
      const res = await admin.post('/api/v1/policy/apply', {
        yaml: `version: 1\nx:\n  ${rows.join('\n  ')}\n`,
        dryRun: true,
      });
      refused(res, 400, /alias/);
      expect(res.body.errors[0].line).toEqual(expect.any(Number));
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });

  describe('an empty role name', () => {
    it('in a flow: 400 naming the field', async () => {
      const res = await admin.post(
        '/api/v1/access-flows',
        flow({ resources: [{ role: '' }], permissions: undefined }),
      );
      refused(res, 400);
      expect(res.body.fields).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'resources.0.role' })]),
      );
    });

    it('in a request: 400', async () => {
      const { database: _d, schema: _s, permission: _p, ...rest } = ask();
      refused(await w.alice.api.post('/api/v1/access-requests', { ...rest, role: '' }), 400);
    });

    it('in a policy file: 400 with the line', async () => {
      const res = await admin.post('/api/v1/policy/apply', {
        dryRun: true,
        yaml: `version: 1
flows:
  - name: f
    integration: nowhere
    requestors: { users: [] }
    resources:
      - role: ""
    steps: [{ approvers: { users: [] } }]
    defaultDuration: 1h
    maxDuration: 2h
`,
      });
      refused(res, 400);
      expect(res.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ line: 7 })]),
      );
    });
  });

  describe('the same thing created five times at once', () => {
    const once = async (post: () => Promise<ApiResponse>, what: RegExp) => {
      const answers = await Promise.all(Array.from({ length: 5 }, post));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409]);
      for (const a of answers.filter((x) => x.status === 409)) {
        expect(a.body.error).toBe('CONFLICT');
        expect(String(a.body.message)).toMatch(what);
        expect(JSON.stringify(a.body)).not.toMatch(/INSERT|duplicate key|UQ_|IDX_|constraint/i);
      }
    };

    it('a user', async () => {
      const email = `${unique('twin')}@example.com`;
      await once(() => admin.post('/api/v1/users', { email, name: 'Twin' }), /user.*exists/);
    });

    it('a group', async () => {
      const name = unique('grp');
      await once(() => admin.post('/api/v1/groups', { name }), /group.*exists/);
    });

    it('a connector', async () => {
      const name = unique('site');
      await once(() => admin.post('/api/v1/connectors', { name }), /connector.*exists/);
    });

    it('an integration', async () => {
      const body = integration();
      await once(() => admin.post('/api/v1/integrations', body), /integration.*exists/);
    });

    it('an access flow', async () => {
      const body = flow();
      await once(() => admin.post('/api/v1/access-flows', body), /flow.*exists/);
    });
  });
});
