import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { connectorQueueName, parseConnectorJob } from '@doorman/contracts';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { baseUsername, hashedUsername } from '../apps/broker/src/grants/username';
import { ApiClient } from './support/api-client';
import {
  createBrokerTestEnv,
  SHARED_REDIS,
  waitFor,
  type BrokerTestEnv,
} from './support/broker-env';
import { createWorld, type World } from './support/fixtures';

/**
 * The broker's REST API in-process on real PostgreSQL and Redis, with no connector: what it
 * accepts, what it refuses and why, and what it hands to a connector's queue.
 */
describe('REST API (broker on real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let admin: ApiClient;
  let w: World;
  let db: Client;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    admin = new ApiClient(url.replace('[::1]', '127.0.0.1'), env.adminToken);
    w = await createWorld(admin);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
  });

  const ask = (over: Record<string, unknown> = {}) => ({
    integrationId: w.integrationId,
    database: 'app',
    schema: 'public',
    permission: 'read',
    duration: '30m',
    justification: 'debugging ticket 42',
    ...over,
  });

  describe('authentication', () => {
    it('refuses a missing or wrong token with 401', async () => {
      expect((await admin.as(undefined).get('/api/v1/access-requests')).status).toBe(401);
      expect((await admin.as('not-a-token').get('/api/v1/access-requests')).status).toBe(401);
    });

    it('stores tokens hashed only', async () => {
      const rows = await db.query('SELECT token_hash FROM api_tokens');
      const all = JSON.stringify(rows.rows);
      expect(all).not.toContain(w.alice.token);
      expect(all).not.toContain(env.adminToken);
    });

    it('serves health and OpenAPI without a token', async () => {
      const health = await admin.as(undefined).get('/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ database: 'up', redis: 'up' });
      const docs = await admin.as(undefined).get('/api/docs-json');
      expect(docs.status).toBe(200);
      expect(Object.keys(docs.body.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/access-requests',
          '/api/v1/access-requests/{id}/credentials',
        ]),
      );
    });
  });

  describe('bad input', () => {
    it('names every invalid field with 400', async () => {
      const res = await w.alice.api.post('/api/v1/access-requests', {
        integrationId: 'nope',
        permission: 'root',
        database: 5,
      });
      expect(res.status).toBe(400);
      const fields = res.body.fields.map((f: { field: string }) => f.field);
      expect(fields).toEqual(
        expect.arrayContaining(['integrationId', 'permission', 'database', 'schema']),
      );
    });

    it('refuses malformed JSON with 400', async () => {
      const res = await w.alice.api.request('POST', '/api/v1/access-requests', '{"integrationId":');
      expect(res.status).toBe(400);
    });

    it('refuses a duration over the flow maximum and says the maximum', async () => {
      const res = await w.alice.api.post('/api/v1/access-requests', ask({ duration: '3h' }));
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('exceeds the maximum of 2h');
    });

    it('refuses a malformed duration', async () => {
      const res = await w.alice.api.post('/api/v1/access-requests', ask({ duration: 'forever' }));
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('duration');
    });

    it('answers 404 for unknown ids', async () => {
      expect(
        (await w.alice.api.get('/api/v1/access-requests/00000000-0000-4000-8000-000000000000'))
          .status,
      ).toBe(404);
      expect((await w.alice.api.get('/api/v1/access-requests/not-an-id')).status).toBe(404);
      expect(
        (
          await w.bob.api.post(
            '/api/v1/access-requests/00000000-0000-4000-8000-000000000000/approve',
          )
        ).status,
      ).toBe(404);
    });

    it('lets only admin and security manage integrations and flows (403)', async () => {
      expect((await w.alice.api.post('/api/v1/connectors', { name: 'x' })).status).toBe(403);
      expect((await w.bob.api.post('/api/v1/access-flows', {})).status).toBe(403);
      expect((await w.alice.api.post('/api/v1/users', { email: 'e@x.io', name: 'e' })).status).toBe(
        403,
      );
    });

    it('refuses custom access details over 400 characters', async () => {
      const res = await w.security.api.post('/api/v1/integrations', {
        name: 'too-long',
        connectorId: w.connectorId,
        host: 'db',
        databases: ['app'],
        customAccessDetails: 'x'.repeat(401),
      });
      expect(res.status).toBe(400);
      expect(res.body.fields[0].field).toBe('customAccessDetails');
    });
  });

  describe('who may do what', () => {
    it('refuses a request from someone who is not a requestor (403)', async () => {
      const res = await w.mallory.api.post('/api/v1/access-requests', ask());
      expect(res.status).toBe(403);
    });

    it('refuses a resource no flow offers (403)', async () => {
      const res = await w.alice.api.post('/api/v1/access-requests', ask({ schema: 'billing' }));
      expect(res.status).toBe(403);
    });

    it('never lets requesters approve their own request, nor non-approvers', async () => {
      const req = await w.alice.api.post('/api/v1/access-requests', ask());
      expect(req.status).toBe(201);
      expect(req.body.status).toBe('PENDING');
      expect(
        (await w.alice.api.post(`/api/v1/access-requests/${req.body.id}/approve`)).status,
      ).toBe(403);
      expect(
        (await w.mallory.api.post(`/api/v1/access-requests/${req.body.id}/approve`)).status,
      ).toBe(403);
      expect((await admin.post(`/api/v1/access-requests/${req.body.id}/approve`)).status).toBe(403);
      expect((await w.alice.api.get(`/api/v1/access-requests/${req.body.id}`)).body.status).toBe(
        'PENDING',
      );
    });

    it('denies with a reason, then refuses any further decision (409)', async () => {
      const req = await w.alice.api.post('/api/v1/access-requests', ask());
      const denied = await w.carol.api.post(`/api/v1/access-requests/${req.body.id}/deny`, {
        reason: 'not on call',
      });
      expect(denied.status).toBe(200);
      expect(denied.body).toMatchObject({
        status: 'DENIED',
        statusReason: 'not on call',
        decidedBy: w.carol.id,
      });
      const again = await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/approve`);
      expect(again.status).toBe(409);
      expect(again.body.message).toContain('DENIED');
    });

    it('lets only the requester cancel', async () => {
      const req = await w.alice.api.post('/api/v1/access-requests', ask());
      expect((await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/cancel`)).status).toBe(
        403,
      );
      const cancelled = await w.alice.api.post(`/api/v1/access-requests/${req.body.id}/cancel`);
      expect(cancelled.body.status).toBe('CANCELLED');
    });

    it('lists my requests with mine=true', async () => {
      const mine = await w.alice.api.get('/api/v1/access-requests?mine=true');
      expect(mine.status).toBe(200);
      expect(mine.body.length).toBeGreaterThan(0);
      expect(mine.body.every((r: { requesterId: string }) => r.requesterId === w.alice.id)).toBe(
        true,
      );
      expect((await w.mallory.api.get('/api/v1/access-requests?mine=true')).body).toEqual([]);
    });

    it('names who asked in lists and in a single request, for approvers too', async () => {
      const [first] = (await w.alice.api.get('/api/v1/access-requests?mine=true')).body;
      expect(first.requesterEmail).toBe(w.alice.email);
      const one = await w.bob.api.get(`/api/v1/access-requests/${first.id}`);
      expect(one.status).toBe(200);
      expect(one.body.requesterEmail).toBe(w.alice.email);
    });
  });

  describe('groups', () => {
    it('membership managed through the API decides who may request under a group flow', async () => {
      const group = await w.security.api.post('/api/v1/groups', {
        name: 'oncall',
        memberIds: [w.mallory.id],
      });
      expect(group.status).toBe(201);
      const flow = await w.security.api.post('/api/v1/access-flows', {
        name: 'oncall-flow',
        integrationId: w.integrationId,
        requestors: { groupIds: [group.body.id] },
        resources: [{ database: 'app', schema: 'oncall' }],
        permissions: ['read'],
        approvers: { userIds: [w.bob.id] },
        defaultDuration: '1h',
        maxDuration: '1h',
      });
      expect(flow.status).toBe(201);
      const askOncall = () =>
        w.mallory.api.post('/api/v1/access-requests', { ...ask(), schema: 'oncall' });
      expect((await askOncall()).status).toBe(201);
      const updated = await w.security.api.request('PUT', `/api/v1/groups/${group.body.id}`, {
        memberIds: [w.carol.id],
      });
      expect(updated.body.memberIds).toEqual([w.carol.id]);
      expect((await askOncall()).status).toBe(403);
      expect(
        (await w.alice.api.request('PUT', `/api/v1/groups/${group.body.id}`, { memberIds: [] }))
          .status,
      ).toBe(403);
      const listed = (await w.alice.api.get('/api/v1/groups')).body;
      expect(listed.find((g: { id: string }) => g.id === group.body.id).memberIds).toEqual([
        w.carol.id,
      ]);
    });
  });

  describe('approval hands the connector a desired state, never a secret', () => {
    it('approve → GRANTING, one sync-user job with a deterministic id on the connector queue, audited', async () => {
      const req = await w.alice.api.post('/api/v1/access-requests', ask({ permission: 'write' }));
      const approved = await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.body.status).toBe('GRANTING');

      const queue = new Queue(connectorQueueName(w.connectorId), {
        connection: { url: SHARED_REDIS } as never,
        prefix: env.redisPrefix,
      });
      try {
        const jobs = await waitFor('the sync job', async () => {
          // The queue also holds the integration's first catalog discovery (no connector here).
          const j = (await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter(
            (x) => x.name === 'sync-user',
          );
          return j.length > 0 ? j : undefined;
        });
        expect(jobs).toHaveLength(1);
        const parsed = parseConnectorJob(jobs[0].data);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok || parsed.value.kind !== 'sync-user') throw new Error('not a sync-user job');
        expect(jobs[0].id).toBe(`sync-${w.integrationId}-${w.alice.id}-${parsed.value.generation}`);
        expect(parsed.value).toMatchObject({
          login: true,
          groups: [{ database: 'app', schema: 'public', permission: 'write' }],
          startingDurationSeconds: 1800,
          rotatePassword: true,
        });
        expect(JSON.stringify(jobs[0].data)).not.toMatch(/password"\s*:\s*"/i);
      } finally {
        await queue.close();
      }
      // The relay deletes its rows in the transaction that enqueued them: it commits just after.
      await waitFor('the outbox to drain', async () => {
        const outbox = await db.query('SELECT count(*)::int AS n FROM outbox');
        return outbox.rows[0].n === 0;
      });

      const trail = await w.alice.api.get(`/api/v1/audit-events?requestId=${req.body.id}`);
      expect(trail.status).toBe(200);
      expect(trail.body.map((e: { action: string }) => e.action)).toEqual([
        'request.created',
        'request.approved',
        'grant.requested',
      ]);
      expect(trail.body[1]).toMatchObject({ actorId: w.bob.id, channel: 'api' });
      expect(
        (await w.mallory.api.get(`/api/v1/audit-events?requestId=${req.body.id}`)).status,
      ).toBe(403);
    });

    it("a person whose plain database user name another holds gets the hashed one; a deny's approval is kept", async () => {
      const x = await createWorld(admin);
      // Someone else already holds x.alice's plain name on this integration.
      await db.query(
        'INSERT INTO database_users (integration_id, user_id, username) VALUES ($1, $2, $3)',
        [x.integrationId, x.mallory.id, baseUsername(x.alice.email)],
      );
      const asked = (await x.alice.api.post(
        '/api/v1/access-requests',
        ask({ integrationId: x.integrationId }),
      )) as { body: { id: string } };
      const approved = await x.bob.api.post(`/api/v1/access-requests/${asked.body.id}/approve`);
      expect(approved.body).toMatchObject({ status: 'GRANTING', decidedBy: x.bob.id });
      const users = await db.query(
        'SELECT user_id, username FROM database_users WHERE integration_id = $1 ORDER BY username',
        [x.integrationId],
      );
      expect(users.rows).toEqual(
        [
          { user_id: x.mallory.id, username: baseUsername(x.alice.email) },
          { user_id: x.alice.id, username: hashedUsername(x.alice.email) },
        ].sort((a, b) => (a.username < b.username ? -1 : 1)),
      );

      const other = (await x.alice.api.post(
        '/api/v1/access-requests',
        ask({ integrationId: x.integrationId, permission: 'write' }),
      )) as { body: { id: string } };
      const denied = await x.carol.api.post(`/api/v1/access-requests/${other.body.id}/deny`, {
        reason: 'not today',
      });
      expect(denied.body).toMatchObject({
        status: 'DENIED',
        decidedBy: x.carol.id,
        statusReason: 'not today',
      });
      expect(denied.body.endedAt).toBe(denied.body.decidedAt);
      const approvals = await db.query(
        'SELECT request_id, step, approver_id, decision, reason, channel FROM approvals WHERE request_id = ANY($1) ORDER BY decision',
        [[asked.body.id, other.body.id]],
      );
      expect(approvals.rows).toEqual([
        {
          request_id: asked.body.id,
          step: 0,
          approver_id: x.bob.id,
          decision: 'approve',
          reason: null,
          channel: 'api',
        },
        {
          request_id: other.body.id,
          step: 0,
          approver_id: x.carol.id,
          decision: 'deny',
          reason: 'not today',
          channel: 'api',
        },
      ]);
    });

    it('reveals credentials to the requester only, and only while active', async () => {
      const req = await w.alice.api.post('/api/v1/access-requests', ask());
      expect(
        (await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/credentials`)).status,
      ).toBe(403);
      const early = await w.alice.api.post(`/api/v1/access-requests/${req.body.id}/credentials`);
      expect(early.status).toBe(409);
      expect(early.body.message).toContain('PENDING');
    });
  });
});
