import 'reflect-metadata';
import { Writable } from 'node:stream';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { bootstrap as startConnector } from '../apps/connector/src/main';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { createAdmin } from './support/admin-shapes';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { createPerson, createWorld, type World } from './support/fixtures';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';

jest.setTimeout(180_000);

const ADMIN = 'avnadmin';
const PASSWORD = 'scim-admin-password-0123456789';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface ScimResponse {
  status: number;
  type: string | null;
  location: string | null;
  body: any;
}

let counter = 0;
const unique = (name: string) => `${name}.${Date.now().toString(36)}${counter++}@example.com`;

/**
 * The identity provider's side of SCIM, with real parts (a target cluster, the connector, the
 * broker): request sequences as Okta and Entra ID send them, from their SCIM guides.
 */
describe('SCIM provisioning (real PostgreSQL, Redis, target and connector)', () => {
  let target: TargetPostgres;
  let env: BrokerTestEnv;
  let app: INestApplication;
  let connector: INestApplicationContext;
  let admin: ApiClient;
  let base: string;
  let w: World;
  let okta: { id: string; token: string };

  /** A SCIM call: JSON in (as application/scim+json, as Entra sends it, unless told), JSON out. */
  async function scim(
    method: string,
    path: string,
    body?: unknown,
    o: { token?: string | null; contentType?: string } = {},
  ): Promise<ScimResponse> {
    const token = o.token === undefined ? okta.token : o.token;
    const res = await fetch(`${base}/api/v1/scim/v2${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined
          ? { 'content-type': o.contentType ?? 'application/scim+json; charset=utf-8' }
          : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      location: res.headers.get('location'),
      body: text ? JSON.parse(text) : undefined,
    };
  }

  const doormanUser = async (id: string) =>
    ((await admin.get('/api/v1/users')).body as Array<Record<string, unknown>>).find(
      (u) => u.id === id,
    );

  beforeAll(async () => {
    target = await startTargetPostgres();
    await createAdmin(target, 'ovh-avnadmin', ADMIN, PASSWORD);
    await target.query('CREATE ROLE app_owner NOLOGIN');
    await target.createDatabase('app');
    await target.query('ALTER DATABASE app OWNER TO app_owner');
    for (const q of [
      'CREATE SCHEMA sales AUTHORIZATION app_owner',
      'SET ROLE app_owner',
      'CREATE TABLE sales.leads (id serial PRIMARY KEY, name text)',
      'RESET ROLE',
    ])
      await target.query(q, [], 'app');
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    admin = new ApiClient(base, env.adminToken);
    w = await createWorld(admin, {
      port: target.port,
      sslMode: 'verify-full',
      resources: [{ database: 'app', schema: 'sales' }],
    });
    connector = await startConnector({
      env: {
        CONNECTOR_ID: w.connectorId,
        REDIS_URL: env.env.REDIS_URL,
        REDIS_PREFIX: env.redisPrefix,
        TARGET_DATABASE_URL: `postgresql://${ADMIN}:${PASSWORD}@127.0.0.1:${target.port}/postgres`,
        PGSSLMODE: 'verify-full',
        PGSSLROOTCERT: target.caFile,
        BROKER_SEAL_PUBLIC_KEY: env.env.BROKER_SEAL_PUBLIC_KEY,
        LOG_LEVEL: 'warn',
      },
      logDestination: new Writable({ write: (_chunk, _enc, cb) => cb() }),
    });
    const created = await admin.post('/api/v1/scim/providers', { name: 'okta' });
    expect(created.status).toBe(201);
    okta = { id: created.body.id, token: created.body.token };
  });

  afterAll(async () => {
    await connector?.close();
    await app?.close();
    await env?.dispose();
    await target?.stop();
  });

  it('only an admin mints a provider token; it is shown once, rotation kills the old one, both audited', async () => {
    expect((await w.security.api.post('/api/v1/scim/providers', { name: 'x' })).status).toBe(403);
    const entra = await admin.post('/api/v1/scim/providers', { name: 'entra' });
    expect(entra.status).toBe(201);
    expect(entra.body.token).toMatch(/^dms_/);
    expect((await admin.post('/api/v1/scim/providers', { name: 'entra' })).status).toBe(409);
    const listed = (await admin.get('/api/v1/scim/providers')).body as Array<
      Record<string, unknown>
    >;
    expect(listed.map((p) => p.name)).toEqual(['entra', 'okta']);
    expect(JSON.stringify(listed)).not.toContain(entra.body.token);

    expect((await scim('GET', '/Users', undefined, { token: entra.body.token })).status).toBe(200);
    const rotated = await admin.post(`/api/v1/scim/providers/${entra.body.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).not.toBe(entra.body.token);
    expect((await scim('GET', '/Users', undefined, { token: entra.body.token })).status).toBe(401);
    expect((await scim('GET', '/Users', undefined, { token: rotated.body.token })).status).toBe(
      200,
    );
    const db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    try {
      const stored = JSON.stringify((await db.query('SELECT * FROM scim_providers')).rows);
      for (const token of [okta.token, entra.body.token, rotated.body.token])
        expect(stored).not.toContain(token);
    } finally {
      await db.end();
    }
    const events = (await admin.get('/api/v1/audit-events?limit=1000')).body as Array<{
      action: string;
      details: Record<string, unknown>;
    }>;
    const list = Array.isArray(events) ? events : (events as any).events;
    expect(
      list
        .filter((e: any) => e.details?.providerId === entra.body.id)
        .map((e: any) => e.action)
        .sort(),
    ).toEqual(['scim.provider_created', 'scim.token_rotated']);
  });

  it('a missing, wrong or Doorman token gets a 401 SCIM error; discovery needs none', async () => {
    for (const token of [null, 'dms_wrong', env.adminToken]) {
      const res = await scim('GET', '/Users', undefined, { token });
      expect(res.status).toBe(401);
      expect(res.type).toMatch(/^application\/scim\+json/);
      expect(res.body).toEqual({ schemas: [ERROR], status: '401', detail: expect.any(String) });
    }
    const config = await scim('GET', '/ServiceProviderConfig', undefined, { token: null });
    expect(config.status).toBe(200);
    expect(config.type).toMatch(/^application\/scim\+json/);
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true } });
    const types = await scim('GET', '/ResourceTypes', undefined, { token: null });
    expect(types.body.Resources.map((t: { endpoint: string }) => t.endpoint)).toEqual([
      '/Users',
      '/Groups',
    ]);
    const schemas = await scim('GET', '/Schemas', undefined, { token: null });
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual([USER, GROUP]);
    expect((await scim('GET', `/Schemas/${USER}`, undefined, { token: null })).status).toBe(200);
    expect((await scim('GET', '/Schemas/nope', undefined, { token: null })).body).toMatchObject({
      schemas: [ERROR],
      status: '404',
    });
    // A body that is not JSON, as Entra would send it: a SCIM error too.
    const malformed = await fetch(`${base}/api/v1/scim/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${okta.token}`, 'content-type': 'application/scim+json' },
      body: '{"userName": ',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      schemas: [ERROR],
      status: '400',
      scimType: 'invalidSyntax',
    });
  });

  it('Okta: looks the user up, creates them, updates with PUT, deactivates with PATCH active false', async () => {
    const email = unique('test.user');
    // Okta's lookup before a create: userName eq, with its paging parameters.
    const lookup = () =>
      scim(
        'GET',
        `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}&startIndex=1&count=100`,
      );
    expect((await lookup()).body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
    // Okta's create, as its SCIM guide shows it (a password included, which Doorman ignores).
    const created = await scim(
      'POST',
      '/Users',
      {
        schemas: [USER],
        userName: email,
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: email, type: 'work' }],
        displayName: 'Test User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        password: '1mz050nq',
        active: true,
      },
      { contentType: 'application/json; charset=utf-8' },
    );
    expect(created.status).toBe(201);
    expect(created.type).toMatch(/^application\/scim\+json/);
    const id = created.body.id as string;
    expect(created.location).toBe(`${base}/api/v1/scim/v2/Users/${id}`);
    expect(created.body).toMatchObject({
      schemas: [USER],
      userName: email,
      externalId: '00ujl29u0le5T6Aj10h7',
      name: { givenName: 'Test', familyName: 'User' },
      active: true,
      meta: { resourceType: 'User', location: created.location },
    });
    expect(JSON.stringify(created.body)).not.toContain('1mz050nq');
    expect(await doormanUser(id)).toMatchObject({ email, name: 'Test User', deactivatedAt: null });
    const found = await lookup();
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id, userName: email }] });
    // The same userName again: the uniqueness error (RFC 7644 §3.3).
    const again = await scim('POST', '/Users', { schemas: [USER], userName: email.toUpperCase() });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });

    // Okta's profile update is a PUT of the whole user.
    const put = await scim('PUT', `/Users/${id}`, {
      ...created.body,
      displayName: undefined,
      name: { givenName: 'Tess', familyName: 'User' },
    });
    expect(put.status).toBe(200);
    expect(put.body.name).toEqual({ givenName: 'Tess', familyName: 'User' });
    expect(await doormanUser(id)).toMatchObject({ name: 'Tess User' });
    const renamed = await scim('PUT', `/Users/${id}`, { ...put.body, userName: unique('other') });
    expect(renamed.body).toMatchObject({ status: '400', scimType: 'mutability' });

    // Okta's deactivation.
    const off = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await doormanUser(id))?.deactivatedAt).toEqual(expect.any(String));
    // Okta's reactivation brings back only whom the provider itself cut off.
    const on = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: true } }],
    });
    expect(on.body.active).toBe(true);
    expect((await doormanUser(id))?.deactivatedAt).toBeNull();
    // Someone security cut off by hand stays cut off, whatever the provider sends.
    expect((await w.security.api.post(`/api/v1/users/${id}/deactivate`)).status).toBe(200);
    const ignored = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
    expect(ignored.body.active).toBe(false);
    expect((await doormanUser(id))?.deactivatedAt).toEqual(expect.any(String));
  });

  it('Entra: string booleans, Add/Replace verbs, attributes Doorman does not keep, DELETE', async () => {
    const email = unique('entra.user');
    const created = await scim('POST', '/Users', {
      schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      externalId: 'e1f2',
      userName: email,
      active: 'True',
      emails: [{ primary: true, type: 'work', value: email }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Ellen Entra', familyName: 'Entra', givenName: 'Ellen' },
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(await doormanUser(id)).toMatchObject({ name: 'Ellen Entra', deactivatedAt: null });
    const patched = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Add', path: 'displayName', value: 'Ellen E.' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: email },
        { op: 'Replace', path: 'name.givenName', value: 'Elle' },
        { op: 'Add', path: 'title', value: 'Engineer' },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ displayName: 'Ellen E.', name: { givenName: 'Elle' } });
    expect(await doormanUser(id)).toMatchObject({ name: 'Ellen E.' });
    const bad = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'maybe' }],
    });
    expect(bad.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidValue' });
    const off = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(off.body.active).toBe(false);
    expect((await doormanUser(id))?.deactivatedAt).toEqual(expect.any(String));

    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    const gone = await scim('GET', `/Users/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ schemas: [ERROR], status: '404' });
    // Provisioned again: the person is back under the provider, still deactivated (Doorman
    // does not know the provider meant them back in; an admin reactivates).
    const back = await scim('POST', '/Users', { schemas: [USER], userName: email, active: true });
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({ id, active: false });
  });

  it('pages with startIndex and count, filters by externalId, refuses filters it cannot read', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (
          await scim('POST', '/Users', {
            schemas: [USER],
            userName: unique(`page${i}`),
            externalId: `page-${i}`,
          })
        ).body.id,
      );
    const all = await scim('GET', '/Users?count=200');
    const total = all.body.totalResults as number;
    expect(all.body.Resources).toHaveLength(total);
    const page = await scim('GET', `/Users?startIndex=${total - 3}&count=2`);
    expect(page.body).toMatchObject({
      totalResults: total,
      startIndex: total - 3,
      itemsPerPage: 2,
    });
    expect(page.body.Resources.map((u: { id: string }) => u.id)).toEqual(ids.slice(1, 3));
    expect((await scim('GET', '/Users?count=0')).body).toMatchObject({
      totalResults: total,
      itemsPerPage: 0,
      Resources: [],
    });
    const byExternal = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent('externalId eq "page-3"')}`,
    );
    expect(byExternal.body.Resources.map((u: { id: string }) => u.id)).toEqual([ids[3]]);
    for (const filter of [
      'userName co "page"',
      'title eq "x"',
      'userName eq "a" or userName eq "b"',
    ])
      expect((await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`)).body).toMatchObject(
        {
          schemas: [ERROR],
          status: '400',
          scimType: 'invalidFilter',
        },
      );
    // Another provider sees none of these people.
    const other = await admin.post('/api/v1/scim/providers', { name: 'onelogin' });
    const theirs = await scim('GET', '/Users', undefined, { token: other.body.token });
    expect(theirs.body.totalResults).toBe(0);
    expect(
      (await scim('GET', `/Users/${ids[0]}`, undefined, { token: other.body.token })).status,
    ).toBe(404);
  });

  it('groups: members pushed, added and removed (Okta and Entra shapes) decide who requests and approves at once', async () => {
    const requester = await createPerson(admin, 'grp-requester');
    const approver = await createPerson(admin, 'grp-approver', ['approver']);
    const adopt = async (email: string) =>
      (await scim('POST', '/Users', { schemas: [USER], userName: email })).body.id as string;
    expect(await adopt(requester.email)).toBe(requester.id);
    expect(await adopt(approver.email)).toBe(approver.id);

    const requesters = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: `scim-requesters-${counter++}`,
      members: [{ value: requester.id, display: requester.email }],
    });
    expect(requesters.status).toBe(201);
    expect(requesters.body.members).toEqual([{ value: requester.id, $ref: expect.any(String) }]);
    const approvers = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: `scim-approvers-${counter++}`,
      externalId: 'okta-approvers',
      members: [{ value: w.carol.id }],
    });
    expect(approvers.body.members.map((m: { value: string }) => m.value)).toEqual([w.carol.id]);
    const flow = await w.security.api.post('/api/v1/access-flows', {
      name: `scim-flow-${counter++}`,
      integrationId: w.integrationId,
      requestors: { userIds: [], groupIds: [requesters.body.id] },
      resources: [{ database: 'app', schema: 'sales' }],
      permissions: ['read'],
      steps: [{ approvers: { userIds: [], groupIds: [approvers.body.id] } }],
      defaultDuration: '1h',
      maxDuration: '2h',
    });
    if (flow.status !== 201) throw new Error(`flow: ${JSON.stringify(flow.body)}`);
    const ask = () =>
      requester.api.post('/api/v1/access-requests', {
        integrationId: w.integrationId,
        database: 'app',
        schema: 'sales',
        permission: 'read',
        duration: '30m',
      });

    // Okta adds a member with a path and a list of values.
    const added = await scim('PATCH', `/Groups/${approvers.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'add', path: 'members', value: [{ value: approver.id, display: approver.email }] },
      ],
    });
    expect(added.status).toBe(200);
    expect(added.body.members.map((m: { value: string }) => m.value)).toEqual([
      w.carol.id,
      approver.id,
    ]);
    const first = await ask();
    expect(first.status).toBe(201);
    expect(
      (
        await approver.api.post(`/api/v1/access-requests/${first.body.id}/deny`, {
          reason: 'not now',
        })
      ).status,
    ).toBe(200);

    // Okta removes a member with a path filter; from then on they approve nothing.
    const removed = await scim('PATCH', `/Groups/${approvers.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: `members[value eq "${approver.id}"]` }],
    });
    expect(removed.body.members.map((m: { value: string }) => m.value)).toEqual([w.carol.id]);
    const second = await ask();
    expect(
      (await approver.api.post(`/api/v1/access-requests/${second.body.id}/deny`, { reason: 'x' }))
        .status,
    ).toBe(403);
    expect(
      (await requester.api.post(`/api/v1/access-requests/${second.body.id}/cancel`)).status,
    ).toBe(200);

    // Entra removes with a value list and renames with Replace; the requester may ask no more.
    const entra = await scim('PATCH', `/Groups/${requesters.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Remove', path: 'members', value: [{ value: requester.id }] },
        { op: 'Replace', path: 'displayName', value: `${requesters.body.displayName}-renamed` },
      ],
    });
    expect(entra.body).toMatchObject({
      displayName: `${requesters.body.displayName}-renamed`,
      members: [],
    });
    expect((await ask()).status).toBe(403);
    // Okta's pathless replace (the id repeated, the name given).
    const okta2 = await scim('PATCH', `/Groups/${requesters.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [
        {
          op: 'replace',
          value: { id: requesters.body.id, displayName: requesters.body.displayName },
        },
      ],
    });
    expect(okta2.body.displayName).toBe(requesters.body.displayName);

    // Entra's lookups: by displayName, without members.
    const byName = await scim(
      'GET',
      `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${approvers.body.displayName}"`)}`,
    );
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources[0]).not.toHaveProperty('members');
    expect(byName.body.Resources[0]).toMatchObject({
      id: approvers.body.id,
      externalId: 'okta-approvers',
    });
    // A member Doorman does not know is refused, and nothing changes.
    const unknown = await scim('PATCH', `/Groups/${approvers.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'add', path: 'members', value: [{ value: '00000000-0000-4000-8000-000000000000' }] },
      ],
    });
    expect(unknown.body).toMatchObject({ schemas: [ERROR], status: '400' });
    // Deleted at the provider: emptied, gone from SCIM, still named by the flow.
    await scim('PUT', `/Groups/${approvers.body.id}`, {
      schemas: [GROUP],
      displayName: approvers.body.displayName,
      members: [{ value: approver.id }],
    });
    expect((await scim('DELETE', `/Groups/${approvers.body.id}`)).status).toBe(204);
    expect((await scim('GET', `/Groups/${approvers.body.id}`)).status).toBe(404);
    const groups = (await admin.get('/api/v1/groups')).body as Array<{
      id: string;
      memberIds: string[];
    }>;
    expect(groups.find((g) => g.id === approvers.body.id)?.memberIds).toEqual([]);
  });

  it('deprovisioning a person whose grant is ACTIVE revokes it (session ended) and kills their token', async () => {
    // alice is already a Doorman person: the provider adopts her by email.
    const adopted = await scim('POST', '/Users', {
      schemas: [USER],
      userName: w.alice.email,
      name: { givenName: 'Alice', familyName: 'Doe' },
    });
    expect(adopted.status).toBe(201);
    expect(adopted.body.id).toBe(w.alice.id);
    const granted = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'sales',
      permission: 'read',
      duration: '30m',
    });
    if (granted.status !== 201) throw new Error(`request: ${JSON.stringify(granted.body)}`);
    expect(
      (await w.bob.api.post(`/api/v1/access-requests/${granted.body.id}/approve`)).status,
    ).toBe(200);
    const statusOf = async () =>
      (await admin.get(`/api/v1/access-requests/${granted.body.id}`)).body.status as string;
    await waitFor(
      'the grant to be ACTIVE',
      async () => {
        const s = await statusOf();
        if (s === 'FAILED') throw new Error('grant failed');
        return s === 'ACTIVE';
      },
      60_000,
      200,
    );
    const creds = await w.alice.api.post(`/api/v1/access-requests/${granted.body.id}/credentials`);
    expect(creds.status).toBe(200);
    const session = await target.connect(creds.body.username, creds.body.password, 'app');
    expect((await session.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);

    const off = await scim('PATCH', `/Users/${w.alice.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(['REVOKING', 'REVOKED']).toContain(await statusOf());
    expect((await w.alice.api.get('/api/v1/users/me')).status).toBe(401);
    await waitFor(
      'the grant to be REVOKED',
      async () => (await statusOf()) === 'REVOKED',
      60_000,
      200,
    );
    await expect(session.query('SELECT 1')).rejects.toThrow();
    await expect(target.connect(creds.body.username, creds.body.password, 'app')).rejects.toThrow();
    // Audited with the provider as the actor, on the scim channel.
    const events = (await admin.get(`/api/v1/audit-events?actorId=${okta.id}&limit=1000`)).body;
    const list = (Array.isArray(events) ? events : events.events) as Array<{
      action: string;
      channel: string;
      details: { userId?: string };
    }>;
    const mine = list.filter((e) => e.details.userId === w.alice.id);
    expect(mine.map((e) => e.action)).toEqual(
      expect.arrayContaining(['user.deactivated', 'user.access_ended']),
    );
    expect(new Set(mine.map((e) => e.channel))).toEqual(new Set(['scim']));
  });
});
