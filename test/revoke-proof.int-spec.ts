import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import {
  CONTRACT_VERSION,
  jobIds,
  type RevokeVerification,
  type SyncUserResult,
} from '@doorman/contracts';
import { loadSealPublicKey, seal } from '@doorman/crypto';
import { Client } from 'pg';
import { AuditChainService } from '../apps/broker/src/audit/audit-chain.service';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { SyncResultsRecorder } from '../apps/broker/src/grants/sync-results.recorder';
import { BrokerMetrics } from '../apps/broker/src/metrics/broker-metrics.service';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type Person, type World } from './support/fixtures';

/**
 * The broker's side of the proof that access ended, in-process on real PostgreSQL and Redis:
 * the connector's check of the target after a revoke is kept with the database user, a check
 * that found something is a revoke.residue audit event (found, fixed, left) in the hash chain
 * and counted in doorman_revoke_residue_total; a clean check is stored and is not an event.
 */
describe('the proof that access ended, recorded', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let w: World;
  let db: Client;
  let recorder: SyncResultsRecorder;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const admin = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
    w = await createWorld(admin);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    recorder = app.get(SyncResultsRecorder);
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
  });

  const databaseUser = async (personId: string) =>
    (
      await db.query('SELECT * FROM database_users WHERE integration_id = $1 AND user_id = $2', [
        w.integrationId,
        personId,
      ])
    ).rows[0];
  const row = async (id: string) =>
    (await db.query('SELECT * FROM access_requests WHERE id = $1', [id])).rows[0];
  const residueEvents = async (requestId: string) =>
    (
      await db.query(
        "SELECT request_id, details FROM audit_events WHERE action = 'revoke.residue' AND request_id = $1",
        [requestId],
      )
    ).rows as Array<{ request_id: string | null; details: Record<string, unknown> }>;

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
      sessionsTerminated: 0,
      effects: [],
      ...over,
    };
  }

  /** A grant of `person`, approved, applied and then revoked: REVOKING, awaiting its result. */
  async function revoking(person: Person): Promise<string> {
    const req = await person.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
      justification: 'revoke proof',
    });
    expect(req.status).toBe(201);
    expect((await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/approve`)).status).toBe(
      200,
    );
    const id = req.body.id as string;
    const sealed = seal('pw', loadSealPublicKey(env.env.BROKER_SEAL_PUBLIC_KEY));
    await recorder.record([
      await result(person.id, (await row(id)).sync_generation, {
        sealedPassword: sealed,
        passwordIssuedAt: new Date().toISOString(),
      }),
    ]);
    expect((await row(id)).status).toBe('ACTIVE');
    expect((await person.api.post(`/api/v1/access-requests/${id}/revoke`, {})).status).toBe(200);
    return id;
  }

  it('keeps a check that found residue, audits what was found, fixed and left, and counts it', async () => {
    const id = await revoking(w.alice);
    const verification: RevokeVerification = {
      checkedAt: '2026-01-01T12:00:00.000Z',
      clean: false,
      found: [
        {
          kind: 'privilege',
          object: 'table "public"."orders" in database "app"',
          detail: 'SELECT granted by "app_owner"',
        },
        {
          kind: 'owned',
          object: 'table public.scratch in database "app"',
          detail: 'owned by the user; left in place',
        },
      ],
      fixed: [
        {
          kind: 'privilege',
          object: 'table "public"."orders" in database "app"',
          detail: 'SELECT granted by "app_owner"',
        },
      ],
    };
    const du = await databaseUser(w.alice.id);
    const r = await result(w.alice.id, du.generation, { verification });
    expect(await recorder.record([r])).toEqual([null]);

    expect((await row(id)).status).toBe('REVOKED');
    const stored = await databaseUser(w.alice.id);
    expect(stored.revoke_verification).toEqual(verification);
    expect(new Date(stored.revoke_verified_at as string).toISOString()).toBe(
      verification.checkedAt,
    );
    const [event] = await residueEvents(id);
    expect(event.request_id).toBe(id);
    expect(event.details).toMatchObject({
      username: du.username,
      generation: du.generation,
      counts: { found: 2, fixed: 1, left: 1 },
      left: [verification.found[1]],
    });
    const metrics = app.get(BrokerMetrics);
    await waitFor('the residue counted', async () => {
      const { body } = await metrics.render();
      return body.includes('doorman_revoke_residue_total{outcome="left"} 1') || undefined;
    });
    const { body } = await metrics.render();
    expect(body).toContain('doorman_revoke_residue_total{outcome="found"} 2');
    expect(body).toContain('doorman_revoke_residue_total{outcome="fixed"} 1');

    // Redelivered: the grant has moved on; the check is kept, nothing is audited twice.
    expect(await recorder.record([r])).toEqual([null]);
    expect(await residueEvents(id)).toHaveLength(1);
    expect(await app.get(AuditChainService).verify()).toMatchObject({ ok: true });
  });

  it('keeps a clean check and audits nothing more than the revoke', async () => {
    const id = await revoking(w.alice);
    const du = await databaseUser(w.alice.id);
    const verification = { checkedAt: new Date().toISOString(), clean: true, found: [], fixed: [] };
    expect(
      await recorder.record([await result(w.alice.id, du.generation, { verification })]),
    ).toEqual([null]);
    expect((await row(id)).status).toBe('REVOKED');
    expect((await databaseUser(w.alice.id)).revoke_verification).toEqual(verification);
    expect(await residueEvents(id)).toEqual([]);
  });
});
