import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';

/**
 * Time rules hold at the moment of the action, whatever the timers did. The sweepers
 * are slowed to once an hour and each deadline is moved into the past in the database while its
 * delayed job still waits for the original time: only the check made by the action itself can
 * explain a refusal, and the state it leaves behind is the one the timer would have left.
 */
describe('time rules without their timers', () => {
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

  const request = async (over: Record<string, unknown> = {}): Promise<string> => {
    const res = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
      ...over,
    });
    if (res.status !== 201) throw new Error(`request: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const statusOf = async (id: string) =>
    (await db.query('SELECT status FROM access_requests WHERE id = $1', [id])).rows[0].status;
  const actionsOf = async (id: string): Promise<string[]> =>
    (
      await db.query('SELECT action FROM audit_events WHERE request_id = $1 ORDER BY id', [id])
    ).rows.map((r: { action: string }) => r.action);
  /** A flow of its own for alice on another schema, so its requests never meet the others. */
  const flow = async (schema: string, over: Record<string, unknown>) => {
    const res = await w.security.api.post('/api/v1/access-flows', {
      name: `time-${schema}`,
      integrationId: w.integrationId,
      requestors: { userIds: [w.alice.id], groupIds: [] },
      resources: [{ database: 'app', schema }],
      permissions: ['read'],
      defaultDuration: '30m',
      maxDuration: '2h',
      ...over,
    });
    if (res.status !== 201) throw new Error(`flow: ${res.status} ${JSON.stringify(res.body)}`);
  };

  it.each(['approve', 'deny'])(
    'refuses to %s after the pending TTL and expires the request on the spot, audited',
    async (decision) => {
      const id = await request();
      await db.query(
        `UPDATE access_requests SET pending_expires_at = now() - interval '1 second' WHERE id = $1`,
        [id],
      );
      const res = await w.bob.api.post(`/api/v1/access-requests/${id}/${decision}`, {});
      expect(res.status).toBe(409);
      expect(res.body.message).toMatch(/expired undecided at .*pending time limit/);
      expect(await statusOf(id)).toBe('EXPIRED');
      expect(await actionsOf(id)).toEqual(['request.created', 'request.expired']);
      // The timer, when it comes, finds nothing left to do.
      const again = await w.carol.api.post(`/api/v1/access-requests/${id}/approve`, {});
      expect(again.status).toBe(409);
      expect(await actionsOf(id)).toEqual(['request.created', 'request.expired']);
    },
  );

  it('still accepts a decision before the pending TTL', async () => {
    const id = await request();
    const res = await w.bob.api.post(`/api/v1/access-requests/${id}/deny`, {});
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('DENIED');
  });

  it('applies a step timeout that denies before judging a late approval', async () => {
    await flow('step_deny', {
      steps: [{ approvers: { userIds: [w.bob.id] }, timeout: '1h', onTimeout: 'deny' }],
    });
    const id = await request({ schema: 'step_deny' });
    await db.query(
      `UPDATE access_requests SET step_started_at = now() - interval '61 minutes' WHERE id = $1`,
      [id],
    );
    const res = await w.bob.api.post(`/api/v1/access-requests/${id}/approve`, {});
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/step 1 timed out at .* the flow denies it/);
    expect(await statusOf(id)).toBe('DENIED');
    expect(await actionsOf(id)).toEqual(['request.created', 'request.denied']);
    const denied = await db.query(
      `SELECT details FROM audit_events WHERE request_id = $1 AND action = 'request.denied'`,
      [id],
    );
    expect(denied.rows[0].details).toMatchObject({ step: 1, reason: 'timed out' });
  });

  it('applies a step timeout that escalates, then judges the fallback approver against it', async () => {
    await flow('step_escalate', {
      steps: [
        {
          approvers: { userIds: [w.bob.id] },
          timeout: '1h',
          onTimeout: 'escalate',
          fallback: { userIds: [w.carol.id] },
        },
      ],
    });
    const id = await request({ schema: 'step_escalate' });
    const early = await w.carol.api.post(`/api/v1/access-requests/${id}/approve`, {});
    expect(early.status).toBe(403);
    await db.query(
      `UPDATE access_requests SET step_started_at = now() - interval '61 minutes' WHERE id = $1`,
      [id],
    );
    const res = await w.carol.api.post(`/api/v1/access-requests/${id}/approve`, {});
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('GRANTING');
    // The escalation is recorded before the approval it made possible (refusals aside).
    expect((await actionsOf(id)).filter((a) => a !== 'decision.refused')).toEqual([
      'request.created',
      'request.escalated',
      'request.approved',
      'grant.requested',
    ]);
  });

  /** An approved grant made ACTIVE and past its expiry, whose expiry timer was never written. */
  const lapsedGrant = async (schema: string): Promise<string> => {
    await flow(schema, {
      approvers: { userIds: [w.bob.id] },
      extensions: { maxCount: 3, maxDuration: '1h' },
    });
    const id = await request({ schema });
    expect((await w.bob.api.post(`/api/v1/access-requests/${id}/approve`, {})).status).toBe(200);
    await db.query(
      `UPDATE access_requests SET status = 'ACTIVE', granted_at = now() - interval '31 minutes',
              expires_at = now() - interval '1 second' WHERE id = $1`,
      [id],
    );
    return id;
  };

  it('refuses an extension asked after the grant ended and expires the grant on the spot', async () => {
    const id = await lapsedGrant('ext_late');
    const res = await w.alice.api.post(`/api/v1/access-requests/${id}/extend`, {
      duration: '30m',
    });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/this access ended at .*request access anew/);
    expect(await statusOf(id)).toBe('REVOKING');
    expect(await actionsOf(id)).toContain('grant.expired');
    const extensions = await db.query(
      'SELECT count(*)::int AS n FROM access_requests WHERE extends_request_id = $1',
      [id],
    );
    expect(extensions.rows[0].n).toBe(0);
  });

  it('refuses a credentials reveal after expiresAt and expires the grant on the spot', async () => {
    const id = await lapsedGrant('reveal_late');
    const res = await w.alice.api.post(`/api/v1/access-requests/${id}/credentials`, {});
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/no longer available: this access ended at/);
    expect(await statusOf(id)).toBe('REVOKING');
    expect(await actionsOf(id)).toContain('grant.expired');
    expect(await actionsOf(id)).not.toContain('credentials.revealed');
  });
});
