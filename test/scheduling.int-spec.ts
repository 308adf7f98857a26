import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Queue, type Job } from 'bullmq';
import { Client } from 'pg';
import { AdminRotationService } from '../apps/broker/src/admin-rotation/admin-rotation.service';
import { generateSigningKey } from '../apps/broker/src/audit/audit-checkpoint';
import { AuditChainService } from '../apps/broker/src/audit/audit-chain.service';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { CatalogService } from '../apps/broker/src/catalog/catalog.service';
import { redisConnectionOptions } from '../apps/broker/src/config/redis';
import { SweeperService } from '../apps/broker/src/grants/sweeper.service';
import { OutboxService } from '../apps/broker/src/outbox/outbox.service';
import { RequestsSweeperService } from '../apps/broker/src/requests/requests-sweeper.service';
import { RuleChangesService } from '../apps/broker/src/rule-changes/rule-changes.service';
import {
  SCHEDULES_QUEUE,
  scheduleTable,
  type ScheduleName,
} from '../apps/broker/src/scheduling/schedules';
import { SchedulesProcessor } from '../apps/broker/src/scheduling/schedules.processor';
import { ApiClient } from './support/api-client';
import {
  createBrokerTestEnv,
  SHARED_REDIS,
  waitFor,
  type BrokerTestEnv,
} from './support/broker-env';
import { createWorld, type World } from './support/fixtures';

/**
 * Two broker replicas on one database and one Redis prefix: each periodic job runs once per
 * period for the cluster (one BullMQ job per scheduler slot, taken by either replica), not once
 * per replica, and the work still happens with nothing but the schedules driving it.
 */
describe('one scheduler for a cluster of brokers', () => {
  let env: BrokerTestEnv;
  let replicas: INestApplication[] = [];
  let queue: Queue;
  let db: Client;
  let w: World;

  // Spied before the replicas exist, so every call of either replica is seen.
  const processed = jest.spyOn(SchedulesProcessor.prototype, 'process');
  /** The one service method each schedule calls: a leftover timer would call it more often. */
  const effects: Partial<Record<ScheduleName, jest.SpyInstance>> = {
    'catalog-refresh': jest.spyOn(CatalogService.prototype, 'tick'),
    'grants-sweep': jest.spyOn(SweeperService.prototype, 'tick'),
    'requests-sweep': jest.spyOn(RequestsSweeperService.prototype, 'tick'),
    'admin-rotation': jest.spyOn(AdminRotationService.prototype, 'tick'),
    'outbox-poll': jest.spyOn(OutboxService.prototype, 'poll'),
    'audit-checkpoint': jest.spyOn(AuditChainService.prototype, 'checkpoint'),
    'rule-review': jest.spyOn(RuleChangesService.prototype, 'review'),
  };

  beforeAll(async () => {
    env = await createBrokerTestEnv({
      SWEEP_INTERVAL_MS: '400',
      OUTBOX_POLL_MS: '300',
      AUDIT_SEAL_INTERVAL_MS: '300',
      AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
      RULE_REVIEW_INTERVAL_MS: '500',
      AUDIT_SIGNING_PRIVATE_KEY: generateSigningKey(),
    });
    queue = new Queue(SCHEDULES_QUEUE, {
      connection: redisConnectionOptions(SHARED_REDIS),
      prefix: env.redisPrefix,
    });
    // Left by an earlier deployment that had Slack: this one has not, so it must go.
    await queue.upsertJobScheduler('slack-catch-up', { every: 60_000 }, { name: 'slack-catch-up' });
    for (let i = 0; i < 2; i++) {
      const app = await createBrokerApp(env.config);
      await app.listen(0, '127.0.0.1');
      replicas.push(app);
    }
    const url = (await replicas[0].getUrl()).replace('[::1]', '127.0.0.1');
    w = await createWorld(new ApiClient(url, env.adminToken));
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await Promise.all(replicas.map((a) => a.close()));
    replicas = [];
    await queue?.close();
    await env?.dispose();
    jest.restoreAllMocks();
  });

  const runsOf = (name: ScheduleName): Array<Job> =>
    processed.mock.calls.map(([job]) => job).filter((job) => job.name === name);
  /** The scheduler's slot a job was made for: its id is `repeat:<scheduler>:<slot ms>`. */
  const slotOf = (job: Job): number => Number(String(job.id).split(':').pop());

  it('declares one scheduler per enabled schedule, with its period, and none for a disabled one', async () => {
    const table = scheduleTable(env.config);
    const enabled = (Object.keys(table) as ScheduleName[]).filter((n) => table[n] !== null);
    expect(Object.keys(table)).not.toContain('slack-catch-up');
    await waitFor('the schedulers', async () => {
      const keys = (await queue.getJobSchedulers()).map((s) => s.key).sort();
      return JSON.stringify(keys) === JSON.stringify([...enabled].sort());
    });
    for (const s of await queue.getJobSchedulers())
      expect(s.every).toBe(table[s.key as ScheduleName]);
  });

  it('runs each periodic job once per period for both replicas together', async () => {
    const table = scheduleTable(env.config);
    const enabled = (Object.keys(table) as ScheduleName[]).filter((n) => table[n] !== null);
    await waitFor(
      'four runs of every schedule',
      async () => enabled.every((name) => runsOf(name).length >= 4),
      30000,
      100,
    );
    for (const name of enabled) {
      const runs = runsOf(name);
      const slots = runs.map(slotOf).sort((a, b) => a - b);
      // Each slot ran once, on one replica: two replicas each running it would repeat slots.
      expect(new Set(slots).size).toBe(slots.length);
      // Slots are at least one period apart: one run per period for the cluster.
      for (let i = 1; i < slots.length; i++)
        expect(slots[i] - slots[i - 1]).toBeGreaterThanOrEqual(table[name]!);
      // Nothing else calls the work on a timer of its own.
      const effect = effects[name];
      if (effect) expect(effect.mock.calls.length).toBeLessThanOrEqual(runs.length);
    }
    // Both replicas' workers are live: the cluster's runs were not all taken by one of them.
    const byReplica = new Set(processed.mock.contexts);
    expect(byReplica.size).toBe(2);
  });

  it('expires an overdue ACTIVE grant with only the schedules running (the sweeper)', async () => {
    const req = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
      justification: 'scheduler test',
    });
    expect(req.status).toBe(201);
    const approved = await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/approve`);
    expect(approved.status).toBe(200);
    // As if granted and its expiry job lost: no delayed job explains what happens next.
    await db.query(
      `UPDATE access_requests
          SET status = 'ACTIVE', granted_at = now() - interval '31 minutes',
              expires_at = now() - interval '1 minute'
        WHERE id = $1`,
      [req.body.id],
    );
    const status = await waitFor('the sweeper to end the grant', async () => {
      const { rows } = await db.query('SELECT status FROM access_requests WHERE id = $1', [
        req.body.id,
      ]);
      return rows[0].status !== 'ACTIVE' && (rows[0].status as string);
    });
    expect(['REVOKING', 'REVOKED']).toContain(status);
    const { rows } = await db.query(
      `SELECT action FROM audit_events WHERE request_id = $1 AND action LIKE 'grant.%'`,
      [req.body.id],
    );
    expect(rows.map((r: { action: string }) => r.action)).toContain('grant.expired');
  });
});
