import type { Client } from 'pg';
import { waitFor } from './support/broker-env';
import type { FakeSlack } from './support/fake-slack';
import type { World } from './support/fixtures';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';
import type { SlackDriver } from './support/slack-driver';

/** Doorman groups kept in step with a Slack user group. */
describe('groups that follow a Slack user group (broker in-process, fake Slack)', () => {
  let stack: SlackBroker;
  let fake: FakeSlack;
  let slack: SlackDriver;
  let w: World;
  let db: Client;
  let groupId: string;

  beforeAll(async () => {
    // No periodic sync here: every change below must come from the event or the request.
    stack = await startSlackBroker({ SLACK_USERGROUP_SYNC_MS: '0' });
    ({ fake, slack, w, db } = stack);
    fake.addUser('UALICE', w.alice.email);
    fake.addUser('UBOB', w.bob.email);
    fake.addUser('UGHOST', 'ghost@elsewhere.example');
    fake.setUsergroup('S0ONCALL', ['UALICE', 'UGHOST']);
    // bob asks below once in the group: asking needs the requester role beside his approver one.
    const roles = await w.security.api.request('PATCH', `/api/v1/users/${w.bob.id}`, {
      roles: ['approver', 'requester'],
    });
    if (roles.status !== 200) throw new Error(`roles: ${roles.status}`);
  });

  afterAll(async () => stack?.close());

  const membersOf = async (id: string) =>
    (await db.query('SELECT member_ids FROM groups WHERE id = $1', [id])).rows[0]
      .member_ids as string[];
  const ask = (who: World['alice']) =>
    who.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'oncall',
      permission: 'read',
      duration: '30m',
    });

  it('takes its members from Slack on demand, leaving out people Doorman does not know', async () => {
    const created = await w.security.api.post('/api/v1/groups', {
      name: 'oncall',
      slackUsergroupId: 'S0ONCALL',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ memberIds: [], slackUsergroupId: 'S0ONCALL' });
    groupId = created.body.id;

    const synced = await w.security.api.post(`/api/v1/groups/${groupId}/sync`);
    expect(synced.status).toBe(200);
    expect(synced.body).toEqual({
      groupId,
      slackUsergroupId: 'S0ONCALL',
      added: [w.alice.id],
      removed: [],
      unmatchedSlackUserIds: ['UGHOST'],
    });
    expect(await membersOf(groupId)).toEqual([w.alice.id]);
    const audit = await db.query(
      `SELECT channel, details FROM audit_events WHERE action = 'group.synced'`,
    );
    expect(audit.rows).toEqual([
      {
        channel: 'slack',
        details: expect.objectContaining({ groupId, added: [w.alice.id], removed: [] }),
      },
    ]);

    // A flow naming the group follows it.
    const flow = await w.security.api.post('/api/v1/access-flows', {
      name: 'oncall-flow',
      integrationId: w.integrationId,
      requestors: { userIds: [], groupIds: [groupId] },
      resources: [{ database: 'app', schema: 'oncall' }],
      permissions: ['read'],
      approvers: { userIds: [w.carol.id] },
      defaultDuration: '30m',
      maxDuration: '1h',
    });
    expect(flow.status).toBe(201);
    expect((await ask(w.alice)).status).toBe(201);
    expect((await ask(w.bob)).status).toBe(403);
  });

  it("follows Slack's subteam_members_changed at once", async () => {
    fake.setUsergroup('S0ONCALL', ['UBOB']);
    const res = await slack.event({
      type: 'subteam_members_changed',
      subteam_id: 'S0ONCALL',
      team_id: 'T0DOORMAN',
      added_users: ['UBOB'],
      added_users_count: '1',
      removed_users: ['UALICE'],
      removed_users_count: '1',
      event_ts: String(Date.now() / 1000),
    });
    expect(res.status).toBe(200);
    await waitFor('bob in, alice out', async () => {
      const m = await membersOf(groupId);
      return m.length === 1 && m[0] === w.bob.id;
    });
    expect((await ask(w.bob)).status).toBe(201);
  });

  it('refuses hand-edited members of a linked group, and a failing Slack changes nothing', async () => {
    const edit = await w.security.api.put(`/api/v1/groups/${groupId}`, {
      memberIds: [w.mallory.id],
    });
    expect(edit.status).toBe(409);
    expect(edit.body.message).toMatch(/follows Slack user group S0ONCALL/);

    fake.setUsergroup('S0ONCALL', null);
    const failed = await w.security.api.post(`/api/v1/groups/${groupId}/sync`);
    expect(failed.status).toBe(409);
    expect(failed.body.message).toMatch(/no_such_subteam/);
    expect(await membersOf(groupId)).toEqual([w.bob.id]);
  });

  it('once unlinked, the group is managed through the API again; an unlinked group has nothing to sync', async () => {
    const unlink = await w.security.api.put(`/api/v1/groups/${groupId}`, {
      slackUsergroupId: null,
    });
    expect(unlink.status).toBe(200);
    expect(unlink.body).toMatchObject({ memberIds: [w.bob.id], slackUsergroupId: null });
    const edit = await w.security.api.put(`/api/v1/groups/${groupId}`, {
      memberIds: [w.mallory.id],
    });
    expect(edit.status).toBe(200);
    const sync = await w.security.api.post(`/api/v1/groups/${groupId}/sync`);
    expect(sync.status).toBe(409);
    expect(sync.body.message).toMatch(/does not follow a Slack user group/);
    const bad = await w.security.api.post('/api/v1/groups', {
      name: 'bad',
      slackUsergroupId: '@oncall',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/Slack user group id/);
    expect(await w.alice.api.post(`/api/v1/groups/${groupId}/sync`)).toMatchObject({
      status: 403,
    });
  });
});

describe('the periodic Slack user group sync', () => {
  let stack: SlackBroker;

  beforeAll(async () => {
    stack = await startSlackBroker({ SLACK_USERGROUP_SYNC_MS: '300' });
  });

  afterAll(async () => stack?.close());

  it('brings a linked group in step without any event', async () => {
    const { fake, w, db } = stack;
    fake.addUser('UCAROL', w.carol.email);
    fake.setUsergroup('S0DBA', ['UCAROL']);
    const g = await w.security.api.post('/api/v1/groups', {
      name: 'dba',
      slackUsergroupId: 'S0DBA',
    });
    expect(g.status).toBe(201);
    await waitFor('carol in the group', async () => {
      const r = await db.query('SELECT member_ids FROM groups WHERE id = $1', [g.body.id]);
      return r.rows[0].member_ids.includes(w.carol.id);
    });
  });
});
