import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { CONTRACT_VERSION, jobIds, type Inventory, type SyncUserResult } from '@doorman/contracts';
import { loadSealPublicKey, seal } from '@doorman/crypto';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ReconcileService } from '../apps/broker/src/grants/reconcile.service';
import { SyncResultsRecorder } from '../apps/broker/src/grants/sync-results.recorder';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createPerson, createWorld, type Person, type World } from './support/fixtures';

/**
 * Issue 18: a result that applied some of a person's grants and left out one that cannot be
 * (its group reported failed) fails that grant alone, with its own error; the others turn
 * ACTIVE. Issue 20: an inventory read before the newest applied sync finished is not taken
 * for drift. In-process, on real PostgreSQL and Redis.
 */
describe('partial syncs and inventories older than the last apply', () => {
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
    people = [];
    for (const name of ['dave', 'erin', 'frank', 'grace', 'heidi'])
      people.push(await createPerson(admin, name));
    const flow = await w.security.api.post('/api/v1/access-flows', {
      name: `partial-flow-${Date.now().toString(36)}`,
      integrationId: w.integrationId,
      requestors: { userIds: people.map((p) => p.id), groupIds: [] },
      resources: [
        { database: 'app', schema: 'public' },
        { database: 'app', schema: 'gone' },
      ],
      permissions: ['read'],
      approvers: { userIds: [w.bob.id] },
      defaultDuration: '1h',
      maxDuration: '2h',
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
  const events = async (requestId: string) =>
    (
      await db.query('SELECT action, details FROM audit_events WHERE request_id = $1 ORDER BY id', [
        requestId,
      ])
    ).rows as Array<{ action: string; details: Record<string, unknown> }>;
  const corrections = async (username: string) =>
    (
      await db.query(
        "SELECT count(*)::int AS n FROM audit_events WHERE action = 'reconcile.corrected' AND details->>'username' = $1",
        [username],
      )
    ).rows[0].n as number;

  async function granting(person: Person, schema: string): Promise<string> {
    const req = await person.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema,
      permission: 'read',
      duration: '1h',
      justification: 'partial sync test',
    });
    expect(req.status).toBe(201);
    const approved = await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/approve`);
    expect(approved.status).toBe(200);
    return req.body.id as string;
  }

  const goneFailed = {
    database: 'app',
    schema: 'gone',
    permission: 'read' as const,
    error: {
      code: 'SCHEMA_MISSING',
      message: 'schema "gone" does not exist in database "app"',
      retryable: false,
    },
  };

  /** What the connector sends back for the person's sync of `generation`. */
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

  const newestGeneration = async (...ids: string[]) =>
    Math.max(
      ...(await Promise.all(ids.map(async (id) => (await row(id)).sync_generation as number))),
    );

  it.each([
    ['one by one', 1],
    ['in a batch beside another result', 2],
  ])(
    'fails only the grant left out, with its own error, and activates the other (%s)',
    async (_how, batchSize) => {
      const [who, other] = batchSize === 1 ? [people[0], null] : [people[1], people[2]];
      const good = await granting(who, 'public');
      const bad = await granting(who, 'gone');
      const generation = await newestGeneration(good, bad);
      const results = [await result(who.id, generation, { failedGroups: [goneFailed] })];
      let othersRequest: string | null = null;
      if (other) {
        othersRequest = await granting(other, 'public');
        results.push(await result(other.id, (await row(othersRequest)).sync_generation));
      }
      expect(await recorder.record(results)).toEqual(results.map(() => null));

      expect(await row(good)).toMatchObject({ status: 'ACTIVE', last_error: null });
      expect(await row(bad)).toMatchObject({
        status: 'FAILED',
        last_error: 'SCHEMA_MISSING: schema "gone" does not exist in database "app"',
        status_reason: 'SCHEMA_MISSING: schema "gone" does not exist in database "app"',
      });
      expect((await row(bad)).ended_at).not.toBeNull();
      expect((await events(good)).map((e) => e.action)).toContain('grant.activated');
      const badEvents = await events(bad);
      expect(badEvents.map((e) => e.action)).not.toContain('grant.activated');
      expect(badEvents.find((e) => e.action === 'sync.failed')?.details).toMatchObject({
        error: { code: 'SCHEMA_MISSING' },
        group: { database: 'app', schema: 'gone', permission: 'read' },
      });
      if (othersRequest) expect((await row(othersRequest)).status).toBe('ACTIVE');
      expect(await databaseUser(who.id)).toMatchObject({
        applied_generation: generation,
        state: 'active',
      });
    },
  );

  it('a person none of whose grants could be applied ends without access', async () => {
    const who = people[3];
    const bad = await granting(who, 'gone');
    const r = await result(who.id, (await row(bad)).sync_generation, {
      sealedPassword: undefined,
      passwordIssuedAt: undefined,
      validUntil: null,
      failedGroups: [goneFailed],
    });
    expect(await recorder.record([r])).toEqual([null]);
    expect((await row(bad)).status).toBe('FAILED');
    expect(await databaseUser(who.id)).toMatchObject({
      state: 'inactive',
      password_pending_generation: null,
    });
  });

  it('an active grant whose group cannot be applied again stays ACTIVE and says why', async () => {
    const who = people[1]; // holds app.public from the batch case
    const [active] = (
      await db.query(
        "SELECT id FROM access_requests WHERE requester_id = $1 AND schema = 'public' AND status = 'ACTIVE'",
        [who.id],
      )
    ).rows as Array<{ id: string }>;
    expect(active).toBeDefined();
    const du = await databaseUser(who.id);
    const publicFailed = { ...goneFailed, schema: 'public' };
    const r = await result(who.id, du.generation as number, {
      status: 'stale',
      sealedPassword: undefined,
      failedGroups: [publicFailed],
    });
    expect(await recorder.record([r])).toEqual([null]);
    expect(await row(active.id)).toMatchObject({
      status: 'ACTIVE',
      last_error: `SCHEMA_MISSING: ${goneFailed.error.message}`,
    });
  });

  describe('an inventory older than the last apply', () => {
    const inventory = (at: Date, roles: Inventory['roles'] = []): Inventory => ({
      v: CONTRACT_VERSION,
      kind: 'inventory',
      connectorId: w.connectorId,
      at: at.toISOString(),
      roles,
    });

    it('does not count a role created after it as missing; one read after the apply does', async () => {
      const who = people[4];
      const id = await granting(who, 'public');
      const appliedAt = new Date(Date.now() + 60_000); // the target's clock may run ahead
      const r = await result(who.id, (await row(id)).sync_generation, {
        startedAt: new Date(appliedAt.getTime() - 20).toISOString(),
        appliedAt: appliedAt.toISOString(),
      });
      expect(await recorder.record([r])).toEqual([null]);
      expect((await row(id)).status).toBe('ACTIVE');
      expect(new Date((await databaseUser(who.id)).last_applied_at as string).getTime()).toBe(
        appliedAt.getTime(),
      );
      const reconcile = app.get(ReconcileService);

      // Read before the role was created, judged after the grant became active.
      // (The other people of this file are judged too: only this person's outcome counts.)
      await reconcile.onInventory(inventory(new Date(appliedAt.getTime() - 5)));
      expect(await corrections(r.username)).toBe(0);
      const generation = (await databaseUser(who.id)).generation as number;

      // Read after the apply, the role really missing: corrected, and audited.
      await reconcile.onInventory(inventory(new Date(appliedAt.getTime() + 5)));
      expect(await corrections(r.username)).toBe(1);
      expect((await databaseUser(who.id)).generation).toBe(generation + 1);
    });
  });
});
