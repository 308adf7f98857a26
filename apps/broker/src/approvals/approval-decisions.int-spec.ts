import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { ApiClient } from '../../../../test/support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from '../../../../test/support/broker-env';
import { createWorld, type World } from '../../../../test/support/fixtures';
import { createBrokerApp } from '../bootstrap';

/**
 * Many decisions at once on one broker, whose pool holds 20 connections. Each approval is one
 * transaction that also reads the flow, the integration, the person and the approvals; every
 * one of those reads must use the transaction's own connection, or 50 transactions holding the
 * pool's 20 connections would each wait for a 21st and never finish.
 */
describe('approval decisions under load', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let w: World;
  let db: Client;

  beforeAll(async () => {
    env = await createBrokerTestEnv({ SWEEP_INTERVAL_MS: '3600000' });
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    w = await createWorld(new ApiClient(url, env.adminToken));
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
  });

  it('approves 50 requests at once: each granted once, one generation each, none lost', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await w.alice.api.post('/api/v1/access-requests', {
        integrationId: w.integrationId,
        database: 'app',
        schema: 'public',
        permission: 'read',
        duration: '30m',
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
    }

    const answers = await Promise.all(
      ids.map((id) => w.bob.api.post(`/api/v1/access-requests/${id}/approve`, {})),
    );

    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    expect(new Set(answers.map((a) => a.body.status as string))).toEqual(new Set(['GRANTING']));
    const rows = await db.query<{ status: string; sync_generation: number }>(
      'SELECT status, sync_generation FROM access_requests WHERE id = ANY($1::uuid[])',
      [ids],
    );
    expect(rows.rows.every((r) => r.status === 'GRANTING')).toBe(true);
    // The person's database user row serialises the syncs: generations 1..50, one per approval.
    expect(rows.rows.map((r) => r.sync_generation).sort((a, b) => a - b)).toEqual(
      ids.map((_, k) => k + 1),
    );
    const du = await db.query<{ generation: number }>(
      'SELECT generation FROM database_users WHERE user_id = $1 AND integration_id = $2',
      [w.alice.id, w.integrationId],
    );
    expect(du.rows[0].generation).toBe(50);
    const approved = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM audit_events
        WHERE action = 'request.approved' AND request_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(Number(approved.rows[0].n)).toBe(50);
    const jobs = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM approvals WHERE request_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(Number(jobs.rows[0].n)).toBe(50);
  }, 60_000);
});
