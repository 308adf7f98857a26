import 'reflect-metadata';
import { Writable } from 'node:stream';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { bootstrap as startConnector } from '../apps/connector/src/main';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { RequestsService } from '../apps/broker/src/requests/requests.service';
import { createAdmin } from './support/admin-shapes';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';

jest.setTimeout(180_000);

const ADMIN = 'avnadmin';
const PASSWORD = 'deactivation-admin-password-0123456789';

/**
 * Issue 18 item 3 with real parts (a target cluster, the connector, the broker): deactivating
 * a person revokes their grants (their open session ends), cancels their pending requests,
 * kills their tokens and removes them as an approver; reactivating lets them back in.
 */
describe('deactivating a person (real target, connector and broker)', () => {
  let target: TargetPostgres;
  let env: BrokerTestEnv;
  let app: INestApplication;
  let connector: INestApplicationContext;
  let admin: ApiClient;
  let w: World;

  beforeAll(async () => {
    target = await startTargetPostgres();
    await createAdmin(target, 'ovh-avnadmin', ADMIN, PASSWORD);
    await target.query('CREATE ROLE app_owner NOLOGIN');
    await target.createDatabase('app');
    await target.query('ALTER DATABASE app OWNER TO app_owner');
    for (const s of [
      'CREATE SCHEMA sales AUTHORIZATION app_owner',
      'CREATE SCHEMA hr AUTHORIZATION app_owner',
      'SET ROLE app_owner',
      'CREATE TABLE sales.leads (id serial PRIMARY KEY, name text)',
      'RESET ROLE',
    ])
      await target.query(s, [], 'app');
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    admin = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
    w = await createWorld(admin, {
      port: target.port,
      sslMode: 'verify-full',
      resources: [
        { database: 'app', schema: 'sales' },
        { database: 'app', schema: 'hr' },
      ],
    });
    connector = await startConnector({
      env: {
        CONNECTOR_ID: w.connectorId,
        REDIS_URL: env.env.REDIS_URL,
        REDIS_PREFIX: env.redisPrefix,
        TARGET_DATABASE_URL: `postgresql://${ADMIN}:${PASSWORD}@127.0.0.1:${target.port}/postgres`,
        PGSSLMODE: 'verify-full',
        PGSSLROOTCERT: target.caFile,
        BROKER_SEAL_PUBLIC_KEY: env.env.BROKER_SEAL_PUBLIC_KEY,
        LOG_LEVEL: 'warn',
      },
      logDestination: new Writable({ write: (_chunk, _enc, cb) => cb() }),
    });
  });

  afterAll(async () => {
    await connector?.close();
    await app?.close();
    await env?.dispose();
    await target?.stop();
  });

  const ask = (schema: string) =>
    w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema,
      permission: 'read',
      duration: '30m',
    });
  const statusOf = async (id: string) =>
    (await admin.get(`/api/v1/access-requests/${id}`)).body.status as string;

  it('revokes the grant (session ended), cancels the pending request, kills the token; reactivation lets them in again', async () => {
    const granted = await ask('sales');
    expect(granted.status).toBe(201);
    expect(
      (await w.bob.api.post(`/api/v1/access-requests/${granted.body.id}/approve`)).status,
    ).toBe(200);
    await waitFor(
      'the grant to be ACTIVE',
      async () => {
        const s = await statusOf(granted.body.id);
        if (s === 'FAILED') throw new Error('grant failed');
        return s === 'ACTIVE';
      },
      60_000,
      200,
    );
    const creds = await w.alice.api.post(`/api/v1/access-requests/${granted.body.id}/credentials`);
    expect(creds.status).toBe(200);
    const session = await target.connect(creds.body.username, creds.body.password, 'app');
    expect((await session.query('SELECT count(*)::int AS n FROM sales.leads')).rows).toEqual([
      { n: 0 },
    ]);
    const pending = await ask('hr');
    expect(pending.body.status).toBe('PENDING');

    // Security may not deactivate an admin, nor may an approver deactivate anyone.
    const boot = (await admin.get('/api/v1/users/me')).body;
    expect((await w.security.api.post(`/api/v1/users/${boot.id}/deactivate`)).status).toBe(403);
    expect((await w.bob.api.post(`/api/v1/users/${w.alice.id}/deactivate`)).status).toBe(403);

    const off = await w.security.api.post(`/api/v1/users/${w.alice.id}/deactivate`);
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({
      id: w.alice.id,
      deactivatedAt: expect.any(String),
      revoked: [granted.body.id],
      cancelled: [pending.body.id],
    });
    expect(await statusOf(pending.body.id)).toBe('CANCELLED');
    await waitFor(
      'the grant to be REVOKED',
      async () => (await statusOf(granted.body.id)) === 'REVOKED',
      60_000,
      200,
    );
    // The open session was terminated by the revoke, and the login no longer works.
    await expect(session.query('SELECT 1')).rejects.toThrow();
    await expect(target.connect(creds.body.username, creds.body.password, 'app')).rejects.toThrow();
    expect((await w.alice.api.get('/api/v1/users/me')).status).toBe(401);
    expect((await ask('sales')).status).toBe(401);
    // Past the token check too (a request already authenticated when the deactivation began).
    await expect(
      app.get(RequestsService).create(
        { id: w.alice.id, email: w.alice.email, roles: ['requester'], channel: 'api' },
        {
          integrationId: w.integrationId,
          database: 'app',
          schema: 'sales',
          permission: 'read',
          duration: '30m',
        },
      ),
    ).rejects.toThrow('this person is deactivated');
    const audit = (await admin.get(`/api/v1/audit-events?actorId=${w.security.id}`)).body as Array<{
      action: string;
    }>;
    expect(audit.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'user.deactivated',
        'request.cancelled',
        'grant.revoke_requested',
        'user.access_ended',
      ]),
    );

    const on = await w.security.api.post(`/api/v1/users/${w.alice.id}/reactivate`);
    expect(on.status).toBe(200);
    expect(on.body.deactivatedAt).toBeNull();
    expect((await w.alice.api.get('/api/v1/users/me')).status).toBe(200);
    expect((await ask('sales')).status).toBe(201);
    // What ended stays ended.
    expect(await statusOf(granted.body.id)).toBe('REVOKED');
  });

  it('a deactivated approver can no longer approve, on any channel', async () => {
    const req = await ask('hr');
    expect(req.status).toBe(201);
    expect((await w.security.api.post(`/api/v1/users/${w.carol.id}/deactivate`)).status).toBe(200);
    expect((await w.carol.api.post(`/api/v1/access-requests/${req.body.id}/approve`)).status).toBe(
      401,
    );
    // Past the token check too (a channel that built an actor itself): not counted as an approver.
    const requests = app.get(RequestsService);
    const row = await requests.get(req.body.id);
    expect(await requests.currentApproverIds(row)).toEqual([w.bob.id]);
    await expect(
      requests.approve(
        { id: w.carol.id, email: w.carol.email, roles: ['approver'], channel: 'slack' },
        req.body.id,
      ),
    ).rejects.toThrow(/not an approver/);
    expect(await statusOf(req.body.id)).toBe('PENDING');
    expect((await w.security.api.post(`/api/v1/users/${w.carol.id}/reactivate`)).status).toBe(200);
    expect((await w.carol.api.post(`/api/v1/access-requests/${req.body.id}/approve`)).status).toBe(
      200,
    );
  });

  it('revokes a token: its own holder or an admin, listed without secrets', async () => {
    const second = await w.mallory.api.post(`/api/v1/users/${w.mallory.id}/tokens`, {
      name: 'laptop',
    });
    expect(second.status).toBe(201);
    const laptop = w.mallory.api.as(second.body.token);
    const list = await w.mallory.api.get(`/api/v1/users/${w.mallory.id}/tokens`);
    expect(list.status).toBe(200);
    expect(list.body.map((t: { name: string }) => t.name).sort()).toEqual(['laptop', 'test']);
    expect(JSON.stringify(list.body)).not.toContain(second.body.token);
    expect(list.body[0]).not.toHaveProperty('tokenHash');
    // Someone else's tokens: neither listed nor revoked by a non-admin.
    expect((await w.bob.api.get(`/api/v1/users/${w.mallory.id}/tokens`)).status).toBe(403);
    const path = `/api/v1/users/${w.mallory.id}/tokens/${second.body.id}`;
    expect((await w.bob.api.request('DELETE', path)).status).toBe(403);
    expect((await laptop.get('/api/v1/users/me')).status).toBe(200);
    const revoked = await w.mallory.api.request('DELETE', path);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await laptop.get('/api/v1/users/me')).status).toBe(401);
    expect((await w.mallory.api.get('/api/v1/users/me')).status).toBe(200);
    const other = (await w.mallory.api.get(`/api/v1/users/${w.mallory.id}/tokens`)).body.find(
      (t: { name: string }) => t.name === 'test',
    );
    expect(
      (await admin.request('DELETE', `/api/v1/users/${w.mallory.id}/tokens/${other.id}`)).status,
    ).toBe(200);
    expect((await w.mallory.api.get('/api/v1/users/me')).status).toBe(401);
    const events = (await admin.get('/api/v1/audit-events?action=token.revoked')).body;
    expect(events).toHaveLength(2);
  });
});
