import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createPerson, type Person } from './support/fixtures';

/**
 * Issue 18 item 1: nobody grants a role they could not grant directly, whichever path they
 * take — the policy file (apply and dry run) or PATCH /users/:id. Refusals name the line,
 * change nothing, and are audited.
 */
describe('role assignment on every path (broker on real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let admin: ApiClient;
  let sec: Person;
  let requester: Person;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    admin = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
    sec = await createPerson(admin, 'sec', ['security']);
    requester = await createPerson(admin, 'req', ['requester']);
  });

  afterAll(async () => {
    await app?.close();
    await env?.dispose();
  });

  const rolesOf = async (id: string) =>
    ((await admin.get('/api/v1/users')).body as Array<{ id: string; roles: string[] }>).find(
      (u) => u.id === id,
    )?.roles;
  const patch = (who: ApiClient, id: string, body: unknown) =>
    who.request('PATCH', `/api/v1/users/${id}`, body);

  const escalation = (email: string) =>
    [
      'version: 1',
      'users:',
      '  - email: someone-new@example.com',
      '    name: Someone New',
      '    roles: [requester]',
      `  - email: ${email}`,
      '    name: Me',
      '    roles: [security, admin]',
      'groups:',
      '  - name: never-created',
      '    members: []',
      '',
    ].join('\n');

  it('security cannot make itself admin with a policy file: refused whole, with the line, audited', async () => {
    for (const dryRun of [true, false]) {
      const res = await sec.api.post('/api/v1/policy/apply', {
        yaml: escalation(sec.email),
        dryRun,
      });
      expect(res.status).toBe(403);
      expect(res.body.errors).toEqual([
        { line: 8, path: 'users.1.roles', message: expect.stringContaining('admin') },
      ]);
    }
    expect(await rolesOf(sec.id)).toEqual(['security']);
    const users = (await admin.get('/api/v1/users')).body as Array<{ email: string }>;
    expect(users.map((u) => u.email)).not.toContain('someone-new@example.com');
    const groups = (await admin.get('/api/v1/groups')).body as Array<{ name: string }>;
    expect(groups.map((g) => g.name)).not.toContain('never-created');
    const audit = (
      await admin.get(`/api/v1/audit-events?actorId=${sec.id}&action=user.role_change_refused`)
    ).body;
    expect(audit).toHaveLength(2);
    expect(audit[1].details).toMatchObject({
      via: 'policy',
      refused: [{ email: sec.email, roles: ['security', 'admin'], line: 8 }],
    });
  });

  it('security cannot make anyone admin, nor touch an admin’s roles, through a policy file', async () => {
    const other = await sec.api.post('/api/v1/policy/apply', {
      yaml: `version: 1\nusers:\n  - email: ${requester.email}\n    name: Req\n    roles: [admin]\n`,
    });
    expect(other.status).toBe(403);
    expect(other.body.errors).toEqual([
      { line: 5, path: 'users.0.roles', message: expect.stringContaining('admin') },
    ]);
    const bootstrap = (await admin.get('/api/v1/users/me')).body;
    const demote = await sec.api.post('/api/v1/policy/apply', {
      yaml: `version: 1\nusers:\n  - email: ${bootstrap.email}\n    name: Boot\n    roles: [admin, auditor]\n`,
    });
    expect(demote.status).toBe(403);
    expect(await rolesOf(requester.id)).toEqual(['requester']);
    expect(await rolesOf(bootstrap.id)).toEqual(['admin']);
  });

  it('security assigns approver with a policy file; an admin promotes to admin', async () => {
    const res = await sec.api.post('/api/v1/policy/apply', {
      yaml: `version: 1\nusers:\n  - email: ${requester.email}\n    name: Req\n    roles: [requester, approver]\n`,
    });
    expect(res.status).toBe(200);
    expect(await rolesOf(requester.id)).toEqual(['approver', 'requester']);
    const promoted = await createPerson(admin, 'promoted', ['requester']);
    const up = await admin.post('/api/v1/policy/apply', {
      yaml: `version: 1\nusers:\n  - email: ${promoted.email}\n    name: P\n    roles: [admin]\n`,
    });
    expect(up.status).toBe(200);
    expect(await rolesOf(promoted.id)).toEqual(['admin']);
    const changed = (await admin.get(`/api/v1/audit-events?action=user.roles_changed`))
      .body as Array<{ details: { userId: string; roles: string[] } }>;
    expect(changed.map((e) => e.details)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: promoted.id, roles: ['admin'] }),
        expect.objectContaining({ userId: requester.id, roles: ['approver', 'requester'] }),
      ]),
    );
  });

  it('PATCH /users/:id follows the same rule: security cannot reach admin, may assign approver', async () => {
    const target = await createPerson(admin, 'target', ['requester']);
    expect((await patch(sec.api, sec.id, { roles: ['security', 'admin'] })).status).toBe(403);
    expect((await patch(sec.api, target.id, { roles: ['admin'] })).status).toBe(403);
    const boot = (await admin.get('/api/v1/users/me')).body;
    expect((await patch(sec.api, boot.id, { roles: ['requester'] })).status).toBe(403);
    expect(await rolesOf(sec.id)).toEqual(['security']);
    expect(await rolesOf(target.id)).toEqual(['requester']);
    expect(await rolesOf(boot.id)).toEqual(['admin']);

    const ok = await patch(sec.api, target.id, { roles: ['requester', 'approver'] });
    expect(ok.status).toBe(200);
    expect(ok.body.roles).toEqual(['approver', 'requester']);
    expect((await patch(requester.api, target.id, { roles: ['requester'] })).status).toBe(403);
    expect(
      (await patch(admin, target.id, { roles: ['admin'], name: 'Now Admin' })).body,
    ).toMatchObject({
      roles: ['admin'],
      name: 'Now Admin',
    });
    // Now an admin: security may no longer change anything about its roles.
    expect((await patch(sec.api, target.id, { roles: ['requester'] })).status).toBe(403);
    const refused = (
      await admin.get(`/api/v1/audit-events?actorId=${sec.id}&action=user.role_change_refused`)
    ).body as Array<{ details: { via: string } }>;
    expect(refused.filter((e) => e.details.via === 'api')).toHaveLength(4);
    expect((await patch(admin, target.id, {})).status).toBe(400);
  });

  it('the last admin cannot be demoted, so Doorman always has one', async () => {
    const boot = (await admin.get('/api/v1/users/me')).body;
    const others = (
      (await admin.get('/api/v1/users')).body as Array<{ id: string; roles: string[] }>
    ).filter((u) => u.id !== boot.id && u.roles.includes('admin'));
    for (const o of others)
      expect((await patch(admin, o.id, { roles: ['requester'] })).status).toBe(200);
    const last = await patch(admin, boot.id, { roles: ['security'] });
    expect(last.status).toBe(409);
    expect(last.body.message).toContain('last admin');
    const file = await admin.post('/api/v1/policy/apply', {
      yaml: `version: 1\nusers:\n  - email: ${boot.email}\n    name: Boot\n    roles: [security]\n`,
    });
    expect(file.status).toBe(400);
    expect(file.body.errors).toEqual([
      { line: 5, path: 'users.0.roles', message: expect.stringContaining('last admin') },
    ]);
    expect(await rolesOf(boot.id)).toEqual(['admin']);
  });

  it('an integration can refuse to reveal credentials to a token minted by someone else', async () => {
    const connector = await sec.api.post('/api/v1/connectors', { name: `c-${Date.now()}` });
    const person = await createPerson(admin, 'minted', ['requester']); // token minted by admin
    const own = (await person.api.post(`/api/v1/users/${person.id}/tokens`, { name: 'mine' })).body
      .token as string;
    const reveal = async (strict: boolean) => {
      const integration = await sec.api.post('/api/v1/integrations', {
        name: `pg-${strict}-${Date.now()}`,
        connectorId: connector.body.id,
        host: '127.0.0.1',
        databases: ['app'],
        ...(strict ? { revealToMintedTokens: false } : {}),
      });
      expect(integration.body.revealToMintedTokens).toBe(!strict);
      const flow = await sec.api.post('/api/v1/access-flows', {
        name: `f-${strict}-${Date.now()}`,
        integrationId: integration.body.id,
        requestors: { userIds: [person.id], groupIds: [] },
        resources: [{ database: 'app', schema: 'public' }],
        permissions: ['read'],
        approvers: { userIds: [sec.id] },
        defaultDuration: '1h',
        maxDuration: '2h',
      });
      expect(flow.status).toBe(201);
      const req = await person.api.post('/api/v1/access-requests', {
        integrationId: integration.body.id,
        database: 'app',
        schema: 'public',
        permission: 'read',
        duration: '30m',
      });
      expect(req.status).toBe(201);
      const path = `/api/v1/access-requests/${req.body.id}/credentials`;
      return {
        minted: await person.api.post(path),
        own: await person.api.as(own).post(path),
      };
    };
    // Refused before anything else is said about the request; the person's own token gets on
    // to the usual answer (409: not ACTIVE yet).
    const strict = await reveal(true);
    expect(strict.minted.status).toBe(403);
    expect(strict.minted.body.message).toContain('created themselves');
    expect(strict.own.status).toBe(409);
    const lenient = await reveal(false);
    expect([lenient.minted.status, lenient.own.status]).toEqual([409, 409]);
  });

  it('a token minted for another person is its own, loudly audited action', async () => {
    const minted = await admin.post(`/api/v1/users/${requester.id}/tokens`, { name: 'for-you' });
    expect(minted.status).toBe(201);
    const events = (await admin.get('/api/v1/audit-events?action=token.minted_for_other')).body;
    expect(events.map((e: { details: { tokenId: string } }) => e.details.tokenId)).toContain(
      minted.body.id,
    );
    expect(JSON.stringify(events)).not.toContain(minted.body.token);
    const own = await requester.api.post(`/api/v1/users/${requester.id}/tokens`, { name: 'mine' });
    const ownEvents = (await admin.get('/api/v1/audit-events?action=token.created')).body;
    expect(ownEvents.map((e: { details: { tokenId: string } }) => e.details.tokenId)).toContain(
      own.body.id,
    );
  });
});
