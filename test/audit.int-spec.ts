import 'reflect-metadata';
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { CHAIN_COLUMNS, eventHash, type ChainRow } from '../apps/broker/src/audit/audit-chain';
import { generateSigningKey } from '../apps/broker/src/audit/audit-checkpoint';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';

/** The tamper-evident audit trail on the real broker: chain, append-only, exports, auditor questions. */
describe('audit trail (broker on real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let admin: ApiClient;
  let w: World;
  let db: Client;
  let requestId: string;
  const stdout: string[] = [];

  beforeAll(async () => {
    env = await createBrokerTestEnv({ AUDIT_STDOUT: 'true', AUDIT_SEAL_INTERVAL_MS: '100' });
    const write = process.stdout.write.bind(process.stdout);
    jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        if (typeof chunk === 'string' && chunk.includes('"doorman-audit"')) {
          stdout.push(chunk);
          return true;
        }
        return write(chunk, ...(rest as []));
      });
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    admin = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
    w = await createWorld(admin);
    const req = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
      justification: 'a "quoted", comma, =formula',
    });
    requestId = req.body.id;
    await w.bob.api.post(`/api/v1/access-requests/${requestId}/approve`);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await db?.end();
    await app?.close();
    await env?.dispose();
  });

  it('records actor, channel and source address with every event', async () => {
    const trail = (await w.security.api.get(`/api/v1/audit-events?requestId=${requestId}`)).body;
    expect(trail[0]).toMatchObject({
      action: 'request.created',
      actorId: w.alice.id,
      channel: 'api',
    });
    expect(trail[0].sourceAddress).toMatch(/127\.0\.0\.1/);
  });

  it('seals events into a hash chain that verifies', async () => {
    const v = (await w.security.api.get('/api/v1/audit-events/verify')).body;
    expect(v).toMatchObject({ ok: true, unsealed: 0 });
    const total = await db.query('SELECT count(*)::int AS n FROM audit_events');
    expect(v.checked).toBe(total.rows[0].n);
    expect((await w.alice.api.get('/api/v1/audit-events/verify')).status).toBe(403);
  });

  it('is append-only: updates and deletes are refused by the database', async () => {
    await expect(
      db.query(
        "UPDATE audit_events SET action = 'x' WHERE id = (SELECT min(id) FROM audit_events)",
      ),
    ).rejects.toThrow('append-only');
    await expect(db.query('DELETE FROM audit_events')).rejects.toThrow('append-only');
  });

  it('streams each event to stdout as a JSON line when AUDIT_STDOUT is on', async () => {
    await waitFor('stdout lines', async () => stdout.some((l) => l.includes('request.approved')));
    const line = JSON.parse(stdout.find((l) => l.includes('request.approved'))!);
    expect(line).toMatchObject({
      stream: 'doorman-audit',
      action: 'request.approved',
      actorId: w.bob.id,
      requestId,
    });
  });

  it('exports JSON lines, CSV and CADF, filtered', async () => {
    const jsonl = await w.security.api.get(
      `/api/v1/audit-events/export?format=jsonl&requestId=${requestId}`,
    );
    const events = (jsonl.body as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.action)).toEqual([
      'request.created',
      'request.approved',
      'grant.requested',
    ]);
    expect(events.every((e) => typeof e.hash === 'string' && e.hash.length === 64)).toBe(true);

    const csv = (
      await w.security.api.get(`/api/v1/audit-events/export?format=csv&requestId=${requestId}`)
    ).body as string;
    const rows = csv.trim().split('\n');
    expect(rows[0]).toBe(
      'id,seq,at,action,actor_id,actor_type,channel,source_address,request_id,integration_id,details,hash',
    );
    expect(rows).toHaveLength(4);
    // The JSON of the details, quoted for CSV: every " doubled.
    expect(csv).toContain('\\""quoted\\""');

    const cadfBody: unknown = (
      await w.security.api.get(
        `/api/v1/audit-events/export?format=cadf&actorId=${w.bob.id}&action=request.approved`,
      )
    ).body;
    // One event is one JSON line, which the test client already parsed.
    const cadf =
      typeof cadfBody === 'string'
        ? cadfBody
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l))
        : [cadfBody];
    expect(cadf).toHaveLength(1);
    expect(cadf[0]).toMatchObject({
      typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event',
      eventType: 'activity',
      action: 'authorize',
      outcome: 'success',
      initiator: { id: w.bob.id, typeURI: 'service/security/account/user' },
      target: { id: requestId },
    });
    const byResource = (
      await w.security.api.get(
        `/api/v1/audit-events/export?database=app&schema=public&integrationId=${w.integrationId}`,
      )
    ).body as string;
    expect(byResource.trim().split('\n').length).toBe(3);
    expect((await w.alice.api.get('/api/v1/audit-events/export')).status).toBe(403);
  });

  it('answers who had access to a resource between two times, and what a person did', async () => {
    // Make the grant look as if the connector had applied it an hour ago for 30 minutes.
    await db.query(
      "UPDATE access_requests SET status = 'REVOKED', granted_at = now() - interval '60 minutes', expires_at = now() - interval '30 minutes', ended_at = now() - interval '30 minutes' WHERE id = $1",
      [requestId],
    );
    const q = (from: string, to: string) =>
      w.security.api.get(
        `/api/v1/access-history?integrationId=${w.integrationId}&database=app&schema=public&from=${from}&to=${to}`,
      );
    const hourAgo = new Date(Date.now() - 45 * 60_000).toISOString();
    const now = new Date().toISOString();
    const inRange = (await q(hourAgo, now)).body;
    expect(inRange).toEqual([
      expect.objectContaining({ requestId, email: w.alice.email, permission: 'read' }),
    ]);
    const after = (await q(new Date(Date.now() - 20 * 60_000).toISOString(), now)).body;
    expect(after).toEqual([]);
    const activity = (await w.security.api.get(`/api/v1/users/${w.alice.id}/activity`)).body;
    expect(activity.requests.map((r: { id: string }) => r.id)).toContain(requestId);
    expect(activity.events.map((e: { action: string }) => e.action)).toContain('request.created');
  });

  it('makes no checkpoints without a signing key, and says why', async () => {
    for (const res of [
      await w.security.api.post('/api/v1/audit-events/checkpoints'),
      await w.security.api.get('/api/v1/audit-events/public-key'),
    ]) {
      expect(res.status).toBe(409);
      expect(JSON.stringify(res.body)).toContain('AUDIT_SIGNING_PRIVATE_KEY');
    }
  });

  it('names the first broken link when a row is tampered with behind the trigger', async () => {
    const victim = (
      await db.query("SELECT id::text FROM audit_events WHERE action = 'request.approved'")
    ).rows[0].id;
    await db.query('ALTER TABLE audit_events DISABLE TRIGGER audit_append_only');
    await db.query(`UPDATE audit_events SET details = '{"forged": true}' WHERE id = $1`, [victim]);
    await db.query('ALTER TABLE audit_events ENABLE TRIGGER audit_append_only');
    const v = (await w.security.api.get('/api/v1/audit-events/verify')).body;
    expect(v).toMatchObject({
      ok: false,
      brokenAt: { id: victim },
      reason: 'content does not match its hash',
    });
  });
});

/**
 * Signed checkpoints of the chain's head against someone who can write the table behind its
 * trigger (a database superuser): the chain alone cannot catch a truncation of its newest
 * events or a row rewritten with every later hash recomputed; verify against a checkpoint does.
 */
describe('audit checkpoints (broker on real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let w: World;
  let db: Client;
  const stream: string[] = [];

  const checkpoint = async () => {
    const res = await w.security.api.post('/api/v1/audit-events/checkpoints');
    expect(res.status).toBe(201);
    return res.body;
  };
  const verifyWith = async (c: unknown) =>
    w.security.api.post('/api/v1/audit-events/verify', { checkpoint: c });
  /** As a superuser who turns the append-only trigger off around the statements. */
  const behindTheTrigger = async (work: () => Promise<void>) => {
    await db.query('ALTER TABLE audit_events DISABLE TRIGGER audit_append_only');
    try {
      await work();
    } finally {
      await db.query('ALTER TABLE audit_events ENABLE TRIGGER audit_append_only');
    }
  };

  beforeAll(async () => {
    env = await createBrokerTestEnv({
      AUDIT_STDOUT: 'true',
      AUDIT_SEAL_INTERVAL_MS: '100',
      AUDIT_SIGNING_PRIVATE_KEY: generateSigningKey(),
      AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
    });
    const write = process.stdout.write.bind(process.stdout);
    jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        if (typeof chunk === 'string' && chunk.includes('"doorman-audit-checkpoint"')) {
          stream.push(chunk);
          return true;
        }
        return write(chunk, ...(rest as []));
      });
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const admin = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
    w = await createWorld(admin);
    for (let i = 0; i < 3; i++) {
      const req = await w.alice.api.post('/api/v1/access-requests', {
        integrationId: w.integrationId,
        database: 'app',
        schema: 'public',
        permission: 'read',
        duration: '30m',
        justification: `checkpoint ${i}`,
      });
      await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/deny`, { reason: 'no' });
    }
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await db?.end();
    await app?.close();
    await env?.dispose();
  });

  it('signs the head by itself every interval', async () => {
    await waitFor('a checkpoint on the stream', async () => stream.length > 0);
    expect(JSON.parse(stream[0])).toMatchObject({ stream: 'doorman-audit-checkpoint', version: 1 });
  });

  it('signs the head with a key anyone holding the public key can check, and streams it', async () => {
    const c = await checkpoint();
    const head = await db.query(
      'SELECT e.seq::text AS seq, e.id::text AS id, e.hash FROM audit_events e WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1',
    );
    expect(c).toMatchObject({ version: 1, ...head.rows[0], count: Number(head.rows[0].seq) });

    const key = (await w.security.api.get('/api/v1/audit-events/public-key')).body;
    expect(key).toMatchObject({ algorithm: 'Ed25519', keyId: c.keyId });
    const signed = JSON.stringify([
      'doorman-audit-checkpoint',
      c.version,
      c.seq,
      c.id,
      c.hash,
      c.count,
      c.at,
      c.keyId,
    ]);
    expect(
      verifySignature(
        null,
        Buffer.from(signed),
        createPublicKey(key.pem),
        Buffer.from(c.signature, 'base64'),
      ),
    ).toBe(true);
    expect(stream.map((l) => JSON.parse(l))).toContainEqual({
      stream: 'doorman-audit-checkpoint',
      ...c,
    });
    expect((await w.alice.api.post('/api/v1/audit-events/checkpoints')).status).toBe(403);
  });

  it('verifies an untouched chain against its checkpoint', async () => {
    const c = await checkpoint();
    const v = await verifyWith(c);
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({
      ok: true,
      chain: { ok: true, unsealed: 0 },
      checkpoint: { matches: true },
    });
  });

  it('refuses a forged checkpoint (its signature does not verify)', async () => {
    const c = await checkpoint();
    const older = { ...c, seq: String(Number(c.seq) - 1), count: c.count - 1 };
    const v = await verifyWith(older);
    expect(v.status).toBe(400);
    expect(JSON.stringify(v.body)).toContain('does not verify');
    expect((await verifyWith({ ...c, signature: 'AAAA' })).status).toBe(400);
  });

  it('reports the newest events missing after a superuser deleted them', async () => {
    const c = await checkpoint();
    await behindTheTrigger(async () => {
      await db.query('DELETE FROM audit_events WHERE seq > $1', [Number(c.seq) - 2]);
    });
    // The chain that is left is consistent, so the chain alone says ok…
    const plain = (await w.security.api.get('/api/v1/audit-events/verify')).body;
    expect(plain).toMatchObject({ ok: true, lastSeq: String(Number(c.seq) - 2) });
    // …but not against the checkpoint.
    const v = (await verifyWith(c)).body;
    expect(v).toMatchObject({
      ok: false,
      chain: { ok: true },
      checkpoint: { matches: false, missing: 2 },
    });
    expect(v.checkpoint.reason).toContain('2 sealed event(s) missing');
  });

  it('reports a rewritten history: a row edited and every later hash recomputed', async () => {
    const c = await checkpoint();
    const victimSeq = Number(c.seq) - 3;
    await behindTheTrigger(async () => {
      await db.query(
        `UPDATE audit_events SET details = '{"justification": "nothing to see"}' WHERE seq = $1`,
        [victimSeq],
      );
      const rows = (
        await db.query<ChainRow>(
          `SELECT ${CHAIN_COLUMNS} FROM audit_events e WHERE e.seq >= $1 ORDER BY e.seq`,
          [victimSeq],
        )
      ).rows;
      let prev = rows[0].prev_hash!;
      for (const r of rows) {
        const hash = eventHash(prev, r);
        await db.query('UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE seq = $3', [
          prev,
          hash,
          r.seq,
        ]);
        prev = hash;
      }
    });
    expect((await w.security.api.get('/api/v1/audit-events/verify')).body).toMatchObject({
      ok: true,
    });
    const v = (await verifyWith(c)).body;
    expect(v).toMatchObject({ ok: false, chain: { ok: true }, checkpoint: { matches: false } });
    expect(v.checkpoint.reason).toContain('history rewritten');
  });
});
