import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import {
  CONTRACT_VERSION,
  jobIds,
  type SessionsReport,
  type SyncUserResult,
} from '@doorman/contracts';
import { loadSealPublicKey, seal } from '@doorman/crypto';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { BrokerConfigSchema } from '../apps/broker/src/config/broker.config';
import { ExpiryService } from '../apps/broker/src/grants/expiry.service';
import { SyncResultsRecorder } from '../apps/broker/src/grants/sync-results.recorder';
import { verifyReceipt } from '../apps/broker/src/receipts/receipt-signature';
import { EXIT } from '../apps/cli/src/lib/exit-codes';
import { run } from '../apps/cli/src/program';
import { SessionObservationsService } from '../apps/broker/src/usage/session-observations.service';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';

/**
 * Signed access receipts, in-process on real PostgreSQL and Redis with the connector's results
 * and sessions reports simulated: an expired grant's receipt (approval and how it was signed
 * in, SQL effects, the session seen, the end and the check of the target after it), a denied
 * request's, each verified with the key published at the well-known route — by the broker's
 * check, by `doorman receipt verify` offline and by the openssl recipe of docs/receipts.md —
 * and a changed byte failing all three.
 * The key is shared by replicas and outlives a restart; rotating to a file key keeps the old
 * one published.
 */
describe('access receipts', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let base: string;
  let w: World;
  let db: Client;
  const dir = mkdtempSync(join(tmpdir(), 'doorman-receipts-'));
  let expiredId: string;
  let expiredReceipt: { receipt: any; signature: { alg: string; kid: string; value: string } };

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    w = await createWorld(new ApiClient(base, env.adminToken));
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
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
  const keysAt = async (url: string) => {
    const res = await fetch(`${url}/.well-known/doorman-receipt-keys`);
    expect(res.status).toBe(200);
    return (await res.json()) as { keys: Array<Record<string, string>> };
  };

  async function result(
    personId: string,
    generation: number,
    over: Partial<SyncUserResult>,
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

  const ask = async (justification: string) => {
    const req = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
      justification,
    });
    expect(req.status).toBe(201);
    return req.body.id as string;
  };

  it('gives an expired grant a signed receipt: who asked and approved how, every SQL effect, the end and the check', async () => {
    const recorder = app.get(SyncResultsRecorder);
    const id = await ask('INC-7 report');
    expect((await w.bob.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
    const granting = await row(id);
    const validUntil = new Date(Date.now() + 3_600_000).toISOString();
    await recorder.record([
      await result(w.alice.id, granting.sync_generation, {
        sealedPassword: seal('pw', loadSealPublicKey(env.env.BROKER_SEAL_PUBLIC_KEY)),
        passwordIssuedAt: new Date().toISOString(),
        validUntil,
        effects: ['GRANT "doorman_app_public_read" TO "alice_doorman"', 'LOGIN VALID UNTIL …'],
      }),
    ]);
    const active = await row(id);
    expect(active.status).toBe('ACTIVE');
    // The connector sees a session while the access is active, then no longer.
    const du0 = await databaseUser(w.alice.id);
    const seenAt = new Date();
    const startedAt = new Date(new Date(active.granted_at as string).getTime() + 1).toISOString();
    const report = (at: Date, sessions: SessionsReport['sessions']) =>
      app.get(SessionObservationsService).record({
        v: CONTRACT_VERSION,
        kind: 'sessions',
        connectorId: w.connectorId,
        at: at.toISOString(),
        complete: true,
        sessions,
      });
    const psql = {
      role: du0.username as string,
      pid: 4242,
      startedAt,
      database: 'app',
      clientAddr: '10.0.0.7',
      applicationName: 'psql',
    };
    await report(seenAt, [psql]);
    await report(new Date(seenAt.getTime() + 1), []);
    expect(
      await app
        .get(ExpiryService)
        .expireGrant(id, new Date(new Date(active.expires_at as string).getTime() + 1000)),
    ).toBe(true);
    const verification = {
      checkedAt: new Date(Date.now() + 1000).toISOString(),
      clean: true,
      found: [],
      fixed: [],
    };
    const du = await databaseUser(w.alice.id);
    await recorder.record([
      await result(w.alice.id, du.generation, {
        effects: ['REVOKE "doorman_app_public_read" FROM "alice_doorman"', 'NOLOGIN'],
        sessionsTerminated: 1,
        verification,
      }),
    ]);
    expect((await row(id)).status).toBe('REVOKED');

    const res = await w.alice.api.get(`/api/v1/access-requests/${id}/receipt`);
    expect(res.status).toBe(200);
    expect(res.body.receipt).toMatchObject({
      type: 'doorman.access-receipt',
      requestId: id,
      status: 'REVOKED',
      outcome: 'ended',
      request: {
        requester: { id: w.alice.id, email: w.alice.email },
        integration: { id: w.integrationId },
        resource: 'app.public',
        permission: 'read',
        duration: '1h',
        justification: 'INC-7 report',
        flow: { id: w.flowId, version: expect.any(Number) },
      },
      approvals: [
        {
          step: 1,
          by: { id: w.bob.id, email: w.bob.email },
          decision: 'approve',
          channel: 'rest',
          authentication: { method: 'token' },
        },
      ],
      access: {
        databaseUser: du.username,
        validUntil,
        effects: [
          {
            event: 'grant.activated',
            statements: [expect.stringContaining('GRANT'), 'LOGIN VALID UNTIL …'],
          },
          {
            event: 'grant.revoked',
            statements: [expect.stringContaining('REVOKE'), 'NOLOGIN'],
            sessionsTerminated: 1,
          },
        ],
      },
      sessionsObserved: true,
      sessions: [
        {
          pid: 4242,
          database: 'app',
          clientAddr: '10.0.0.7',
          applicationName: 'psql',
          startedAt,
          lastSeenAt: seenAt.toISOString(),
          endedAt: new Date(seenAt.getTime() + 1).toISOString(),
        },
      ],
      ended: { how: 'expired', by: null, reason: 'expired', appliedAt: expect.any(String) },
      verification: { source: 'grant', clean: true, found: [], fixed: [], left: [] },
    });
    expect(res.body.receipt.auditEvents.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining([
        'request.created',
        'request.approved',
        'grant.activated',
        'grant.expired',
        'grant.revoked',
      ]),
    );
    expect(res.body.signature).toEqual({
      alg: 'Ed25519',
      kid: expect.any(String),
      value: expect.any(String),
    });

    // Published without a token, and nothing private in it.
    const keys = await keysAt(base);
    expect(keys.keys).toEqual([
      {
        kty: 'OKP',
        crv: 'Ed25519',
        x: expect.any(String),
        kid: res.body.signature.kid,
        alg: 'EdDSA',
        use: 'sig',
      },
    ]);
    expect(verifyReceipt(res.body, keys)).toEqual({ ok: true, kid: res.body.signature.kid });
    const tampered = structuredClone(res.body);
    tampered.receipt.approvals[0].channel = 'console';
    expect(verifyReceipt(tampered, keys)).toMatchObject({ ok: false });

    // The same records give the same bytes.
    const again = await w.alice.api.get(`/api/v1/access-requests/${id}/receipt`);
    expect(again.body.signature.value).toBe(res.body.signature.value);
    expiredId = id;
    expiredReceipt = res.body;
  });

  it('is read by whoever may read the request, and by nobody else', async () => {
    const path = `/api/v1/access-requests/${expiredId}/receipt`;
    expect((await w.bob.api.get(path)).status).toBe(200);
    expect((await w.security.api.get(path)).status).toBe(200);
    expect((await w.mallory.api.get(path)).status).toBe(403);
    expect((await w.alice.api.as(undefined).get(path)).status).toBe(401);
    expect(
      (
        await w.alice.api.get(
          '/api/v1/access-requests/00000000-0000-4000-8000-000000000000/receipt',
        )
      ).status,
    ).toBe(404);
    // An id that cannot exist is not found, as for the request itself.
    const bad = await w.alice.api.get('/api/v1/access-requests/nope/receipt');
    expect(bad.status).toBe(404);
    expect(JSON.stringify(bad.body)).toContain('access request');
  });

  it('verifies offline with `doorman receipt verify` and with the openssl recipe; a changed byte fails both', async () => {
    const receiptFile = join(dir, 'receipt.json');
    const keysFile = join(dir, 'keys.json');
    writeFileSync(receiptFile, JSON.stringify(expiredReceipt, null, 2));
    writeFileSync(keysFile, JSON.stringify(await keysAt(base)));
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const verify = (f: string) =>
        run(['node', 'doorman', 'receipt', 'verify', f, '--keys', keysFile], 't');
      expect(await verify(receiptFile)).toBe(EXIT.OK);
      const changed = join(dir, 'changed.json');
      writeFileSync(
        changed,
        readFileSync(receiptFile, 'utf8').replace('INC-7 report', 'INC-7 rep0rt'),
      );
      expect(await verify(changed)).toBe(EXIT.REFUSED);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }

    // The recipe exactly as docs/receipts.md prints it.
    const docs = readFileSync(join(__dirname, '../docs/receipts.md'), 'utf8');
    const recipe = /<!-- openssl-recipe -->\s*```sh\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(recipe).toBeDefined();
    const runRecipe = (cwd: string) =>
      execFileSync('bash', ['-euo', 'pipefail', '-c', recipe!], {
        cwd,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    expect(runRecipe(dir)).toContain('Signature Verified Successfully');
    const other = mkdtempSync(join(tmpdir(), 'doorman-receipts-changed-'));
    writeFileSync(join(other, 'keys.json'), readFileSync(keysFile));
    writeFileSync(
      join(other, 'receipt.json'),
      readFileSync(receiptFile, 'utf8').replace('INC-7 report', 'INC-7 rep0rt'),
    );
    expect(() => runRecipe(other)).toThrow();
  });

  it('gives a denied request a receipt that says no access was given, and by whom it was denied', async () => {
    const id = await ask('just looking');
    expect(
      (
        await w.carol.api.post(`/api/v1/access-requests/${id}/deny`, {
          reason: 'not during the freeze',
        })
      ).status,
    ).toBe(200);
    const res = await w.alice.api.get(`/api/v1/access-requests/${id}/receipt`);
    expect(res.status).toBe(200);
    expect(res.body.receipt).toMatchObject({
      status: 'DENIED',
      outcome: 'never-granted',
      access: null,
      verification: null,
      approvals: [
        {
          decision: 'deny',
          by: { id: w.carol.id },
          reason: 'not during the freeze',
          channel: 'rest',
        },
      ],
      ended: { how: 'denied', by: { id: w.carol.id }, reason: 'not during the freeze' },
    });
    const keys = await keysAt(base);
    expect(verifyReceipt(res.body, keys).ok).toBe(true);
    const tampered = structuredClone(res.body);
    tampered.receipt.outcome = 'ended';
    expect(verifyReceipt(tampered, keys).ok).toBe(false);
  });

  it('points the CADF export of the access-ended event at the receipt', async () => {
    const res = await w.security.api.get(
      `/api/v1/audit-events/export?format=cadf&requestId=${expiredId}`,
    );
    expect(res.status).toBe(200);
    const lines = (res.body as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const revoked = lines.find((l) => l.reason.reasonCode === 'grant.revoked');
    expect(revoked.attachments).toContainEqual({
      name: 'receipt',
      typeURI: 'application/json',
      content: {
        href: `/api/v1/access-requests/${expiredId}/receipt`,
        keys: '/.well-known/doorman-receipt-keys',
        auditEventHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    // Its hash is the one the receipt lists for that event.
    expect(
      expiredReceipt.receipt.auditEvents.find(
        (e: { action: string }) => e.action === 'grant.revoked',
      )?.id,
    ).toBe(revoked.id.replace('doorman-audit-', ''));
    const approved = lines.find((l) => l.reason.reasonCode === 'request.approved');
    expect(approved.attachments.map((a: { name: string }) => a.name)).toEqual(['details']);
  });

  it('signs with one key across replicas and restarts, kept sealed; a file key rotates in and the old stays published', async () => {
    const stored = (await db.query('SELECT * FROM receipt_signing_keys')).rows;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ source: 'generated', kid: expiredReceipt.signature.kid });
    expect(JSON.stringify(stored[0].sealed_private_key)).not.toContain('PRIVATE KEY');
    expect(stored[0].sealed_private_key).toMatchObject({ v: 1, ct: expect.any(String) });

    // A second replica (or this one restarted) on the same database.
    const replica = await createBrokerApp(env.config);
    await replica.listen(0, '127.0.0.1');
    try {
      const url = (await replica.getUrl()).replace('[::1]', '127.0.0.1');
      expect(await keysAt(url)).toEqual(await keysAt(base));
      const r = await new ApiClient(url, w.alice.token).get(
        `/api/v1/access-requests/${expiredId}/receipt`,
      );
      expect(r.body.signature.kid).toBe(expiredReceipt.signature.kid);
    } finally {
      await replica.close();
    }

    // Rotation: a key from RECEIPT_SIGNING_KEY_FILE signs from now on.
    const pemFile = join(dir, 'receipt-key.pem');
    writeFileSync(
      pemFile,
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }),
    );
    const rotated = await createBrokerApp(
      BrokerConfigSchema.parse({ ...env.env, RECEIPT_SIGNING_KEY_FILE: pemFile }),
    );
    await rotated.listen(0, '127.0.0.1');
    try {
      const url = (await rotated.getUrl()).replace('[::1]', '127.0.0.1');
      const keys = await keysAt(url);
      expect(keys.keys.map((k) => k.kid)).toHaveLength(2);
      expect(keys.keys.map((k) => k.kid)).toContain(expiredReceipt.signature.kid);
      expect(keys.keys.every((k) => !('d' in k))).toBe(true);
      const r = await new ApiClient(url, w.alice.token).get(
        `/api/v1/access-requests/${expiredId}/receipt`,
      );
      expect(r.body.signature.kid).not.toBe(expiredReceipt.signature.kid);
      expect(verifyReceipt(r.body, keys).ok).toBe(true);
      // A receipt signed before the rotation still verifies against the published keys.
      expect(verifyReceipt(expiredReceipt, keys).ok).toBe(true);
    } finally {
      await rotated.close();
    }
    expect(() =>
      BrokerConfigSchema.parse({ ...env.env, RECEIPT_SIGNING_KEY_FILE: join(dir, 'none.pem') }),
    ).toThrow(/RECEIPT_SIGNING_KEY_FILE|readable PEM/);
  });
});
