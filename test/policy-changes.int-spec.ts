import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { CONTRACT_VERSION, jobIds, TIMERS_QUEUE } from '@doorman/contracts';
import { loadSealPublicKey, seal } from '@doorman/crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { SyncResultsService } from '../apps/broker/src/grants/sync-results.service';
import { RULE_CHANGES_QUEUE } from '../apps/broker/src/outbox/broker-jobs';
import { QueueRegistry } from '../apps/broker/src/outbox/queue-registry';
import { RuleChangesService } from '../apps/broker/src/rule-changes/rule-changes.service';
import { ApiClient } from './support/api-client';
import {
  createBrokerTestEnv,
  SHARED_REDIS,
  waitFor,
  type BrokerTestEnv,
} from './support/broker-env';
import type { FakeSlack } from './support/fake-slack';
import { createPerson, createWorld, type Person, type World } from './support/fixtures';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';

jest.setTimeout(60_000);

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let counter = 0;
const unique = (what: string) => `${what}_${Date.now().toString(36)}${counter++}`;

/** What a broker in a test needs to grant access without a connector: results it simulates. */
interface Broker {
  app: INestApplication;
  db: Client;
  env: BrokerTestEnv;
  w: World;
}

const rowOf = async (b: Broker, id: string) =>
  (await b.db.query('SELECT * FROM access_requests WHERE id = $1', [id])).rows[0];

/** The connector's answer to the grant's sync, as it sends it: the grant turns ACTIVE. */
async function activate(b: Broker, requestId: string): Promise<void> {
  const row = await rowOf(b, requestId);
  const du = (
    await b.db.query('SELECT username FROM database_users WHERE user_id = $1', [row.requester_id])
  ).rows[0];
  await b.app.get(SyncResultsService).onSyncResult({
    v: CONTRACT_VERSION,
    kind: 'sync-user',
    connectorId: b.w.connectorId,
    jobId: jobIds.sync(b.w.integrationId, row.requester_id, row.sync_generation),
    integrationId: b.w.integrationId,
    personId: row.requester_id,
    username: du.username,
    generation: row.sync_generation,
    attempt: 1,
    status: 'applied',
    startedAt: new Date().toISOString(),
    sealedPassword: seal(
      'policy-changes-0123456789',
      loadSealPublicKey(b.env.env.BROKER_SEAL_PUBLIC_KEY),
    ),
    passwordIssuedAt: new Date().toISOString(),
    sessionsTerminated: 0,
    effects: [],
  });
  await waitFor('the grant ACTIVE', async () => (await rowOf(b, requestId)).status === 'ACTIVE');
}

/** A flow of its own on its own schema, so the tests never meet each other's requests. */
function flowBody(b: Broker, schema: string, over: Record<string, unknown>) {
  return {
    name: `rules-${schema}`,
    integrationId: b.w.integrationId,
    requestors: { userIds: [], groupIds: [] },
    resources: [{ database: 'app', schema }],
    permissions: ['read'],
    approvers: { userIds: [b.w.bob.id] },
    defaultDuration: '1h',
    maxDuration: '4h',
    ...over,
  };
}

async function createFlow(b: Broker, body: Record<string, unknown>): Promise<string> {
  const res = await b.w.security.api.post('/api/v1/access-flows', body);
  if (res.status !== 201) throw new Error(`flow: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

async function editFlow(b: Broker, id: string, body: Record<string, unknown>): Promise<void> {
  const res = await b.w.security.api.request('PUT', `/api/v1/access-flows/${id}`, body);
  if (res.status !== 200) throw new Error(`edit flow: ${res.status} ${JSON.stringify(res.body)}`);
}

async function ask(who: Person, b: Broker, schema: string, permission = 'read', duration = '2h') {
  const res = await who.api.post('/api/v1/access-requests', {
    integrationId: b.w.integrationId,
    database: 'app',
    schema,
    permission,
    duration,
  });
  if (res.status !== 201) throw new Error(`request: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** Asked, approved by bob, applied by the (simulated) connector. */
async function grant(who: Person, b: Broker, schema: string, permission = 'read') {
  const id = await ask(who, b, schema, permission);
  const ok = await b.w.bob.api.post(`/api/v1/access-requests/${id}/approve`);
  if (ok.status !== 200) throw new Error(`approve: ${ok.status} ${JSON.stringify(ok.body)}`);
  await activate(b, id);
  return id;
}

async function group(b: Broker, members: Person[]): Promise<string> {
  const res = await b.w.security.api.post('/api/v1/groups', {
    name: unique('rules-group'),
    memberIds: members.map((m) => m.id),
  });
  if (res.status !== 201) throw new Error(`group: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

interface RuleEvent {
  actorId: string | null;
  channel: string;
  details: Record<string, any>;
}

const ruleEventsOf = async (b: Broker, requestId: string): Promise<RuleEvent[]> =>
  (
    await b.db.query(
      `SELECT actor_id AS "actorId", channel, details FROM audit_events
        WHERE request_id = $1 AND action = 'rule_change.applied' ORDER BY id`,
      [requestId],
    )
  ).rows;

const statusBecomes = (b: Broker, id: string, status: string) =>
  waitFor(`request ${id} ${status}`, async () => {
    const row = await rowOf(b, id);
    return row.status === status ? row : false;
  });

describe('access follows the rules as they change (broker in-process, fake Slack)', () => {
  let stack: SlackBroker;
  let fake: FakeSlack;
  let b: Broker;
  let admin: ApiClient;

  beforeAll(async () => {
    // No periodic Slack user group sync: the one below comes from the request.
    stack = await startSlackBroker({ SLACK_USERGROUP_SYNC_MS: '0' });
    fake = stack.fake;
    b = { app: stack.app, db: stack.db, env: stack.env, w: stack.w };
    const url = (await stack.app.getUrl()).replace('[::1]', '127.0.0.1');
    admin = new ApiClient(url, stack.env.adminToken);
  });

  afterAll(async () => stack?.close());

  const slackIds = new Map<string, string>();
  /** A requester known to Slack, so the notices about their access reach them. */
  const person = async (name: string, roles?: string[]) => {
    const p = await createPerson(admin, name, roles);
    const slackId = `U${name.toUpperCase()}${counter++}`;
    fake.addUser(slackId, p.email);
    slackIds.set(p.id, slackId);
    return p;
  };
  const dmTo = (p: Person, contains: string) =>
    waitFor(`a DM to ${p.email} containing "${contains}"`, async () =>
      fake
        .callsOf('chat.postMessage')
        .find(
          (c) =>
            c.args.channel === fake.dmOf(slackIds.get(p.id)!) &&
            JSON.stringify(c.args).includes(contains),
        ),
    );

  it('a flow edit removing a group from the requestors ends its member’s grant now, audited and told', async () => {
    const dana = await person('dana');
    const team = await group(b, [dana]);
    const body = flowBody(b, 'rc_group', { requestors: { userIds: [], groupIds: [team] } });
    const flowId = await createFlow(b, body);
    const id = await grant(dana, b, 'rc_group');

    await editFlow(b, flowId, { ...body, requestors: { userIds: [b.w.alice.id], groupIds: [] } });
    const row = await statusBecomes(b, id, 'REVOKING');
    expect(row.status_reason).toBe(
      `no longer allowed by flow "rules-rc_group" v2: you are no longer a requestor of any access flow offering read on app.rc_group`,
    );
    expect(row.ended_by).toBe(b.w.security.id);
    // The revoke went the normal way: a sync that takes the role away.
    const du = (
      await b.db.query('SELECT generation FROM database_users WHERE user_id = $1', [dana.id])
    ).rows[0];
    expect(row.sync_generation).toBe(du.generation);
    expect(await ruleEventsOf(b, id)).toEqual([
      {
        actorId: b.w.security.id,
        channel: 'api',
        details: expect.objectContaining({
          outcome: 'ended',
          cause: { type: 'flow', flowId, version: 2 },
          changedBy: b.w.security.id,
          reason: row.status_reason,
        }),
      },
    ]);
    const dm = await dmTo(dana, 'ends now because the rules changed');
    expect(JSON.stringify(dm.args)).toContain('no longer a requestor');
  });

  it('removing a permission under runToExpiry keeps the grant, tells the requester, audits', async () => {
    const erin = await person('erin');
    const body = flowBody(b, 'rc_perm', {
      requestors: { userIds: [erin.id], groupIds: [] },
      permissions: ['read', 'write'],
    });
    const flowId = await createFlow(b, body);
    const id = await grant(erin, b, 'rc_perm');
    const before = await rowOf(b, id);

    await editFlow(b, flowId, { ...body, permissions: ['write'] });
    const [event] = await waitFor('the rule change audited', async () => {
      const e = await ruleEventsOf(b, id);
      return e.length ? e : false;
    });
    expect(event.details).toMatchObject({
      outcome: 'kept',
      reason:
        'no longer allowed by flow "rules-rc_perm" v2: no access flow offers read on app.rc_perm any more',
      expiresAt: before.expires_at.toISOString(),
      cause: { type: 'flow', flowId, version: 2 },
    });
    const after = await rowOf(b, id);
    expect(after.status).toBe('ACTIVE');
    expect(after.expires_at).toEqual(before.expires_at);
    await dmTo(erin, 'though the rules changed');

    // An endNow flow ends such a grant instead.
    const strict = flowBody(b, 'rc_perm_strict', {
      requestors: { userIds: [erin.id], groupIds: [] },
      permissions: ['read', 'write'],
      onRuleChange: 'endNow',
    });
    const strictId = await createFlow(b, strict);
    const ended = await grant(erin, b, 'rc_perm_strict');
    await editFlow(b, strictId, { ...strict, permissions: ['write'] });
    await statusBecomes(b, ended, 'REVOKING');
  });

  it('shortening the maximum duration caps the grant’s expiry', async () => {
    const fred = await person('fred');
    const body = flowBody(b, 'rc_max', { requestors: { userIds: [fred.id], groupIds: [] } });
    const flowId = await createFlow(b, body);
    const id = await grant(fred, b, 'rc_max');
    const before = await rowOf(b, id);
    expect(before.expires_at.getTime() - before.granted_at.getTime()).toBe(2 * 3600_000);
    const generationOf = async () =>
      (await b.db.query('SELECT generation FROM database_users WHERE user_id = $1', [fred.id]))
        .rows[0].generation as number;
    const generation = await generationOf();

    await editFlow(b, flowId, { ...body, maxDuration: '1h' });
    const capped = await waitFor('the expiry capped', async () => {
      const row = await rowOf(b, id);
      return row.expires_at.getTime() < before.expires_at.getTime() ? row : false;
    });
    expect(capped.status).toBe('ACTIVE');
    expect(capped.expires_at.getTime() - capped.granted_at.getTime()).toBe(3600_000);
    // The role's VALID UNTIL follows: a new generation was sent for it.
    expect(await generationOf()).toBe(generation + 1);
    const [event] = await ruleEventsOf(b, id);
    expect(event.details).toMatchObject({
      outcome: 'kept',
      expiresAt: capped.expires_at.toISOString(),
      cappedFrom: before.expires_at.toISOString(),
    });
    // Its expiry timer moved with it.
    const timers = stack.app.get(QueueRegistry).get(TIMERS_QUEUE);
    await waitFor('the earlier expiry timer', async () =>
      Boolean(await timers.getJob(jobIds.expire(id, capped.expires_at.getTime()))),
    );
    await dmTo(fred, 'though the rules changed');
  });

  it('a person removed from a group through REST loses the grant', async () => {
    const gina = await person('gina');
    const team = await group(b, [gina, b.w.mallory]);
    await createFlow(b, flowBody(b, 'rc_rest', { requestors: { userIds: [], groupIds: [team] } }));
    const id = await grant(gina, b, 'rc_rest');

    const res = await b.w.security.api.request('PUT', `/api/v1/groups/${team}`, {
      memberIds: [b.w.mallory.id],
    });
    expect(res.status).toBe(200);
    const row = await statusBecomes(b, id, 'REVOKING');
    expect(row.status_reason).toMatch(/no longer a requestor of any access flow offering read/);
    const [event] = await ruleEventsOf(b, id);
    expect(event.details).toMatchObject({
      outcome: 'ended',
      cause: { type: 'membership', groupId: team, removedUserIds: [gina.id] },
    });
  });

  it('a person removed from a group by SCIM PATCH loses the grant', async () => {
    const provider = await admin.post('/api/v1/scim/providers', { name: unique('okta') });
    expect(provider.status).toBe(201);
    const base = (await stack.app.getUrl()).replace('[::1]', '127.0.0.1');
    const scim = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${base}/api/v1/scim/v2${path}`, {
        method,
        headers: {
          authorization: `Bearer ${provider.body.token}`,
          'content-type': 'application/scim+json',
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const hana = await person('hana');
    expect((await scim('POST', '/Users', { schemas: [USER], userName: hana.email })).body.id).toBe(
      hana.id,
    );
    const team = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: unique('scim-team'),
      members: [{ value: hana.id }],
    });
    expect(team.status).toBe(201);
    await createFlow(
      b,
      flowBody(b, 'rc_scim', { requestors: { userIds: [], groupIds: [team.body.id] } }),
    );
    const id = await grant(hana, b, 'rc_scim');

    const removed = await scim('PATCH', `/Groups/${team.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: `members[value eq "${hana.id}"]` }],
    });
    expect(removed.status).toBe(200);
    await statusBecomes(b, id, 'REVOKING');
    const [event] = await ruleEventsOf(b, id);
    expect(event).toMatchObject({
      actorId: provider.body.id,
      channel: 'scim',
      details: { outcome: 'ended', cause: { type: 'membership', groupId: team.body.id } },
    });
  });

  it('a person who left the Slack user group a group follows loses the grant', async () => {
    const lena = await person('lena');
    fake.setUsergroup('SRULES', [slackIds.get(lena.id)!]);
    const linked = await b.w.security.api.post('/api/v1/groups', {
      name: unique('rules-slack'),
      slackUsergroupId: 'SRULES',
    });
    expect(linked.status).toBe(201);
    const sync = () => b.w.security.api.post(`/api/v1/groups/${linked.body.id}/sync`);
    expect((await sync()).body.added).toEqual([lena.id]);
    await createFlow(
      b,
      flowBody(b, 'rc_slack', { requestors: { userIds: [], groupIds: [linked.body.id] } }),
    );
    const id = await grant(lena, b, 'rc_slack');

    fake.setUsergroup('SRULES', []);
    expect((await sync()).body.removed).toEqual([lena.id]);
    await statusBecomes(b, id, 'REVOKING');
    const [event] = await ruleEventsOf(b, id);
    expect(event).toMatchObject({
      actorId: null,
      channel: 'slack',
      details: { outcome: 'ended', changedBy: null, cause: { type: 'membership' } },
    });
  });

  it('an approver who left the approving group leaves the pending request', async () => {
    const mia = await person('mia');
    const noor = await person('noor', ['approver']);
    const approvers = await group(b, [noor, b.w.carol]);
    await createFlow(
      b,
      flowBody(b, 'rc_approving', {
        requestors: { userIds: [mia.id], groupIds: [] },
        approvers: undefined,
        steps: [{ approvers: { userIds: [], groupIds: [approvers] } }],
      }),
    );
    const id = await ask(mia, b, 'rc_approving');
    expect((await rowOf(b, id)).approver_ids.sort()).toEqual([noor.id, b.w.carol.id].sort());

    const res = await b.w.security.api.request('PUT', `/api/v1/groups/${approvers}`, {
      memberIds: [b.w.carol.id],
    });
    expect(res.status).toBe(200);
    await waitFor(
      'noor gone from the approvers',
      async () => !(await rowOf(b, id)).approver_ids.includes(noor.id),
    );
    expect((await rowOf(b, id)).status).toBe('PENDING');
    expect((await noor.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(403);
    expect((await b.w.carol.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
  });

  it('losing the requester role cancels a pending request with the reason', async () => {
    const ivan = await person('ivan');
    await createFlow(
      b,
      flowBody(b, 'rc_role', { requestors: { userIds: [ivan.id], groupIds: [] } }),
    );
    const id = await ask(ivan, b, 'rc_role');
    expect((await rowOf(b, id)).status).toBe('PENDING');

    const res = await b.w.security.api.request('PATCH', `/api/v1/users/${ivan.id}`, {
      roles: ['auditor'],
    });
    expect(res.status).toBe(200);
    const row = await statusBecomes(b, id, 'CANCELLED');
    expect(row.status_reason).toBe(
      'no longer allowed by flow "rules-rc_role" v1: you no longer have the requester role',
    );
    const actions = (
      await b.db.query('SELECT action FROM audit_events WHERE request_id = $1 ORDER BY id', [id])
    ).rows.map((r) => r.action);
    expect(actions).toEqual(['request.created', 'request.cancelled', 'rule_change.applied']);
    await dmTo(ivan, 'was cancelled because the rules changed');
  });

  it('a pending request leaves the inbox of an approver who lost the approver role', async () => {
    const judy = await person('judy');
    const kim = await person('kim', ['approver']);
    await createFlow(
      b,
      flowBody(b, 'rc_approver', {
        requestors: { userIds: [judy.id], groupIds: [] },
        approvers: { userIds: [kim.id, b.w.bob.id] },
      }),
    );
    const id = await ask(judy, b, 'rc_approver');
    const inbox = async () =>
      (
        (await kim.api.get('/api/v1/access-requests?status=PENDING')).body as Array<{
          id: string;
          approverIds: string[];
        }>
      ).filter((r) => r.approverIds.includes(kim.id));
    expect((await inbox()).map((r) => r.id)).toContain(id);

    const res = await b.w.security.api.request('PATCH', `/api/v1/users/${kim.id}`, {
      roles: ['requester'],
    });
    expect(res.status).toBe(200);
    await waitFor(
      'the approver gone from the request',
      async () => !(await rowOf(b, id)).approver_ids.includes(kim.id),
    );
    expect((await rowOf(b, id)).approver_ids).toEqual([b.w.bob.id]);
    expect(await inbox()).toEqual([]);
    expect((await kim.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(403);
    expect((await rowOf(b, id)).status).toBe('PENDING');
    const [event] = await ruleEventsOf(b, id);
    expect(event.details).toMatchObject({
      outcome: 'approvers_removed',
      removed: [kim.id],
      cause: { type: 'roles', userId: kim.id, removedRoles: ['approver'] },
    });
    // bob still decides it.
    expect((await b.w.bob.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
  });
  /** Holds rule-change jobs in Redis while `change` runs, then deletes them: a flushed Redis. */
  const withJobLost = async (change: () => Promise<void>) => {
    const queue = new Queue(RULE_CHANGES_QUEUE, {
      connection: { url: SHARED_REDIS },
      prefix: b.env.redisPrefix,
    });
    try {
      await queue.pause();
      await change();
      const jobs = await waitFor('the rule-change job delivered to Redis', async () => {
        const outbox = await b.db.query('SELECT 1 FROM outbox WHERE queue = $1', [
          RULE_CHANGES_QUEUE,
        ]);
        const held = await queue.getJobs(['paused', 'waiting']);
        return outbox.rowCount === 0 && held.length > 0 ? held : false;
      });
      for (const job of jobs) await job.remove();
      await queue.resume();
    } finally {
      await queue.close();
    }
  };
  const allRuleEvents = async () =>
    Number(
      (await b.db.query("SELECT count(*) FROM audit_events WHERE action = 'rule_change.applied'"))
        .rows[0].count,
    );
  const review = () => b.app.get(RuleChangesService).review();

  it('the periodic review applies a flow edit whose job Redis lost, once: no second audit or DM', async () => {
    const olga = await person('olga');
    const team = await group(b, [olga]);
    const body = flowBody(b, 'rc_review', {
      requestors: { userIds: [], groupIds: [team] },
      permissions: ['read', 'write', 'admin'],
    });
    const flowId = await createFlow(b, body);
    await createFlow(
      b,
      flowBody(b, 'rc_review_other', { requestors: { userIds: [olga.id], groupIds: [] } }),
    );
    const untouched = await grant(olga, b, 'rc_review');
    const kept = await grant(olga, b, 'rc_review', 'write');
    const pending = await ask(olga, b, 'rc_review', 'admin');

    // v2: olga asks through her own id only; write and admin are gone (runToExpiry keeps write, told).
    await withJobLost(() =>
      editFlow(b, flowId, {
        ...body,
        requestors: { userIds: [olga.id], groupIds: [] },
        permissions: ['read'],
      }),
    );
    expect((await rowOf(b, pending)).status).toBe('PENDING');
    expect(await ruleEventsOf(b, kept)).toEqual([]);

    const first = await review();
    expect(first.cancelled).toContain(pending);
    expect(first.kept).toContain(kept);
    expect((await rowOf(b, pending)).status).toBe('CANCELLED');
    expect((await rowOf(b, pending)).status_reason).toBe(
      'no longer allowed by flow "rules-rc_review" v2: no access flow offers admin on app.rc_review any more',
    );
    // Still a requestor (by id), read still offered: the read grant stays, untouched.
    expect((await rowOf(b, untouched)).status).toBe('ACTIVE');
    expect(await ruleEventsOf(b, untouched)).toEqual([]);
    const [event] = await ruleEventsOf(b, kept);
    expect(event).toMatchObject({
      actorId: null,
      channel: 'system',
      details: { outcome: 'kept', cause: { type: 'review' }, changedBy: null },
    });
    await dmTo(olga, 'though the rules changed');
    const toldDms = () =>
      fake
        .callsOf('chat.postMessage')
        .filter(
          (c) =>
            c.args.channel === fake.dmOf(slackIds.get(olga.id)!) &&
            JSON.stringify(c.args).includes('though the rules changed'),
        ).length;
    expect(toldDms()).toBe(1);

    const events = await allRuleEvents();
    const second = await review();
    expect(second.kept).not.toContain(kept);
    expect(second.cancelled).not.toContain(pending);
    expect(await allRuleEvents()).toBe(events);
    expect(await ruleEventsOf(b, kept)).toHaveLength(1);
    // A later notice to olga arrives; the "kept" one was not sent again meanwhile.
    await ask(olga, b, 'rc_review_other');
    await dmTo(olga, 'was submitted');
    expect(toldDms()).toBe(1);
  });

  it('the periodic review applies roles taken whose job Redis lost: the grant ends, the approver leaves', async () => {
    const pia = await person('pia');
    const quinn = await person('quinn', ['approver']);
    await createFlow(
      b,
      flowBody(b, 'rc_review_roles', {
        requestors: { userIds: [pia.id, b.w.mallory.id], groupIds: [] },
        approvers: { userIds: [quinn.id, b.w.bob.id] },
      }),
    );
    const id = await grant(pia, b, 'rc_review_roles');
    const waiting = await ask(b.w.mallory, b, 'rc_review_roles');
    expect((await rowOf(b, waiting)).approver_ids.sort()).toEqual([quinn.id, b.w.bob.id].sort());

    await withJobLost(async () => {
      const res = await b.w.security.api.request('PATCH', `/api/v1/users/${pia.id}`, {
        roles: ['auditor'],
      });
      expect(res.status).toBe(200);
    });
    await withJobLost(async () => {
      const res = await b.w.security.api.request('PATCH', `/api/v1/users/${quinn.id}`, {
        roles: ['requester'],
      });
      expect(res.status).toBe(200);
    });
    expect((await rowOf(b, id)).status).toBe('ACTIVE');

    const out = await review();
    expect(out.ended).toContain(id);
    expect(out.pruned).toContain(waiting);
    const row = await rowOf(b, id);
    expect(row.status).toBe('REVOKING');
    expect(row.status_reason).toBe(
      'no longer allowed by flow "rules-rc_review_roles" v1: you no longer have the requester role',
    );
    expect((await rowOf(b, waiting)).approver_ids).toEqual([b.w.bob.id]);
    expect((await ruleEventsOf(b, waiting))[0].details).toMatchObject({
      outcome: 'approvers_removed',
      removed: [quinn.id],
      cause: { type: 'review' },
    });
    const events = await allRuleEvents();
    const again = await review();
    expect(again.ended).not.toContain(id);
    expect(again.pruned).not.toContain(waiting);
    expect(await allRuleEvents()).toBe(events);
  });

  it('roles mean the same when asking and approving: without requester refused, without approver not counted', async () => {
    const rae = await person('rae', ['auditor']);
    const sol = await person('sol', []);
    await createFlow(
      b,
      flowBody(b, 'rc_roles_meaning', {
        requestors: { userIds: [rae.id, b.w.alice.id], groupIds: [] },
        // sol is named directly but holds no approver role.
        approvers: { userIds: [sol.id, b.w.bob.id] },
      }),
    );
    const refused = await rae.api.post('/api/v1/access-requests', {
      integrationId: b.w.integrationId,
      database: 'app',
      schema: 'rc_roles_meaning',
      permission: 'read',
      duration: '1h',
    });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'asking for access needs the requester role, which you do not have',
    );
    const id = await ask(b.w.alice, b, 'rc_roles_meaning');
    expect((await rowOf(b, id)).approver_ids).toEqual([b.w.bob.id]);
    const click = await sol.api.post(`/api/v1/access-requests/${id}/approve`);
    expect(click.status).toBe(403);
    expect((await rowOf(b, id)).status).toBe('PENDING');
    expect((await b.w.bob.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
  });
});

describe('a rule change survives a broker restart between its commit and the revoke', () => {
  let env: BrokerTestEnv;
  let first: INestApplication | null = null;
  let second: INestApplication | null = null;
  let db: Client;
  let queue: Queue;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    queue = new Queue(RULE_CHANGES_QUEUE, {
      connection: { url: SHARED_REDIS },
      prefix: env.redisPrefix,
    });
  });

  afterAll(async () => {
    await queue?.close();
    await second?.close();
    await first?.close();
    await db?.end();
    await env?.dispose();
  });

  it('ends the grant once the broker is back', async () => {
    first = await createBrokerApp(env.config);
    await first.listen(0, '127.0.0.1');
    const url = (await first.getUrl()).replace('[::1]', '127.0.0.1');
    const w = await createWorld(new ApiClient(url, env.adminToken));
    const b: Broker = { app: first, db, env, w };
    const team = await group(b, [w.alice]);
    const body = flowBody(b, 'rc_restart', { requestors: { userIds: [], groupIds: [team] } });
    const flowId = await createFlow(b, body);
    const id = await grant(w.alice, b, 'rc_restart');

    // No broker works on rule changes until the first one is gone.
    await queue.pause();
    await editFlow(b, flowId, { ...body, requestors: { userIds: [], groupIds: [] } });
    await waitFor('the rule change committed and waiting', async () => {
      const outbox = await db.query('SELECT 1 FROM outbox WHERE queue = $1', [RULE_CHANGES_QUEUE]);
      const c = await queue.getJobCounts('paused', 'waiting');
      return outbox.rowCount === 0 && c.paused + c.waiting === 1;
    });
    await first.close();
    first = null;
    expect((await rowOf(b, id)).status).toBe('ACTIVE');

    second = await createBrokerApp(env.config);
    await second.listen(0, '127.0.0.1');
    await queue.resume();
    const row = await statusBecomes({ ...b, app: second }, id, 'REVOKING');
    expect(row.status_reason).toMatch(/^no longer allowed by flow "rules-rc_restart" v2: /);
  });
});
