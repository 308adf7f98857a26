import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import {
  CONTRACT_VERSION,
  jobIds,
  type ObservedSession,
  type SessionsReport,
  type SyncUserResult,
} from '@doorman/contracts';
import { loadSealPublicKey, seal } from '@doorman/crypto';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ResultsProcessor } from '../apps/broker/src/grants/results.processor';
import { SessionObservationsService } from '../apps/broker/src/usage/session-observations.service';
import { SyncResultsRecorder } from '../apps/broker/src/grants/sync-results.recorder';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';

const MIN = 60_000;

/**
 * Sessions reports as a connector sends them, on real PostgreSQL and Redis: sessions recorded
 * once, seen, ended by the first complete report without them (redelivery and an older report
 * change nothing), last use on the database user and the grant, the report of access never
 * used, and a flow whose clock starts at the first login (moved by the first session, ended as
 * unused when none came in time).
 */
describe('usage: sessions observed, last use, unused access, clock from first login', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let w: World;
  let db: Client;
  let recorder: SyncResultsRecorder;
  let processor: ResultsProcessor;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const admin = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
    w = await createWorld(admin);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    recorder = app.get(SyncResultsRecorder);
    processor = app.get(ResultsProcessor);
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
  });

  const databaseUser = async () =>
    (
      await db.query('SELECT * FROM database_users WHERE integration_id = $1 AND user_id = $2', [
        w.integrationId,
        w.alice.id,
      ])
    ).rows[0];
  const row = async (id: string) =>
    (await db.query('SELECT * FROM access_requests WHERE id = $1', [id])).rows[0];
  const sessions = async () =>
    (
      await db.query(
        'SELECT pid, started_at, first_seen_at, last_seen_at, ended_at, client_addr, application_name FROM observed_sessions WHERE integration_id = $1 ORDER BY started_at',
        [w.integrationId],
      )
    ).rows;
  const audits = async (action: string, requestId: string) =>
    (
      await db.query('SELECT details FROM audit_events WHERE action = $1 AND request_id = $2', [
        action,
        requestId,
      ])
    ).rows.map((r: { details: Record<string, unknown> }) => r.details);

  async function applied(generation: number, startedAt: Date): Promise<void> {
    const du = await databaseUser();
    const r: SyncUserResult = {
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      connectorId: w.connectorId,
      jobId: jobIds.sync(w.integrationId, w.alice.id, generation),
      integrationId: w.integrationId,
      personId: w.alice.id,
      username: du.username,
      generation,
      attempt: 1,
      status: 'applied',
      startedAt: startedAt.toISOString(),
      sessionsTerminated: 0,
      effects: [],
      sealedPassword: seal('pw', loadSealPublicKey(env.env.BROKER_SEAL_PUBLIC_KEY)),
      passwordIssuedAt: startedAt.toISOString(),
    };
    await recorder.record([r]);
  }

  /** alice's grant, approved and applied with the target's clock at `startedAt`. */
  async function active(startedAt: Date): Promise<string> {
    const req = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
    });
    expect(req.status).toBe(201);
    const id = req.body.id as string;
    expect((await w.bob.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
    await applied((await row(id)).sync_generation, startedAt);
    expect((await row(id)).status).toBe('ACTIVE');
    return id;
  }

  async function ended(id: string): Promise<void> {
    expect((await w.alice.api.post(`/api/v1/access-requests/${id}/revoke`, {})).status).toBe(200);
    await applied((await databaseUser()).generation, new Date());
    expect((await row(id)).status).toBe('REVOKED');
  }

  async function report(at: Date, list: ObservedSession[], complete = true): Promise<void> {
    const r: SessionsReport = {
      v: CONTRACT_VERSION,
      kind: 'sessions',
      connectorId: w.connectorId,
      at: at.toISOString(),
      complete,
      sessions: list,
    };
    await processor.process(r);
  }

  const session = async (pid: number, startedAt: Date): Promise<ObservedSession> => ({
    role: (await databaseUser()).username,
    pid,
    startedAt: startedAt.toISOString(),
    database: 'app',
    clientAddr: '10.1.2.3',
    applicationName: 'psql',
  });

  let usedId: string;
  let unusedId: string;

  it('records a session once, sees it again, ends it at the first complete report without it', async () => {
    const t0 = new Date(Date.now() - 30 * MIN);
    usedId = await active(t0);
    const s = await session(4242, new Date(t0.getTime() + 2 * MIN));
    const t1 = new Date(t0.getTime() + 3 * MIN);
    const t2 = new Date(t0.getTime() + 4 * MIN);
    const t3 = new Date(t0.getTime() + 5 * MIN);

    await report(t1, [s]);
    await report(t1, [s]); // redelivered
    await report(t2, [s]);
    // Clipped: absent sessions are not ended by it.
    await report(new Date(t2.getTime() + 1000), [], false);
    expect(await sessions()).toEqual([
      expect.objectContaining({ pid: 4242, first_seen_at: t1, last_seen_at: t2, ended_at: null }),
    ]);

    await report(t3, []);
    await report(t1, [s]); // an older report, late: the session stays ended
    const [only, ...rest] = await sessions();
    expect(rest).toEqual([]);
    expect(only).toMatchObject({
      pid: 4242,
      started_at: new Date(s.startedAt),
      last_seen_at: t2,
      ended_at: t3,
      client_addr: '10.1.2.3',
      application_name: 'psql',
    });

    const du = await databaseUser();
    expect(du.last_used_at).toEqual(t2);
    const grant = await row(usedId);
    expect(grant.first_used_at).toEqual(new Date(s.startedAt));
    expect(grant.last_used_at).toEqual(t2);

    // What receipts read: the sessions within a window.
    const seen = await app
      .get(SessionObservationsService)
      .sessionsFor(du.id, t0, new Date(t0.getTime() + 10 * MIN));
    expect(seen).toEqual([
      {
        pid: 4242,
        database: 'app',
        clientAddr: '10.1.2.3',
        applicationName: 'psql',
        startedAt: new Date(s.startedAt),
        lastSeenAt: t2,
        endedAt: t3,
      },
    ]);
    expect(
      await app
        .get(SessionObservationsService)
        .sessionsFor(du.id, new Date(t3.getTime() + 1), new Date()),
    ).toEqual([]);

    const users = await w.security.api.get(
      `/api/v1/integrations/${w.integrationId}/database-users`,
    );
    expect(users.body.find((u: { personId: string }) => u.personId === w.alice.id).lastUsedAt).toBe(
      t2.toISOString(),
    );
    const view = await w.alice.api.get(`/api/v1/access-requests/${usedId}`);
    expect(view.body).toMatchObject({
      firstUsedAt: s.startedAt,
      lastUsedAt: t2.toISOString(),
      durationStartsAt: 'approval',
    });
    await ended(usedId);
  });

  it('reports approved access never used, per person and per flow', async () => {
    const since = new Date(Date.now() - 60 * MIN);
    unusedId = await active(new Date());
    await ended(unusedId);

    const res = await w.security.api.get(
      `/api/v1/reports/unused-access?since=${encodeURIComponent(since.toISOString())}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.grants.map((g: { requestId: string }) => g.requestId)).toEqual([unusedId]);
    expect(res.body.people).toEqual([
      { personId: w.alice.id, email: w.alice.email, unused: 1, requestIds: [unusedId] },
    ]);
    expect(res.body.flows).toEqual([
      expect.objectContaining({ flowId: w.flowId, granted: 2, unused: 1, requestIds: [unusedId] }),
    ]);

    expect(
      (await w.alice.api.get('/api/v1/reports/unused-access?since=2026-01-01T00:00:00Z')).status,
    ).toBe(403);
    const bad = await w.security.api.get('/api/v1/reports/unused-access?since=yesterday');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('since');
  });

  it('a firstLogin flow: VALID UNTIL bound at approval + wait + duration, moved by the first session', async () => {
    const flow = (await w.security.api.get(`/api/v1/access-flows/${w.flowId}`)).body;
    const bad = await w.security.api.put(`/api/v1/access-flows/${w.flowId}`, {
      ...editable(flow),
      durationStartsAt: 'firstLogin',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('maxWaitForFirstLogin');
    const put = await w.security.api.put(`/api/v1/access-flows/${w.flowId}`, {
      ...editable(flow),
      durationStartsAt: 'firstLogin',
      maxWaitForFirstLogin: '30m',
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ durationStartsAt: 'firstLogin', maxWaitForFirstLogin: '30m' });

    const g0 = new Date(Date.now() - 10 * MIN);
    const id = await active(g0);
    expect((await row(id)).expires_at).toEqual(new Date(g0.getTime() + 90 * MIN));
    const generation = (await databaseUser()).generation;

    const login = new Date(g0.getTime() + 5 * MIN);
    const at = new Date(login.getTime() + 15_000);
    await report(at, [await session(5151, login)]);
    await report(at, [await session(5151, login)]); // redelivered
    const grant = await row(id);
    expect(grant.first_used_at).toEqual(login);
    expect(grant.expires_at).toEqual(new Date(login.getTime() + 60 * MIN));
    expect(await audits('grant.first_used', id)).toEqual([
      {
        firstUsedAt: login.toISOString(),
        expiresAt: new Date(login.getTime() + 60 * MIN).toISOString(),
      },
    ]);
    // A sync carries the earlier VALID UNTIL to the target.
    expect((await databaseUser()).generation).toBe(generation + 1);
    const view = await w.alice.api.get(`/api/v1/access-requests/${id}`);
    expect(view.body).toMatchObject({
      durationStartsAt: 'firstLogin',
      maxWaitForFirstLogin: '30m',
    });
    await report(new Date(at.getTime() + 1000), []);
    await ended(id);
  });

  it('a firstLogin grant nobody used within the wait ends by itself as unused', async () => {
    const g0 = new Date(Date.now() - 31 * MIN);
    const id = await active(g0);
    await report(new Date(g0.getTime() + 29 * MIN), []);
    expect((await row(id)).status).toBe('ACTIVE');
    await report(new Date(g0.getTime() + 30 * MIN), []);
    const grant = await row(id);
    expect(grant).toMatchObject({ status: 'REVOKING', status_reason: 'unused' });
    expect(await audits('grant.expired', id)).toEqual([
      expect.objectContaining({ reason: 'unused' }),
    ]);
    // Its role is revoked by the sync that follows; the report does not end it twice.
    await report(new Date(g0.getTime() + 31 * MIN), []);
    expect(await audits('grant.expired', id)).toHaveLength(1);
    await applied((await databaseUser()).generation, new Date());
    expect(await row(id)).toMatchObject({ status: 'REVOKED', status_reason: 'unused' });
  });
});

/** The flow of the world (support/fixtures) as a PUT body, its approver step as written there. */
function editable(flow: Record<string, any>): Record<string, unknown> {
  return {
    name: flow.name,
    integrationId: flow.integrationId,
    requestors: flow.requestors,
    resources: flow.resources,
    permissions: flow.permissions,
    approvers: { userIds: flow.steps[0].approvers.userIds },
    defaultDuration: flow.defaultDuration,
    maxDuration: flow.maxDuration,
  };
}
