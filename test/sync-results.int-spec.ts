import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { CONTRACT_VERSION, jobIds, type SyncUserResult } from '@doorman/contracts';
import { loadSealPublicKey, seal } from '@doorman/crypto';
import { Client } from 'pg';
import { AuditChainService } from '../apps/broker/src/audit/audit-chain.service';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ExpiryService } from '../apps/broker/src/grants/expiry.service';
import { SyncResultsRecorder } from '../apps/broker/src/grants/sync-results.recorder';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createPerson, createWorld, type Person, type World } from './support/fixtures';

/**
 * Connector results recorded in batches (one transaction for many), in-process on real PostgreSQL and Redis:
 * one transaction for many results, with the same outcomes as recording them one at a time.
 */
describe('sync results and expiries recorded in batches', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let w: World;
  let db: Client;
  let people: Person[];
  let recorder: SyncResultsRecorder;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const admin = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
    w = await createWorld(admin);
    people = [w.alice];
    for (const name of ['dave', 'erin', 'frank', 'grace', 'heidi'])
      people.push(await createPerson(admin, name));
    const flow = await w.security.api.post('/api/v1/access-flows', {
      name: `batch-flow-${Date.now().toString(36)}`,
      integrationId: w.integrationId,
      requestors: { userIds: people.map((p) => p.id), groupIds: [] },
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['read', 'write'],
      approvers: { userIds: [w.bob.id] },
      defaultDuration: '1h',
      maxDuration: '2h',
      // alice's world flow offers app.public too: this one judges her requests here.
      priority: 1,
    });
    expect(flow.status).toBe(201);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    recorder = app.get(SyncResultsRecorder);
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
  });

  const row = async (id: string) =>
    (await db.query('SELECT * FROM access_requests WHERE id = $1', [id])).rows[0];
  const databaseUser = async (personId: string) =>
    (
      await db.query('SELECT * FROM database_users WHERE integration_id = $1 AND user_id = $2', [
        w.integrationId,
        personId,
      ])
    ).rows[0];
  const count = (list: string[], action: string) => list.filter((a) => a === action).length;
  const events = async (requestId: string) =>
    (
      await db.query('SELECT action FROM audit_events WHERE request_id = $1 ORDER BY id', [
        requestId,
      ])
    ).rows.map((r) => r.action as string);

  /** A request by `person`, approved by bob: GRANTING, with the generation of its sync. */
  async function granting(person: Person, permission = 'read'): Promise<string> {
    const req = await person.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission,
      duration: '1h',
      justification: 'batch test',
    });
    expect(req.status).toBe(201);
    const approved = await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/approve`);
    expect(approved.status).toBe(200);
    return req.body.id as string;
  }

  /** What the connector would send back for the person's sync of `generation`. */
  async function result(
    personId: string,
    generation: number,
    over: Partial<SyncUserResult> = {},
  ): Promise<SyncUserResult> {
    const du = await databaseUser(personId);
    return {
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      connectorId: w.connectorId,
      jobId: jobIds.sync(w.integrationId, personId, generation),
      integrationId: w.integrationId,
      personId,
      username: du.username,
      generation,
      attempt: 1,
      status: 'applied',
      startedAt: new Date().toISOString(),
      sealedPassword: seal('pw-' + personId, loadSealPublicKey(env.env.BROKER_SEAL_PUBLIC_KEY)),
      passwordIssuedAt: new Date().toISOString(),
      sessionsTerminated: 0,
      effects: [],
      ...over,
    };
  }

  it('records grants of several people, a duplicate, two results for one person and an older generation in one call', async () => {
    const [alice, dave, erin] = people;
    const a = await granting(alice);
    const d1 = await granting(dave);
    const d2 = await granting(dave, 'write');
    const e1 = await granting(erin);
    const e2 = await granting(erin, 'write');
    const [ga, gd1, gd2, ge1] = [
      (await row(a)).sync_generation,
      (await row(d1)).sync_generation,
      (await row(d2)).sync_generation,
      (await row(e1)).sync_generation,
    ];
    expect(gd2).toBeGreaterThan(gd1);
    const ofAlice = await result(alice.id, ga);
    const batch = [
      ofAlice,
      { ...ofAlice }, // the same result delivered twice
      await result(dave.id, gd2), // dave's newest state realises both of his grants
      await result(dave.id, gd1, { status: 'stale', sealedPassword: undefined }), // an older one, after it
      await result(erin.id, ge1), // erin's older generation only: her second grant waits
    ];
    expect(await recorder.record(batch)).toEqual(batch.map(() => null));

    for (const id of [a, d1, d2, e1]) {
      expect(await row(id)).toMatchObject({ status: 'ACTIVE', last_error: null });
      expect((await row(id)).expires_at).not.toBeNull();
      expect(count(await events(id), 'grant.activated')).toBe(1);
    }
    expect((await row(e2)).status).toBe('GRANTING');
    expect(await databaseUser(dave.id)).toMatchObject({ applied_generation: gd2, state: 'active' });
    // When the newest of dave's syncs finished, by the target's clock: the later one.
    const daveApplied = Math.max(...[batch[2], batch[3]].map((r) => Date.parse(r.startedAt!)));
    expect(new Date((await databaseUser(dave.id)).last_applied_at as string).getTime()).toBe(
      daveApplied,
    );
    const aliceUser = await databaseUser(alice.id);
    expect(aliceUser.sealed_password).toEqual(ofAlice.sealedPassword);
    expect(aliceUser.password_pending_generation).toBeNull();
    // One expiry timer per grant (the outbox may already have moved them to Redis).
    const timers = await db.query(
      "SELECT count(*)::int AS n FROM outbox WHERE job_id LIKE 'expire:' || $1 || '%'",
      [a],
    );
    expect(timers.rows[0].n).toBeLessThanOrEqual(1);

    // Redelivered as a whole (acknowledgement lost): nothing changes.
    const before = await db.query('SELECT count(*)::int AS n FROM audit_events');
    expect(await recorder.record(batch)).toEqual(batch.map(() => null));
    expect((await db.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n).toBe(
      before.rows[0].n,
    );
    expect(await app.get(AuditChainService).verify()).toMatchObject({ ok: true });
  });

  it('records a connector failure beside successes, and one result that cannot be recorded fails alone', async () => {
    const [, , , frank, grace] = people;
    const f = await granting(frank);
    const g = await granting(grace);
    const failed = await result(frank.id, (await row(f)).sync_generation, {
      status: 'failed',
      sealedPassword: undefined,
      error: { code: 'TARGET_UNAVAILABLE', message: 'connection refused', retryable: true },
    });
    const ok = await result(grace.id, (await row(g)).sync_generation);
    const broken = { ...ok, personId: 'not-a-uuid', jobId: 'broken' };
    const outcomes = await recorder.record([failed, broken, ok]);
    expect(outcomes[0]).toBeNull();
    expect(outcomes[1]).toBeInstanceOf(Error);
    expect(outcomes[2]).toBeNull();
    expect(await row(f)).toMatchObject({
      status: 'GRANTING',
      last_error: expect.stringContaining('TARGET_UNAVAILABLE'),
    });
    expect(await events(f)).toContain('sync.failed');
    expect((await row(g)).status).toBe('ACTIVE');
    expect(count(await events(g), 'grant.activated')).toBe(1);
  });

  it('records revokes in one call: grants REVOKED, users inactive with cleanup due', async () => {
    const [, , , , , heidi] = people;
    const [alice] = people;
    const h = await granting(heidi);
    await recorder.record([await result(heidi.id, (await row(h)).sync_generation)]);
    expect((await row(h)).status).toBe('ACTIVE');
    const activeOfAlice = (
      await db.query(
        "SELECT id FROM access_requests WHERE requester_id = $1 AND status = 'ACTIVE'",
        [alice.id],
      )
    ).rows.map((r) => r.id as string);
    expect(activeOfAlice.length).toBeGreaterThan(0);
    for (const id of [h, ...activeOfAlice]) {
      const owner = id === h ? heidi : alice;
      expect((await owner.api.post(`/api/v1/access-requests/${id}/revoke`, {})).status).toBe(200);
    }
    const batch = [
      await result(heidi.id, (await databaseUser(heidi.id)).generation, {
        sealedPassword: undefined,
        sessionsTerminated: 1,
      }),
      await result(alice.id, (await databaseUser(alice.id)).generation, {
        sealedPassword: undefined,
      }),
    ];
    expect(await recorder.record(batch)).toEqual([null, null]);
    for (const id of [h, ...activeOfAlice]) {
      expect((await row(id)).status).toBe('REVOKED');
      expect(count(await events(id), 'grant.revoked')).toBe(1);
    }
    for (const p of [heidi, alice]) {
      const du = await databaseUser(p.id);
      expect(du.state).toBe('inactive');
      expect(du.access_ended_at).not.toBeNull();
      expect(du.cleanup_due_at).not.toBeNull();
    }
    expect(await app.get(AuditChainService).verify()).toMatchObject({ ok: true });
  });
  it('expires due grants together and leaves the others alone', async () => {
    const [, dave, erin] = people;
    const active = (
      await db.query(
        "SELECT id, requester_id FROM access_requests WHERE requester_id = ANY($1) AND status = 'ACTIVE' ORDER BY id",
        [[dave.id, erin.id]],
      )
    ).rows as Array<{ id: string; requester_id: string }>;
    expect(active.length).toBeGreaterThanOrEqual(3);
    const [notDue, ...due] = active;
    await db.query(
      "UPDATE access_requests SET expires_at = now() - interval '1 second' WHERE id = ANY($1)",
      [due.map((r) => r.id)],
    );
    const generations = new Map<string, number>();
    for (const p of [dave, erin]) generations.set(p.id, (await databaseUser(p.id)).generation);
    const ended = await app.get(ExpiryService).expireGrants(active.map((r) => r.id));
    expect([...ended].sort()).toEqual(due.map((r) => r.id).sort());
    expect((await row(notDue.id)).status).toBe('ACTIVE');
    for (const r of due) {
      expect(await row(r.id)).toMatchObject({ status: 'REVOKING', status_reason: 'expired' });
      expect((await row(r.id)).sync_generation).toBeGreaterThan(generations.get(r.requester_id)!);
      expect(count(await events(r.id), 'grant.expired')).toBe(1);
    }
    // Fired again (a redelivered timer): nothing more happens.
    expect((await app.get(ExpiryService).expireGrants(due.map((r) => r.id))).size).toBe(0);
  });
});
