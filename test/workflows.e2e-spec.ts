import {
  canRead as canReadAs,
  untilStatus,
  validUntilIs,
  type Creds,
} from './support/access-checks';
import { waitFor } from './support/broker-env';
import { createPerson, type Person } from './support/fixtures';
import { startStack, type Stack } from './support/stack';
import type { TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

const SCHEMAS = [
  'auto',
  'quorum',
  'escalate',
  'autodeny',
  'extend',
  'overlap_a',
  'overlap_b',
  'glass',
  'incident',
];

/**
 * Issue 4 through REST with the real broker and connector: a two-step flow with quorum 2,
 * escalation and auto-deny, an extension that moves VALID UNTIL, overlapping requests,
 * revoke-all, break-glass with its review, flow versions and "why" answers.
 * (The same scenarios through Slack: workflows-slack.e2e-spec.ts.)
 */
describe('approval workflows end to end', () => {
  let stack: Stack;
  let target: TargetPostgres;
  let alice: Person,
    bob: Person,
    carol: Person,
    dora: Person,
    erin: Person,
    frank: Person,
    sec: Person;
  let integrationId: string;
  let dbaGroupId: string;

  beforeAll(async () => {
    stack = await startStack({
      broker: { SWEEP_INTERVAL_MS: '500' },
      prepareTarget: async (t) => {
        await t.createDatabase('app');
        for (const s of SCHEMAS) {
          await t.query(`CREATE SCHEMA ${s}`, [], 'app');
          await t.query(`CREATE TABLE ${s}.t (id int)`, [], 'app');
          await t.query(`INSERT INTO ${s}.t VALUES (1)`, [], 'app');
        }
      },
    });
    target = stack.target;
    const admin = stack.admin;
    alice = await createPerson(admin, 'alice');
    bob = await createPerson(admin, 'bob', ['approver']);
    carol = await createPerson(admin, 'carol', ['approver']);
    dora = await createPerson(admin, 'dora', ['approver']);
    erin = await createPerson(admin, 'erin', ['approver']);
    frank = await createPerson(admin, 'frank', ['approver']);
    sec = await createPerson(admin, 'sec', ['security']);
    dbaGroupId = (await sec.api.post('/api/v1/groups', { name: 'dba', memberIds: [dora.id] })).body
      .id;
    const connectorId = (await sec.api.post('/api/v1/connectors', { name: 'wf-site' })).body.id;
    const integration = await sec.api.post('/api/v1/integrations', {
      name: 'wf-pg',
      connectorId,
      host: '127.0.0.1',
      port: target.port,
      databases: ['app'],
      sslMode: 'verify-full',
      ownerIds: [sec.id],
    });
    integrationId = integration.body.id;
    stack.startConnector(connectorId);
  });

  afterAll(async () => stack?.stop());

  const flow = async (schema: string, body: Record<string, unknown>) => {
    const res = await sec.api.post('/api/v1/access-flows', {
      name: `flow-${schema}`,
      integrationId,
      requestors: { userIds: [alice.id] },
      resources: [{ database: 'app', schema }],
      permissions: ['read'],
      defaultDuration: '10m',
      maxDuration: '1h',
      ...body,
    });
    if (res.status !== 201) throw new Error(`flow ${schema}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const ask = (schema: string, extra: Record<string, unknown> = {}) =>
    alice.api.post('/api/v1/access-requests', {
      integrationId,
      database: 'app',
      schema,
      permission: 'read',
      duration: '10m',
      ...extra,
    });
  const status = async (id: string) => (await alice.api.get(`/api/v1/access-requests/${id}`)).body;
  const until = (id: string, want: string, timeoutMs = 15000) =>
    untilStatus(alice.api, id, want, timeoutMs);
  const canRead = (schema: string, creds: Creds) => canReadAs(target, schema, creds);
  const reveal = async (id: string) =>
    (await alice.api.post(`/api/v1/access-requests/${id}/credentials`)).body;

  it('two steps, quorum 2 then the dba group: nobody counts twice, order holds', async () => {
    await flow('quorum', {
      steps: [
        { approvers: { userIds: [bob.id, carol.id] }, quorum: 2 },
        { approvers: { groupIds: [dbaGroupId] }, quorum: 1 },
      ],
    });
    const req = (await ask('quorum')).body;
    expect(req).toMatchObject({ status: 'PENDING', currentStep: 1 });
    expect((await dora.api.post(`/api/v1/access-requests/${req.id}/approve`)).status).toBe(403); // step 2's approver, too early
    expect((await bob.api.post(`/api/v1/access-requests/${req.id}/approve`)).body).toMatchObject({
      status: 'PENDING',
      currentStep: 1,
    });
    const twice = await bob.api.post(`/api/v1/access-requests/${req.id}/approve`);
    expect(twice.status).toBe(403);
    expect(twice.body.message).toContain('already decided');
    expect((await carol.api.post(`/api/v1/access-requests/${req.id}/approve`)).body).toMatchObject({
      status: 'PENDING',
      currentStep: 2,
    });
    expect((await alice.api.post(`/api/v1/access-requests/${req.id}/approve`)).status).toBe(403);
    expect((await dora.api.post(`/api/v1/access-requests/${req.id}/approve`)).status).toBe(200);
    await until(req.id, 'ACTIVE');
    const again = await carol.api.post(`/api/v1/access-requests/${req.id}/approve`);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(`already approved by ${dora.email}`);
    const approvals = (await alice.api.get(`/api/v1/access-requests/${req.id}/approvals`)).body;
    expect(
      approvals.map((a: { step: number; approverId: string }) => [a.step, a.approverId]),
    ).toEqual([
      [1, bob.id],
      [1, carol.id],
      [2, dora.id],
    ]);
    expect(await canRead('quorum', await reveal(req.id))).toBe(true);
  });

  it('a step that times out escalates to its fallback; another denies by itself', async () => {
    await flow('escalate', {
      steps: [
        {
          approvers: { userIds: [erin.id] },
          timeout: '2s',
          onTimeout: 'escalate',
          fallback: { userIds: [frank.id] },
        },
      ],
    });
    await flow('autodeny', {
      steps: [{ approvers: { userIds: [erin.id] }, timeout: '2s', onTimeout: 'deny' }],
    });
    const esc = (await ask('escalate')).body;
    const deny = (await ask('autodeny')).body;
    expect((await frank.api.post(`/api/v1/access-requests/${esc.id}/approve`)).status).toBe(403);
    await waitFor('escalation', async () => (await status(esc.id)).escalated === true, 10000, 100);
    expect((await frank.api.post(`/api/v1/access-requests/${esc.id}/approve`)).status).toBe(200);
    await until(esc.id, 'ACTIVE');
    const denied = await until(deny.id, 'DENIED', 10000);
    expect(denied.statusReason).toBe('approval step 1 timed out');
    const trail = (await sec.api.get(`/api/v1/audit-events?requestId=${esc.id}`)).body.map(
      (e: { action: string }) => e.action,
    );
    expect(trail).toEqual(
      expect.arrayContaining([
        'request.created',
        'request.escalated',
        'request.approved',
        'grant.activated',
      ]),
    );
  });

  it('an approved extension moves the expiry and the role’s VALID UNTIL; the flow limits how many', async () => {
    await flow('extend', {
      approvers: { userIds: [bob.id] },
      extensions: { maxCount: 1, maxDuration: '30m' },
    });
    const req = (await ask('extend', { duration: '5m' })).body;
    await bob.api.post(`/api/v1/access-requests/${req.id}/approve`);
    const active = await until(req.id, 'ACTIVE');
    const creds = await reveal(req.id);
    const ext = await alice.api.post(`/api/v1/access-requests/${req.id}/extend`, {
      duration: '20m',
    });
    expect(ext.status).toBe(201);
    expect(ext.body).toMatchObject({
      kind: 'extension',
      status: 'PENDING',
      extendsRequestId: req.id,
    });
    expect((await alice.api.post(`/api/v1/access-requests/${ext.body.id}/approve`)).status).toBe(
      403,
    );
    await bob.api.post(`/api/v1/access-requests/${ext.body.id}/approve`);
    const expected = new Date(active.expiresAt).getTime() + 20 * 60_000;
    const moved = await waitFor('the expiry to move', async () => {
      const r = await status(req.id);
      return new Date(r.expiresAt).getTime() === expected ? r : undefined;
    });
    expect(moved).toMatchObject({ status: 'ACTIVE', extensionCount: 1 });
    await validUntilIs(target, creds.username, expected);
    expect((await status(ext.body.id)).status).toBe('APPLIED');
    const second = await alice.api.post(`/api/v1/access-requests/${req.id}/extend`, {
      duration: '5m',
    });
    expect(second.status).toBe(403);
    expect(second.body.message).toContain("flow's maximum");
    // A duplicate request for access already held offers an extension instead.
    const dup = await ask('extend');
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ offer: 'extend', requestId: req.id });
  });

  it('overlapping requests: the first expiry leaves the other access working', async () => {
    await flow('overlap_a', {
      approvers: { userIds: [bob.id] },
      defaultDuration: '6s',
      maxDuration: '1h',
    });
    await flow('overlap_b', { approvers: { userIds: [bob.id] } });
    const a = (await ask('overlap_a', { duration: '6s' })).body;
    await bob.api.post(`/api/v1/access-requests/${a.id}/approve`);
    await until(a.id, 'ACTIVE');
    const b = (await ask('overlap_b', { duration: '30m' })).body;
    await bob.api.post(`/api/v1/access-requests/${b.id}/approve`);
    await until(b.id, 'ACTIVE');
    const creds = await reveal(b.id);
    expect(await canRead('overlap_a', creds)).toBe(true);
    await until(a.id, 'REVOKED', 20000);
    expect(await canRead('overlap_a', creds)).toBe(false);
    expect(await canRead('overlap_b', creds)).toBe(true);
  });

  it('break-glass: access at once, flagged, and a review security must close', async () => {
    await flow('glass', { approvers: { userIds: [bob.id] }, breakGlass: { userIds: [alice.id] } });
    expect(
      (
        await carol.api.post('/api/v1/access-requests', {
          integrationId,
          database: 'app',
          schema: 'glass',
          permission: 'read',
          breakGlass: true,
        })
      ).status,
    ).toBe(403);
    const req = await ask('glass', { breakGlass: true, justification: 'prod incident 7' });
    expect(req.status).toBe(201);
    expect(req.body.breakGlass).toBe(true);
    await until(req.body.id, 'ACTIVE');
    const open = (await sec.api.get('/api/v1/break-glass-reviews?status=open')).body;
    expect(open.map((r: { id: string }) => r.id)).toContain(req.body.id);
    expect(
      (await alice.api.post(`/api/v1/access-requests/${req.body.id}/review`, { note: 'mine' }))
        .status,
    ).toBe(403);
    const closed = await sec.api.post(`/api/v1/access-requests/${req.body.id}/review`, {
      note: 'checked the session log',
    });
    expect(closed.body.review).toMatchObject({ status: 'closed', closedBy: sec.id });
    const trail = (await sec.api.get(`/api/v1/audit-events?requestId=${req.body.id}`)).body.map(
      (e: { action: string }) => e.action,
    );
    expect(trail).toEqual(
      expect.arrayContaining(['request.break_glass', 'break_glass.review_closed']),
    );
  });

  it('revoke-all ends every grant on the integration at once', async () => {
    await flow('incident', { approvers: { userIds: [bob.id] } });
    const req = (await ask('incident')).body;
    await bob.api.post(`/api/v1/access-requests/${req.id}/approve`);
    await until(req.id, 'ACTIVE');
    const creds = await reveal(req.id);
    // An open session, which revoke-all must end too.
    const session = await target.connect(creds.username, creds.password, 'app');
    const ended = new Promise<void>((resolve) => session.on('end', () => resolve()));
    expect(
      (await alice.api.post(`/api/v1/integrations/${integrationId}/revoke-all`, { reason: 'x' }))
        .status,
    ).toBe(403);
    const res = await sec.api.post(`/api/v1/integrations/${integrationId}/revoke-all`, {
      reason: 'suspected leak',
    });
    expect(res.status).toBe(200);
    expect(res.body.revoked).toBeGreaterThanOrEqual(3);
    const mine = (await alice.api.get('/api/v1/access-requests?mine=true&limit=100')).body;
    await waitFor('every grant to end', async () => {
      const all = (await alice.api.get('/api/v1/access-requests?mine=true&limit=100')).body;
      return all.every(
        (r: { status: string }) => !['ACTIVE', 'GRANTING', 'REVOKING'].includes(r.status),
      );
    });
    expect(mine.length).toBeGreaterThan(0);
    expect(await canRead('incident', creds)).toBe(false);
    await ended;
    // No database user Doorman manages may log in any more. Direct members of the marker role:
    // pg_has_role(…, 'MEMBER') is true for every superuser, the connector's own login included.
    await waitFor('every managed user to be NOLOGIN', async () => {
      const { rows } = await target.query<{ rolname: string }>(
        `SELECT r.rolname FROM pg_roles r
           JOIN pg_auth_members m ON m.member = r.oid
           JOIN pg_roles k ON k.oid = m.roleid AND k.rolname = 'doorman_managed'
          WHERE r.rolcanlogin`,
      );
      return rows.length === 0;
    });
  });

  it('auto-approval: a flow without steps approves what its conditions allow, refuses the rest', async () => {
    await flow('auto', { autoApprove: { permissions: ['read'], maxDuration: '15m' } });
    const ok = await ask('auto', { duration: '10m' });
    expect(ok.status).toBe(201);
    await until(ok.body.id, 'ACTIVE');
    const trail = (await sec.api.get(`/api/v1/audit-events?requestId=${ok.body.id}`)).body.map(
      (e: { action: string }) => e.action,
    );
    expect(trail).toContain('request.auto_approved');
    const long = await alice.api.post(`/api/v1/access-requests/${ok.body.id}/revoke`);
    expect(long.status).toBe(200);
    const refused = await ask('auto', { duration: '30m' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('auto-approval covers at most');
  });

  it('editing a flow makes a new version; requests keep theirs; "why" explains', async () => {
    const f = await flow('quorum_v', {
      approvers: { userIds: [bob.id] },
      resources: [{ database: 'app', schema: 'quorum' }],
      permissions: ['write'],
    });
    const req = (
      await alice.api.post('/api/v1/access-requests', {
        integrationId,
        database: 'app',
        schema: 'quorum',
        permission: 'write',
      })
    ).body;
    const edited = await sec.api.request('PUT', `/api/v1/access-flows/${f.id}`, {
      name: f.name,
      integrationId,
      requestors: { userIds: [alice.id] },
      resources: [{ database: 'app', schema: 'quorum' }],
      permissions: ['write'],
      approvers: { userIds: [carol.id] },
      defaultDuration: '10m',
      maxDuration: '2h',
    });
    expect(edited.body.version).toBe(2);
    expect((await status(req.id)).flowVersion).toBe(1);
    // Judged under version 1: bob approves, carol (only in v2) may not.
    expect((await carol.api.post(`/api/v1/access-requests/${req.id}/approve`)).status).toBe(403);
    expect(
      (await sec.api.get(`/api/v1/access-flows/${f.id}/versions/1`)).body.steps[0].approvers
        .userIds,
    ).toEqual([bob.id]);

    const why = await alice.api.get(
      `/api/v1/access-flows/why?integrationId=${integrationId}&database=app&schema=quorum&permission=write`,
    );
    expect(why.body.allowed).toBe(true);
    expect(why.body.flows[0]).toMatchObject({ name: f.name, version: 2, maxDuration: '2h' });
    expect(why.body.flows[0].steps[0].approvers.map((a: { email: string }) => a.email)).toEqual([
      carol.email,
    ]);
    const whyNot = await sec.api.get(
      `/api/v1/access-flows/why?userId=${bob.id}&integrationId=${integrationId}&database=app&schema=quorum&permission=admin`,
    );
    expect(whyNot.body.allowed).toBe(false);
    expect(whyNot.body.notAllowedBy.length).toBeGreaterThan(0);
    expect(
      (
        await bob.api.get(
          `/api/v1/access-flows/why?userId=${alice.id}&integrationId=${integrationId}&database=app&schema=quorum&permission=read`,
        )
      ).status,
    ).toBe(403);
  });
});
