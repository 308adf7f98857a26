import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { CONTRACT_VERSION, jobIds, type SyncUserResult } from '@doorman/contracts';
import { loadSealPublicKey, seal } from '@doorman/crypto';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { SyncResultsRecorder } from '../apps/broker/src/grants/sync-results.recorder';
import { RequestWaiterService } from '../apps/broker/src/requests/request-waiter.service';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { createPerson, createWorld, type Person, type World } from './support/fixtures';

/**
 * Waiting on a request in one call, on real PostgreSQL and Redis with two broker replicas: the
 * wait is held by replica A while the change is made on replica B (an approval, a denial, the
 * connector's result recorded there), and A answers as soon as it commits — well before the
 * 10-second safety-net re-read, so it was the change notice that woke it.
 */
describe('GET /access-requests/:id?waitFor=…', () => {
  let env: BrokerTestEnv;
  const replicas: INestApplication[] = [];
  const urls: string[] = [];
  let w: World;
  let db: Client;
  /** One requester per test: each asks for the same access, which one person may hold once. */
  const people: Person[] = [];
  let me: Person;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    for (let i = 0; i < 2; i++) {
      const app = await createBrokerApp(env.config);
      await app.listen(0, '127.0.0.1');
      replicas.push(app);
      urls.push((await app.getUrl()).replace('[::1]', '127.0.0.1'));
    }
    const admin = new ApiClient(urls[0], env.adminToken);
    w = await createWorld(admin);
    for (let i = 0; i < 5; i++) people.push(await createPerson(admin, `waiter${i}`));
    const flow = await w.security.api.post('/api/v1/access-flows', {
      name: `wait-flow-${Date.now().toString(36)}`,
      integrationId: w.integrationId,
      requestors: { userIds: people.map((p) => p.id), groupIds: [] },
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['read'],
      approvers: { userIds: [w.bob.id] },
      defaultDuration: '1h',
      maxDuration: '2h',
    });
    expect(flow.status).toBe(201);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await Promise.all(replicas.map((a) => a.close()));
    await env?.dispose();
  });

  const onB = () => new ApiClient(urls[1], w.bob.token);

  async function pending(): Promise<string> {
    me = people.shift()!;
    const r = await me.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
    });
    expect(r.status).toBe(201);
    return r.body.id as string;
  }

  /** A wait held by replica A: its answer, header and when it came. */
  function waitOnA(id: string, query: string, signal?: AbortSignal) {
    const started = Date.now();
    return fetch(`${urls[0]}/api/v1/access-requests/${id}?${query}`, {
      headers: { authorization: `Bearer ${me.token}` },
      signal,
    }).then(async (res) => ({
      status: res.status,
      wait: res.headers.get('doorman-wait'),
      body: (await res.json()) as { status: string; message?: string; fields?: unknown },
      at: Date.now(),
      tookMs: Date.now() - started,
    }));
  }

  const heldOnA = (n: number) =>
    waitFor(
      `${n} wait(s) held by replica A`,
      async () => replicas[0].get(RequestWaiterService).size === n,
      5000,
      10,
    );

  it('wakes on the approval made on another replica, then on the result recorded there (ACTIVE)', async () => {
    const id = await pending();
    const decided = waitOnA(id, 'waitFor=decided&timeout=30s');
    const active = waitOnA(id, 'waitFor=ACTIVE&timeout=30s');
    await heldOnA(2);
    const approvedAt = Date.now();
    expect((await onB().post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
    const d = await decided;
    expect(d).toMatchObject({ status: 200, wait: 'reached' });
    expect(['APPROVED', 'GRANTING']).toContain(d.body.status);
    expect(d.at - approvedAt).toBeLessThan(3000);

    // Still waiting for ACTIVE: the connector's result, recorded by replica B's recorder.
    await heldOnA(1);
    const row = (await db.query('SELECT * FROM access_requests WHERE id = $1', [id])).rows[0];
    const du = (
      await db.query('SELECT * FROM database_users WHERE integration_id = $1 AND user_id = $2', [
        w.integrationId,
        me.id,
      ])
    ).rows[0];
    const result: SyncUserResult = {
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      connectorId: w.connectorId,
      jobId: jobIds.sync(w.integrationId, me.id, row.sync_generation),
      integrationId: w.integrationId,
      personId: me.id,
      username: du.username,
      generation: row.sync_generation,
      attempt: 1,
      status: 'applied',
      startedAt: new Date().toISOString(),
      sealedPassword: seal('pw', loadSealPublicKey(env.env.BROKER_SEAL_PUBLIC_KEY)),
      passwordIssuedAt: new Date().toISOString(),
      sessionsTerminated: 0,
      effects: [],
    };
    const recordedAt = Date.now();
    expect(await replicas[1].get(SyncResultsRecorder).record([result])).toEqual([null]);
    const a = await active;
    expect(a).toMatchObject({ status: 200, wait: 'reached', body: { status: 'ACTIVE' } });
    expect(a.at - recordedAt).toBeLessThan(3000);
    await heldOnA(0);
  });

  it('answers at once, unreachable, when a denial on the other replica means ACTIVE cannot come', async () => {
    const id = await pending();
    const active = waitOnA(id, 'waitFor=ACTIVE&timeout=30s');
    await heldOnA(1);
    const deniedAt = Date.now();
    expect((await onB().post(`/api/v1/access-requests/${id}/deny`, { reason: 'no' })).status).toBe(
      200,
    );
    const a = await active;
    expect(a).toMatchObject({ status: 200, wait: 'unreachable', body: { status: 'DENIED' } });
    expect(a.at - deniedAt).toBeLessThan(3000);
    // A final status answers without waiting at all.
    const again = await waitOnA(id, 'waitFor=ACTIVE&timeout=30s');
    expect(again).toMatchObject({ status: 200, wait: 'unreachable' });
    expect(again.tookMs).toBeLessThan(2000);
  });

  it('answers the view as it stands at the timeout, saying so', async () => {
    const id = await pending();
    const t = await waitOnA(id, 'waitFor=ACTIVE&timeout=700ms');
    expect(t).toMatchObject({ status: 200, wait: 'timeout', body: { status: 'PENDING' } });
    expect(t.tookMs).toBeGreaterThanOrEqual(690);
    expect(t.tookMs).toBeLessThan(5000);
    // Without waitFor the answer is the plain view, no header.
    const plain = await waitOnA(id, '');
    expect(plain).toMatchObject({ status: 200, wait: null, body: { status: 'PENDING' } });
  });

  it('frees the wait of a caller that hangs up', async () => {
    const id = await pending();
    const hangUp = new AbortController();
    const gone = waitOnA(id, 'waitFor=ACTIVE&timeout=60s', hangUp.signal).catch(
      (e: Error) => e.name,
    );
    await heldOnA(1);
    hangUp.abort();
    expect(await gone).toBe('AbortError');
    await heldOnA(0);
  });

  it('refuses a wait beyond the bound of waits a broker holds (503) and bad parameters (400, named)', async () => {
    const id = await pending();
    const waiter = replicas[0].get(RequestWaiterService);
    const limit = waiter.limit;
    waiter.limit = 1;
    try {
      const first = waitOnA(id, 'waitFor=ACTIVE&timeout=2s');
      await heldOnA(1);
      const refused = await waitOnA(id, 'waitFor=ACTIVE&timeout=2s');
      expect(refused.status).toBe(503);
      // A request already where the caller waits for it is answered without a wait, full or not.
      expect(await waitOnA(id, 'waitFor=PENDING&timeout=2s')).toMatchObject({
        status: 200,
        wait: 'reached',
      });
      expect((await first).wait).toBe('timeout');
    } finally {
      waiter.limit = limit;
    }
    for (const [query, field] of [
      ['waitFor=ACTIVE&timeout=61s', 'timeout'],
      ['waitFor=ACTIVE&timeout=soon', 'timeout'],
      ['timeout=5s', 'timeout'],
      ['waitFor=ready', 'waitFor'],
      ['wait=1', ''],
    ]) {
      const bad = await waitOnA(id, query);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain(field);
    }
    // Someone who may not see the request learns nothing by waiting on it.
    const res = await fetch(`${urls[0]}/api/v1/access-requests/${id}?waitFor=ACTIVE&timeout=5s`, {
      headers: { authorization: `Bearer ${w.mallory.token}` },
    });
    expect(res.status).toBe(403);
  });
});
