import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createPerson, createWorld, type Person, type World } from './support/fixtures';

jest.setTimeout(120_000);

const ROLES = ['admin', 'security', 'approver', 'requester', 'auditor'] as const;
type Role = (typeof ROLES)[number];
const ALL = [...ROLES];
const READERS: Role[] = ['admin', 'security', 'auditor'];
const MANAGERS: Role[] = ['admin', 'security'];

/**
 * Who may call what, on another person's objects: every route the API documents × every
 * Doorman role. A route missing here fails the test, so a new route cannot ship unreviewed.
 * The people calling hold exactly one role and are neither requestor nor approver of any flow.
 */
/** Served to anyone, by design: the public keys that verify access receipts. */
const PUBLIC = ['GET /.well-known/doorman-receipt-keys'];

const MATRIX: Record<string, Role[]> = {
  'POST /api/v1/users': ['admin'],
  'GET /api/v1/users': READERS,
  'GET /api/v1/users/me': ALL,
  'PATCH /api/v1/users/{id}': MANAGERS, // which roles they may change: the test below
  'POST /api/v1/users/{id}/tokens': ['admin'],
  'GET /api/v1/users/{id}/tokens': ['admin'],
  'DELETE /api/v1/users/{id}/tokens/{tokenId}': ['admin'],
  'POST /api/v1/users/{id}/deactivate': MANAGERS, // of an admin: admin only (deactivation.int-spec)
  'POST /api/v1/users/{id}/reactivate': MANAGERS,
  'GET /api/v1/users/{id}/activity': READERS,
  'POST /api/v1/groups': MANAGERS,
  'GET /api/v1/groups': ALL,
  'PUT /api/v1/groups/{id}': MANAGERS,
  'POST /api/v1/groups/{id}/sync': MANAGERS,
  'POST /api/v1/connectors': MANAGERS,
  'GET /api/v1/connectors': READERS,
  'POST /api/v1/integrations': MANAGERS,
  'GET /api/v1/integrations': ALL,
  'GET /api/v1/integrations/{id}': ALL,
  'PATCH /api/v1/integrations/{id}': MANAGERS,
  'POST /api/v1/integrations/{id}/credentials/reset': ALL,
  'POST /api/v1/integrations/{id}/credentials/reset-all': MANAGERS,
  'GET /api/v1/integrations/{id}/database-users': READERS,
  'POST /api/v1/integrations/{id}/revoke-all': MANAGERS,
  'GET /api/v1/integrations/{id}/admin-credentials': READERS,
  'POST /api/v1/integrations/{id}/admin-credentials/rotate': MANAGERS,
  'GET /api/v1/integrations/{id}/catalog': ALL, // people choose from what exists
  'POST /api/v1/integrations/{id}/discover': MANAGERS,
  'GET /api/v1/integrations/{id}/doctor': READERS,
  'GET /api/v1/metrics/faults': READERS,
  'POST /api/v1/access-flows': MANAGERS,
  'GET /api/v1/access-flows': ALL,
  'PUT /api/v1/access-flows/{id}': MANAGERS,
  'GET /api/v1/access-flows/{id}': ALL,
  'GET /api/v1/access-flows/{id}/versions/{version}': ALL,
  'GET /api/v1/access-flows/why': READERS, // asked about another person
  'POST /api/v1/access-requests': [], // none of them is a requestor of any flow
  'GET /api/v1/access-requests': ALL, // filtered to what each may see
  'GET /api/v1/access-requests/{id}': READERS,
  'POST /api/v1/access-requests/{id}/approve': [],
  'POST /api/v1/access-requests/{id}/deny': [],
  'POST /api/v1/access-requests/{id}/cancel': [],
  'POST /api/v1/access-requests/{id}/revoke': MANAGERS,
  'POST /api/v1/access-requests/{id}/extend': [],
  'GET /api/v1/access-requests/{id}/approvals': READERS,
  'GET /api/v1/access-requests/{id}/receipt': READERS, // and the request's own requester and approvers
  'POST /api/v1/access-requests/{id}/review': MANAGERS,
  'POST /api/v1/access-requests/{id}/credentials': [],
  'GET /api/v1/break-glass-reviews': MANAGERS, // the README’s “who”: security and admin
  'GET /api/v1/audit-events': READERS,
  'GET /api/v1/audit-events/verify': READERS,
  'POST /api/v1/audit-events/verify': READERS,
  'POST /api/v1/audit-events/checkpoints': READERS,
  'GET /api/v1/audit-events/public-key': READERS,
  'GET /api/v1/audit-events/export': READERS,
  'GET /api/v1/reports/unused-access': READERS,
  'GET /api/v1/access-history': READERS,
  'POST /api/v1/policy/apply': MANAGERS,
  'POST /api/v1/scim/providers': ['admin'],
  'GET /api/v1/scim/providers': ['admin'],
  'POST /api/v1/scim/providers/{id}/rotate': ['admin'],
};

describe('role matrix: every route × every role on others’ objects', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let admin: ApiClient;
  let w: World;
  let routes: Array<{ method: string; path: string }>;
  const people = {} as Record<Role, Person>;
  let groupId: string;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    admin = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
    w = await createWorld(admin);
    for (const role of ROLES) people[role] = await createPerson(admin, `only-${role}`, [role]);
    groupId = (await w.security.api.post('/api/v1/groups', { name: 'matrix', memberIds: [] })).body
      .id;
    const doc = (await admin.as(undefined).get('/api/docs-json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })),
    );
  });

  afterAll(async () => {
    await app?.close();
    await env?.dispose();
  });

  /** A fresh request of alice's for each call, so one call's effect never decides another's. */
  const alicesRequest = async () =>
    (
      await w.alice.api.post('/api/v1/access-requests', {
        integrationId: w.integrationId,
        database: 'app',
        schema: 'public',
        permission: 'read',
        duration: '30m',
      })
    ).body.id as string;

  async function concrete(path: string): Promise<string> {
    let p = path;
    if (p.includes('/access-requests/{id}')) p = p.replace('{id}', await alicesRequest());
    if (/\/users\/\{id\}\/(deactivate|reactivate|tokens\/)/.test(p)) {
      // What cuts a person off is tried on a throwaway person, never on alice.
      const victim = await createPerson(admin, 'victim');
      const tokenId = (await admin.get(`/api/v1/users/${victim.id}/tokens`)).body[0].id as string;
      p = p.replace('{id}', victim.id).replace('{tokenId}', tokenId);
    }
    if (p.startsWith('/api/v1/users/{id}')) p = p.replace('{id}', w.alice.id);
    if (p.startsWith('/api/v1/groups/{id}')) p = p.replace('{id}', groupId);
    if (p.startsWith('/api/v1/integrations/{id}')) p = p.replace('{id}', w.integrationId);
    if (p.startsWith('/api/v1/access-flows/{id}'))
      p = p.replace('{id}', w.flowId).replace('{version}', '1');
    const query: Record<string, string> = {
      '/api/v1/access-flows/why': `?userId=${w.alice.id}&integrationId=${w.integrationId}&database=app&schema=public&permission=read`,
      '/api/v1/access-history': `?integrationId=${w.integrationId}&database=app&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z`,
    };
    return p + (query[p] ?? '');
  }

  const BODIES: Record<string, unknown> = {
    deny: { reason: 'no' },
    revoke: { reason: 'matrix' },
    extend: { duration: '5m' },
    review: { note: 'matrix' },
    'revoke-all': { reason: 'matrix' },
    groups: { memberIds: [] },
  };
  const bodyFor = (path: string) => {
    if (path === '/api/v1/access-requests') {
      return {
        integrationId: w.integrationId,
        database: 'app',
        schema: 'public',
        permission: 'read',
        duration: '30m',
      };
    }
    return (
      BODIES[path.split('/').pop()!] ??
      (path.endsWith('{id}') && path.includes('groups') ? BODIES.groups : {})
    );
  };

  it('documents no route the matrix does not know', () => {
    const unknown = routes.filter(
      (r) =>
        !r.path.startsWith('/health') &&
        !PUBLIC.includes(`${r.method} ${r.path}`) &&
        !(`${r.method} ${r.path}` in MATRIX),
    );
    expect(unknown.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('serves the public routes without a token', async () => {
    for (const route of PUBLIC) {
      expect(routes.some((r) => `${r.method} ${r.path}` === route)).toBe(true);
      const [method, path] = route.split(' ');
      const res = await admin.as(undefined).request(method, path);
      expect({ route, status: res.status }).toEqual({ route, status: 200 });
    }
  });

  it('refuses every protected route without a token (401)', async () => {
    for (const r of routes.filter(
      (x) => !x.path.startsWith('/health') && !PUBLIC.includes(`${x.method} ${x.path}`),
    )) {
      const res = await admin
        .as(undefined)
        .request(
          r.method,
          await concrete(r.path),
          r.method === 'GET' ? undefined : bodyFor(r.path),
        );
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({
        route: `${r.method} ${r.path}`,
        status: 401,
      });
    }
  });

  it('allows exactly what the matrix says, and answers 403 to everything else', async () => {
    const unexpected: string[] = [];
    for (const r of routes.filter((x) => `${x.method} ${x.path}` in MATRIX)) {
      for (const role of ROLES) {
        const res = await people[role].api.request(
          r.method,
          await concrete(r.path),
          r.method === 'GET' ? undefined : bodyFor(r.path),
        );
        const allowed = MATRIX[`${r.method} ${r.path}`].includes(role);
        const got =
          res.status === 403 ? 'forbidden' : res.status === 401 ? 'unauthenticated' : 'allowed';
        if (res.status >= 500)
          unexpected.push(
            `${role} ${r.method} ${r.path}: ${res.status} ${JSON.stringify(res.body)}`,
          );
        else if ((allowed && got !== 'allowed') || (!allowed && got !== 'forbidden')) {
          unexpected.push(
            `${role} ${r.method} ${r.path}: expected ${allowed ? 'allowed' : 'forbidden'}, got ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`,
          );
        }
      }
    }
    expect(unexpected).toEqual([]);
  });

  /**
   * Every way a role can change × every caller: a fresh target each time, and the
   * roles read back afterwards, so a path that answers 403 but writes anyway fails too.
   */
  it('lets each caller change exactly the roles the role rule allows, on every path', async () => {
    const yaml = (email: string, roles: string[]) =>
      `version: 1\nusers:\n  - email: ${email}\n    name: Target\n    roles: [${roles.join(', ')}]\n`;
    type Way = {
      name: string;
      from: Role[] | null; // null: the path creates the person
      to: Role[];
      allowed: Role[];
      run: (caller: Person, target: { id: string; email: string }) => Promise<{ status: number }>;
    };
    const patch = (to: Role[]) => (caller: Person, t: { id: string }) =>
      caller.api.request('PATCH', `/api/v1/users/${t.id}`, { roles: to });
    const policy =
      (to: Role[], dryRun = false) =>
      (caller: Person, t: { email: string }) =>
        caller.api.post('/api/v1/policy/apply', { yaml: yaml(t.email, to), dryRun });
    const create = (to: Role[]) => (caller: Person, t: { email: string }) =>
      caller.api.post('/api/v1/users', { email: t.email, name: 'Target', roles: to });
    const ways: Way[] = [
      {
        name: 'POST /users as approver',
        from: null,
        to: ['approver'],
        allowed: ['admin'],
        run: create(['approver']),
      },
      {
        name: 'POST /users as admin',
        from: null,
        to: ['admin'],
        allowed: ['admin'],
        run: create(['admin']),
      },
      {
        name: 'PATCH requester → approver',
        from: ['requester'],
        to: ['approver'],
        allowed: MANAGERS,
        run: patch(['approver']),
      },
      {
        name: 'PATCH requester → security',
        from: ['requester'],
        to: ['security'],
        allowed: MANAGERS,
        run: patch(['security']),
      },
      {
        name: 'PATCH requester → admin',
        from: ['requester'],
        to: ['admin'],
        allowed: ['admin'],
        run: patch(['admin']),
      },
      {
        name: 'PATCH admin → requester',
        from: ['admin'],
        to: ['requester'],
        allowed: ['admin'],
        run: patch(['requester']),
      },
      {
        name: 'PATCH admin → admin + auditor',
        from: ['admin'],
        to: ['admin', 'auditor'],
        allowed: ['admin'],
        run: patch(['admin', 'auditor']),
      },
      {
        name: 'policy: new person as requester',
        from: null,
        to: ['requester'],
        allowed: MANAGERS,
        run: policy(['requester']),
      },
      {
        name: 'policy: new person as admin',
        from: null,
        to: ['admin'],
        allowed: ['admin'],
        run: policy(['admin']),
      },
      {
        name: 'policy: requester → approver',
        from: ['requester'],
        to: ['approver'],
        allowed: MANAGERS,
        run: policy(['approver']),
      },
      {
        name: 'policy: requester → admin',
        from: ['requester'],
        to: ['admin'],
        allowed: ['admin'],
        run: policy(['admin']),
      },
      {
        name: 'policy: admin → security',
        from: ['admin'],
        to: ['security'],
        allowed: ['admin'],
        run: policy(['security']),
      },
      {
        name: 'policy dry run: requester → admin',
        from: ['requester'],
        to: ['admin'],
        allowed: ['admin'],
        run: policy(['admin'], true),
      },
    ];
    const wrong: string[] = [];
    let n = 0;
    for (const way of ways)
      for (const role of ROLES) {
        const target = way.from
          ? await createPerson(admin, `target-${n++}`, way.from)
          : { id: '', email: `new-${Date.now().toString(36)}-${n++}@example.com` };
        const res = await way.run(people[role], target);
        const dryRun = way.name.includes('dry run');
        const users = (await admin.get('/api/v1/users')).body as Array<{
          email: string;
          roles: string[];
        }>;
        const after = users.find((u) => u.email === target.email)?.roles ?? null;
        const allowed = way.allowed.includes(role);
        const ok = res.status >= 200 && res.status < 300;
        const wrote =
          JSON.stringify(after && [...after].sort()) === JSON.stringify([...way.to].sort());
        if (ok !== allowed || (!dryRun && wrote !== allowed) || (dryRun && wrote))
          wrong.push(`${role} ${way.name}: ${res.status}, roles now ${JSON.stringify(after)}`);
        if (!allowed && ![401, 403].includes(res.status))
          wrong.push(`${role} ${way.name}: refused with ${res.status}, not 403`);
      }
    expect(wrong).toEqual([]);
  });

  it('on their own request a requester may read, cancel, revoke and ask for credentials, never approve', async () => {
    const id = await alicesRequest();
    expect((await w.alice.api.get(`/api/v1/access-requests/${id}`)).status).toBe(200);
    expect((await w.alice.api.get(`/api/v1/audit-events?requestId=${id}`)).status).toBe(200);
    expect((await w.alice.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(403);
    expect((await w.alice.api.post(`/api/v1/access-requests/${id}/credentials`)).status).toBe(409); // not ACTIVE yet
    expect((await w.alice.api.post(`/api/v1/access-requests/${id}/cancel`)).status).toBe(200);
    expect(
      (await w.alice.api.post(`/api/v1/users/${w.alice.id}/tokens`, { name: 'mine' })).status,
    ).toBe(201);
    expect((await w.bob.api.get(`/api/v1/access-requests/${id}`)).status).toBe(200); // an approver of its flow
  });
});
