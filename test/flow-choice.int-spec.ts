import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';

/**
 * Which flow judges a request when a person may ask for the same resource under several
 * flows: the most specific resource match, then the higher priority, then the requester's
 * explicit choice. Each pair of flows differs in its pending TTL, so the request's own
 * deadline shows which flow judged it, besides the flow it names.
 */
describe('which access flow judges a request', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let w: World;
  let admin: ApiClient;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    admin = new ApiClient(url, env.adminToken);
    w = await createWorld(admin);
  });

  afterAll(async () => {
    await app?.close();
    await env?.dispose();
  });

  const flow = async (
    name: string,
    resources: Array<{ database: string; schema: string }>,
    pendingTtl: string,
    over: Record<string, unknown> = {},
  ) => {
    const res = await w.security.api.post('/api/v1/access-flows', {
      name,
      integrationId: w.integrationId,
      requestors: { userIds: [w.alice.id], groupIds: [] },
      resources,
      permissions: ['read'],
      approvers: { userIds: [w.bob.id] },
      defaultDuration: '30m',
      maxDuration: '2h',
      pendingTtl,
      ...over,
    });
    if (res.status !== 201) throw new Error(`flow: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; name: string; version: number; priority: number };
  };
  const request = (schema: string, over: Record<string, unknown> = {}) =>
    w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema,
      permission: 'read',
      ...over,
    });
  /** The pending TTL the request was given, in seconds (rounded: it is created "now"). */
  const ttlOf = (body: { createdAt: string; pendingExpiresAt: string }) =>
    Math.round((Date.parse(body.pendingExpiresAt) - Date.parse(body.createdAt)) / 1000);

  it('lets the most specific resource match judge, whatever the priorities', async () => {
    const wide = await flow('whole-app', [{ database: 'app', schema: '*' }], '24h', {
      priority: 100,
    });
    const exact = await flow('reports-quick', [{ database: 'app', schema: 'reports' }], '10s');

    const res = await request('reports');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ flowId: exact.id, flowName: 'reports-quick', flowVersion: 1 });
    expect(ttlOf(res.body)).toBe(10);
    const shown = await w.alice.api.get(`/api/v1/access-requests/${res.body.id}`);
    expect(shown.body).toMatchObject({ flowId: exact.id, flowName: 'reports-quick' });

    // Another schema of the database: only the database-wide flow offers it.
    const other = await request('sales');
    expect(other.status).toBe(201);
    expect(other.body).toMatchObject({ flowId: wide.id, flowName: 'whole-app' });
    expect(ttlOf(other.body)).toBe(24 * 3600);

    // "Why" says the same: both flows allow it, the closer one judges.
    const why = await w.alice.api.get(
      `/api/v1/access-flows/why?integrationId=${w.integrationId}&database=app&schema=reports&permission=read`,
    );
    expect(why.status).toBe(200);
    const judging = why.body.flows.filter((f: { judges: boolean }) => f.judges);
    expect(judging).toEqual([expect.objectContaining({ flowId: exact.id, match: 'schema' })]);
    expect(why.body.flows).toContainEqual(
      expect.objectContaining({ flowId: wide.id, match: 'database', priority: 100, judges: false }),
    );
  });

  it('lets the higher priority judge between equally specific matches', async () => {
    await flow('prio-low', [{ database: 'app', schema: 'prio' }], '24h');
    const high = await flow('prio-high', [{ database: 'app', schema: 'prio' }], '10s', {
      priority: 5,
    });
    expect(high.priority).toBe(5);
    const res = await request('prio');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ flowId: high.id, flowName: 'prio-high' });
    expect(ttlOf(res.body)).toBe(10);
  });

  it('refuses a tie naming both flows, and takes the one the requester picks', async () => {
    const day = await flow('tie-day', [{ database: 'app', schema: 'tie' }], '24h');
    const quick = await flow('tie-quick', [{ database: 'app', schema: 'tie' }], '10s');

    const tied = await request('tie');
    expect(tied.status).toBe(409);
    expect(tied.body.message).toContain('"tie-day"');
    expect(tied.body.message).toContain('"tie-quick"');
    expect(tied.body.message).toContain('flowId');
    const why = await w.alice.api.get(
      `/api/v1/access-flows/why?integrationId=${w.integrationId}&database=app&schema=tie&permission=read`,
    );
    expect(why.body.choice).toContain('choose one with flowId');
    expect(tied.body.candidates).toEqual([
      { id: day.id, name: 'tie-day', version: 1 },
      { id: quick.id, name: 'tie-quick', version: 1 },
    ]);

    const picked = await request('tie', { flowId: quick.id });
    expect(picked.status).toBe(201);
    expect(picked.body).toMatchObject({ flowId: quick.id, flowName: 'tie-quick' });
    expect(ttlOf(picked.body)).toBe(10);
    const other = await request('tie', { flowId: day.id });
    expect(other.status).toBe(201);
    expect(ttlOf(other.body)).toBe(24 * 3600);
  });

  it('refuses a flowId the person may not use for the resource, or one the rules pass over', async () => {
    const elsewhere = await flow('elsewhere', [{ database: 'app', schema: 'billing' }], '1h');
    const res = await request('tie', { flowId: elsewhere.id });
    expect(res.status).toBe(403);
    expect(res.body.message).toContain(`flowId: ${elsewhere.id} is not an access flow you may use`);

    const wide = (await w.security.api.get('/api/v1/access-flows')).body.find(
      (f: { name: string }) => f.name === 'whole-app',
    );
    const passedOver = await request('reports', { flowId: wide.id });
    expect(passedOver.status).toBe(403);
    expect(passedOver.body.message).toContain('a more specific resource match');
  });

  it('takes the priority from a policy file too', async () => {
    const integration = (await admin.get(`/api/v1/integrations/${w.integrationId}`)).body;
    const flowYaml = (name: string, priority: number, pendingTtl: string) => `
  - name: ${name}
    integration: ${integration.name}
    requestors: { users: [${w.alice.email}] }
    resources: [{ database: app, schema: filed }]
    permissions: [read]
    steps: [{ approvers: { users: [${w.bob.email}] } }]
    defaultDuration: 30m
    maxDuration: 1h
    pendingTtl: ${pendingTtl}
    priority: ${priority}`;
    const yaml = `version: 1\nflows:${flowYaml('filed-low', -2, '24h')}${flowYaml('filed-high', 3, '10s')}\n`;
    const applied = await admin.post('/api/v1/policy/apply', { yaml });
    expect(applied.status).toBe(200);
    const flows = (await admin.get('/api/v1/access-flows')).body as Array<{
      name: string;
      priority: number;
    }>;
    expect(flows.filter((f) => f.name.startsWith('filed-'))).toEqual([
      expect.objectContaining({ name: 'filed-low', priority: -2 }),
      expect.objectContaining({ name: 'filed-high', priority: 3 }),
    ]);
    const res = await request('filed');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ flowName: 'filed-high' });
    expect(ttlOf(res.body)).toBe(10);
    // Applying the same file again changes nothing.
    expect((await admin.post('/api/v1/policy/apply', { yaml })).body.changes).toEqual([]);
  });
});
