import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { connectorQueueName } from '@doorman/contracts';
import { ApprovalDecisionsService } from '../apps/broker/src/approvals/approval-decisions.service';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import type { Actor } from '../apps/broker/src/common/actor';
import { DomainError, ErrorCode } from '../apps/broker/src/common/errors';
import { AfterCommit } from '../apps/broker/src/database/after-commit';
import { RequestOpeningService } from '../apps/broker/src/requests/request-opening.service';
import { ApiClient } from './support/api-client';
import {
  createBrokerTestEnv,
  SHARED_REDIS,
  waitFor,
  type BrokerTestEnv,
} from './support/broker-env';
import { createPerson, createWorld, type Person, type World } from './support/fixtures';

/**
 * Group commit of decisions, on real PostgreSQL and Redis: decisions that arrive together are
 * taken in one transaction, each under its own savepoint. Calls made in one turn of the event
 * loop land in one batch, so the batches here are the ones asked for.
 */
describe('group commit of decisions', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let w: World;
  let db: Client;
  let decisions: ApprovalDecisionsService;
  let admin: ApiClient;

  /** A world of its own for each test (alice's grants of one test do not refuse the next's). */
  const freshWorld = async () => {
    w = await createWorld(admin);
    // The world's flow offers schema public with one approval; this one 'quorum' with two.
    const q = await w.security.api.post('/api/v1/access-flows', {
      name: `quorum-${Date.now().toString(36)}`,
      integrationId: w.integrationId,
      requestors: { userIds: [w.alice.id], groupIds: [] },
      resources: [{ database: 'app', schema: 'quorum' }],
      permissions: ['read'],
      steps: [{ approvers: { userIds: [w.bob.id, w.carol.id] }, quorum: 2 }],
      defaultDuration: '1h',
      maxDuration: '2h',
    });
    if (q.status !== 201) throw new Error(`quorum flow: ${JSON.stringify(q.body)}`);
  };
  beforeEach(freshWorld);

  const actorOf = (p: Person): Actor => ({
    id: p.id,
    email: p.email,
    roles: ['approver'],
    channel: 'api',
  });

  const ask = async (schema = 'public'): Promise<string> => {
    const res = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema,
      permission: 'read',
      duration: '30m',
    });
    if (res.status !== 201) throw new Error(`request: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };

  /** Every call started in this turn: one batch. Each settles with its own outcome. */
  const together = (calls: Array<() => Promise<unknown>>) =>
    Promise.allSettled(calls.map((c) => c()));

  const statusOf = async (id: string) =>
    (
      await db.query<{ status: string; current_step: number }>(
        'SELECT status, current_step FROM access_requests WHERE id = $1',
        [id],
      )
    ).rows[0];

  const count = async (sql: string, params: unknown[]) =>
    Number((await db.query<{ n: string }>(sql, params)).rows[0].n);

  beforeAll(async () => {
    env = await createBrokerTestEnv({
      SWEEP_INTERVAL_MS: '3600000',
      DECISION_GROUP_COMMIT: 'true',
    });
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    admin = new ApiClient(url, env.adminToken);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    decisions = app.get(ApprovalDecisionsService);
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
  });

  it('a savepoint rolled back drops only its own after-commit work', async () => {
    const ds = app.get<DataSource>(getDataSourceToken());
    const afterCommit = app.get(AfterCommit);
    const ran: string[] = [];
    await ds.transaction(async (em) => {
      afterCommit.run(em, () => ran.push('before'));
      await em
        .transaction(async (inner) => {
          afterCommit.run(inner, () => ran.push('rolled back'));
          throw new Error('refused');
        })
        .catch(() => undefined);
      await em.transaction(async (inner) => afterCommit.run(inner, () => ran.push('released')));
      afterCommit.run(em, () => ran.push('after'));
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(['before', 'released', 'after']);
  });

  it('mixed batch: self-approval refused alone beside approvals, two of one person, a duplicate click, a quorum of two', async () => {
    const [a1, a2, dup, q1] = [await ask(), await ask(), await ask(), await ask('quorum')];
    const before = { ...decisions.groupCommit.stats };

    const out = await together([
      () => decisions.approve(actorOf(w.bob), a1),
      () => decisions.approve(actorOf(w.alice), a2), // her own request
      () => decisions.approve(actorOf(w.carol), a2),
      () => decisions.approve(actorOf(w.bob), dup),
      () => decisions.approve(actorOf(w.carol), dup), // second click on a decided request
      () => decisions.approve(actorOf(w.bob), q1),
      () => decisions.approve(actorOf(w.carol), q1), // meets the quorum in the same batch
    ]);

    const after = decisions.groupCommit.stats;
    expect(after.groupCommits).toBe(before.groupCommits + 1);
    expect(after.retriedOneByOne).toBe(before.retriedOneByOne);
    const value = (k: number) => {
      const o = out[k];
      if (o.status !== 'fulfilled') throw o.reason;
      return o.value as { status: string };
    };
    const reason = (k: number) => {
      const o = out[k];
      if (o.status !== 'rejected') throw new Error(`call ${k} was not refused`);
      return o.reason as DomainError;
    };
    expect(value(0).status).toBe('GRANTING');
    expect(reason(1)).toBeInstanceOf(DomainError);
    expect(reason(1).code).toBe(ErrorCode.Forbidden);
    expect(reason(1).message).toBe('you cannot approve or deny your own request');
    expect(value(2).status).toBe('GRANTING');
    expect(value(3).status).toBe('GRANTING');
    expect(reason(4).code).toBe(ErrorCode.IllegalTransition);
    expect(reason(4).message).toBe(
      `cannot approve a request that is GRANTING (already approved by ${w.bob.email})`,
    );
    // Both approvers' answers: the first leaves it waiting, the second grants it.
    expect(value(5).status).toBe('PENDING');
    expect(value(6).status).toBe('GRANTING');

    for (const id of [a1, a2, dup, q1]) expect((await statusOf(id)).status).toBe('GRANTING');
    expect(
      await count('SELECT count(*) AS n FROM approvals WHERE request_id = ANY($1::uuid[])', [
        [a1, a2, dup],
      ]),
    ).toBe(3);
    expect(await count('SELECT count(*) AS n FROM approvals WHERE request_id = $1', [q1])).toBe(2);
    // One decision event per request; the refusal kept once, after its savepoint rolled back.
    const events = await db.query<{ action: string; request_id: string; n: string }>(
      `SELECT action, request_id, count(*) AS n FROM audit_events
        WHERE request_id = ANY($1::uuid[]) AND action <> 'request.created'
        GROUP BY action, request_id`,
      [[a1, a2, dup, q1]],
    );
    const n = (action: string, id: string) =>
      Number(events.rows.find((r) => r.action === action && r.request_id === id)?.n ?? 0);
    for (const id of [a1, a2, dup, q1]) {
      expect(n('request.approved', id)).toBe(1);
      expect(n('grant.requested', id)).toBe(1);
    }
    expect(n('decision.refused', a2)).toBe(1);
    expect(n('request.step_approved', q1)).toBe(1);
    // Four grants of one person: four generations, one sync job each.
    const gen = await count('SELECT generation AS n FROM database_users WHERE user_id = $1', [
      w.alice.id,
    ]);
    expect(gen).toBe(4);
    await expectSyncJobs(gen);
  });

  it('answers exactly as one decision at a time would', async () => {
    // The same refusals, taken alone (each its own transaction).
    const id = await ask();
    await expect(decisions.approve(actorOf(w.alice), id)).rejects.toThrow(
      'you cannot approve or deny your own request',
    );
    expect((await decisions.approve(actorOf(w.bob), id)).status).toBe('GRANTING');
    await expect(decisions.approve(actorOf(w.carol), id)).rejects.toThrow(
      `cannot approve a request that is GRANTING (already approved by ${w.bob.email})`,
    );
    const gen = await count('SELECT generation AS n FROM database_users WHERE user_id = $1', [
      w.alice.id,
    ]);
    await expectSyncJobs(gen);
  });

  it('a batch whose commit fails is decided again one at a time: each once, none lost', async () => {
    // At COMMIT, a transaction that approved the marked request beside any other fails: the
    // batch's commit fails, and the marked request alone (its own transaction) commits.
    await db.query(`
      CREATE SEQUENCE IF NOT EXISTS gc_failures;
      CREATE TABLE IF NOT EXISTS gc_marked (request_id uuid PRIMARY KEY);
      CREATE OR REPLACE FUNCTION gc_count() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM set_config('gc.approved',
          (coalesce(nullif(current_setting('gc.approved', true), ''), '0')::int + 1)::text, true);
        RETURN NEW;
      END $$;
      CREATE OR REPLACE FUNCTION gc_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM gc_marked WHERE request_id = NEW.request_id)
           AND current_setting('gc.approved', true)::int > 1 THEN
          PERFORM nextval('gc_failures');
          RAISE EXCEPTION 'injected: the marked request fails in a batch';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER gc_count AFTER INSERT ON audit_events
        FOR EACH ROW WHEN (NEW.action = 'request.approved') EXECUTE FUNCTION gc_count();
      CREATE CONSTRAINT TRIGGER gc_fail AFTER INSERT ON audit_events
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (NEW.action = 'request.approved') EXECUTE FUNCTION gc_fail();
    `);
    try {
      const ids = [await ask(), await ask(), await ask(), await ask()];
      const refused = await ask();
      await db.query('INSERT INTO gc_marked VALUES ($1)', [ids[2]]);
      const before = { ...decisions.groupCommit.stats };
      const failures0 = await count(
        'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM gc_failures',
        [],
      );

      const out = await together([
        ...ids.map((id) => () => decisions.approve(actorOf(w.bob), id)),
        () => decisions.approve(actorOf(w.mallory), refused),
      ]);

      expect(
        await count(
          'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM gc_failures',
          [],
        ),
      ).toBe(failures0 + 1);
      expect(decisions.groupCommit.stats.retriedOneByOne).toBe(before.retriedOneByOne + 1);
      expect(decisions.groupCommit.stats.groupCommits).toBe(before.groupCommits);
      expect(out.slice(0, 4).map((o) => o.status)).toEqual(ids.map(() => 'fulfilled'));
      const last = out[4];
      expect(last.status).toBe('rejected');
      if (last.status === 'rejected')
        expect((last.reason as DomainError).message).toBe(
          'you are not an approver of this access flow',
        );
      for (const id of ids) expect((await statusOf(id)).status).toBe('GRANTING');
      expect((await statusOf(refused)).status).toBe('PENDING');
      expect(
        await count('SELECT count(*) AS n FROM approvals WHERE request_id = ANY($1::uuid[])', [
          ids,
        ]),
      ).toBe(4);
      expect(
        await count(
          `SELECT count(*) AS n FROM audit_events
            WHERE action = 'request.approved' AND request_id = ANY($1::uuid[])`,
          [ids],
        ),
      ).toBe(4);
      expect(
        await count(
          `SELECT count(*) AS n FROM audit_events
            WHERE action = 'decision.refused' AND request_id = $1`,
          [refused],
        ),
      ).toBe(1);
      const gen = await count('SELECT generation AS n FROM database_users WHERE user_id = $1', [
        w.alice.id,
      ]);
      expect(gen).toBe(4);
      await expectSyncJobs(gen);
    } finally {
      await db.query(`
        DROP TRIGGER IF EXISTS gc_fail ON audit_events;
        DROP TRIGGER IF EXISTS gc_count ON audit_events;
      `);
    }
  });

  it('many approvals over HTTP at once: batched, every answer 200, the audit chain verifies', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await ask());
    const before = { ...decisions.groupCommit.stats };
    const answers = await Promise.all(
      ids.map((id) => w.bob.api.post(`/api/v1/access-requests/${id}/approve`, {})),
    );
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    expect(answers.every((a) => a.body.status === 'GRANTING')).toBe(true);
    expect(decisions.groupCommit.stats.groupedDecisions).toBeGreaterThan(before.groupedDecisions);
    const gen = await count('SELECT generation AS n FROM database_users WHERE user_id = $1', [
      w.alice.id,
    ]);
    await expectSyncJobs(gen);
    const v = (await w.security.api.get('/api/v1/audit-events/verify')).body;
    expect(v).toMatchObject({ ok: true, unsealed: 0 });
    expect(v.checked).toBe(await count('SELECT count(*) AS n FROM audit_events', []));
  }, 60_000);

  it('calls arriving while a batch commits form the next: crossing people, no deadlock, no retry', async () => {
    const people = [w.alice, ...(await Promise.all([1, 2, 3].map(() => createPerson(admin, 'p'))))];
    const flow = await w.security.api.post('/api/v1/access-flows', {
      name: `cross-${Date.now().toString(36)}`,
      integrationId: w.integrationId,
      requestors: { userIds: people.slice(1).map((p) => p.id), groupIds: [] },
      resources: [{ database: 'app', schema: 'cross' }],
      permissions: ['read', 'write'],
      approvers: { userIds: [w.bob.id] },
      defaultDuration: '1h',
      maxDuration: '2h',
    });
    expect(flow.status).toBe(201);
    const askAs = async (p: Person, permission: string) => {
      const res = await p.api.post('/api/v1/access-requests', {
        integrationId: w.integrationId,
        database: 'app',
        schema: 'cross',
        permission,
        duration: '30m',
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const others = people.slice(1);
    const reads = await Promise.all(others.map((p) => askAs(p, 'read')));
    const writes = await Promise.all(others.map((p) => askAs(p, 'write')));
    const before = { ...decisions.groupCommit.stats };

    // The first batch: everyone's read; the second, arriving while it commits: everyone's
    // write, in the opposite order of people. Each batch grants every person once.
    const first = reads.map((id) => decisions.approve(actorOf(w.bob), id));
    await new Promise((resolve) => setImmediate(resolve));
    const second = [...writes].reverse().map((id) => decisions.approve(actorOf(w.bob), id));
    const out = await Promise.all([...first, ...second]);

    expect(out.every((r) => r.status === 'GRANTING')).toBe(true);
    expect(decisions.groupCommit.stats.groupCommits).toBe(before.groupCommits + 2);
    expect(decisions.groupCommit.stats.retriedOneByOne).toBe(before.retriedOneByOne);
    for (const p of others) await expectSyncJobs(2, p);
  });

  it('auto-approved requests that arrive together open in one commit: each granted once', async () => {
    const people = [w.alice, ...(await Promise.all([1, 2, 3].map(() => createPerson(admin, 'p'))))];
    const schemas = ['s1', 's2', 's3'];
    const flow = await w.security.api.post('/api/v1/access-flows', {
      name: `auto-${Date.now().toString(36)}`,
      integrationId: w.integrationId,
      requestors: { userIds: people.map((p) => p.id), groupIds: [] },
      resources: schemas.map((schema) => ({ database: 'app', schema })),
      permissions: ['read'],
      autoApprove: { permissions: ['read'] },
      defaultDuration: '1h',
      maxDuration: '2h',
    });
    expect(flow.status).toBe(201);
    const opening = app.get(RequestOpeningService);
    const before = { ...opening.groupCommit.stats };

    // Three requests from each of four people at once (a person's three share a batch or not).
    const calls = people.flatMap((p) => schemas.map((schema) => ({ p, schema })));
    const answers = await Promise.all(
      calls.map(({ p, schema }) =>
        p.api.post('/api/v1/access-requests', {
          integrationId: w.integrationId,
          database: 'app',
          schema,
          permission: 'read',
          duration: '30m',
        }),
      ),
    );

    expect(answers.map((a) => a.status)).toEqual(calls.map(() => 201));
    expect(answers.every((a) => a.body.status === 'GRANTING')).toBe(true);
    expect(opening.groupCommit.stats.groupedDecisions).toBeGreaterThan(before.groupedDecisions);
    const ids = answers.map((a) => a.body.id as string);
    expect(
      await count(
        `SELECT count(*) AS n FROM audit_events
          WHERE action = 'request.auto_approved' AND request_id = ANY($1::uuid[])`,
        [ids],
      ),
    ).toBe(ids.length);
    for (const p of people) {
      const gen = await count(
        'SELECT generation AS n FROM database_users WHERE user_id = $1 AND integration_id = $2',
        [p.id, w.integrationId],
      );
      expect(gen).toBe(schemas.length);
      await expectSyncJobs(gen, p);
    }
    const v = (await w.security.api.get('/api/v1/audit-events/verify')).body;
    expect(v).toMatchObject({ ok: true, unsealed: 0 });
  }, 60_000);

  /** Exactly one sync-user job per generation 1..gen of `p`, and no sync left in the outbox. */
  async function expectSyncJobs(gen: number, p: Person = w.alice): Promise<void> {
    const queue = new Queue(connectorQueueName(w.connectorId), {
      connection: { url: SHARED_REDIS } as never,
      prefix: env.redisPrefix,
    });
    try {
      const want = Array.from(
        { length: gen },
        (_, k) => `sync-${w.integrationId}-${p.id}-${k + 1}`,
      );
      await waitFor('every sync job enqueued and the outbox empty', async () => {
        const jobs = (await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter(
          (j) => j.name === 'sync-user' && j.id?.includes(p.id),
        );
        const left = await count(
          "SELECT count(*) AS n FROM outbox WHERE job_name = 'sync-user'",
          [],
        );
        return jobs.length === gen && left === 0 ? true : undefined;
      });
      const jobs = (await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter(
        (j) => j.name === 'sync-user' && j.id?.includes(p.id),
      );
      expect(jobs.map((j) => j.id).sort()).toEqual([...want].sort());
    } finally {
      await queue.close();
    }
  }
});
