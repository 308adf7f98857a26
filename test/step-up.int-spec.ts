import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import {
  DEMO_PEOPLE,
  signInThroughIdp,
  startTestIdp,
  TestBrowser,
  type TestIdp,
} from './support/oidc-provider';
import { freePort } from './support/processes';

const person = (login: string) => DEMO_PEOPLE.find((p) => p.login === login)!;
/** The session row of the cookie given as $1 (the table holds only the id's SHA-256). */
const BY_COOKIE = `token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`;
/** What the demo's provider says of every password sign-in. */
const DEMO_ACR = 'urn:doorman:demo:password';

interface Answer {
  status: number;
  body: Record<string, any>;
}

/**
 * Step-up for risky flows, with a real identity provider, PostgreSQL and Redis: a flow that
 * asks approvers (or requesters) for a recent or strong sign-in refuses bearer tokens and old
 * or weak sign-ins with a reason and where to sign in again, and accepts a fresh one; how the
 * approver had signed in is in the decision's audit event.
 */
describe('step-up for risky flows (real provider, PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let idp: TestIdp;
  let app: INestApplication;
  let db: Client;
  let url: string;
  let w: World;
  let admin: ApiClient;
  /** bob of the provider, signed in once in this browser. */
  let bob: { browser: TestBrowser; id: string; token: ApiClient };

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    idp = await startTestIdp({ redirectUris: [`${url}/auth/callback`] });
    env = await createBrokerTestEnv({ ...idp.brokerEnv, PUBLIC_URL: url });
    app = await createBrokerApp(env.config);
    await app.listen(port, '127.0.0.1');
    admin = new ApiClient(url, env.adminToken);
    w = await createWorld(admin);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    const browser = new TestBrowser();
    expect((await signInThroughIdp(browser, url, person('bob'))).res.status).toBe(302);
    const id = (await sessionOf(browser)).person.id as string;
    const minted = await admin.post(`/api/v1/users/${id}/tokens`, { name: 'automation' });
    expect(minted.status).toBe(201);
    bob = { browser, id, token: admin.as(minted.body.token as string) };
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await idp?.stop();
    await env?.dispose();
  });

  async function sessionOf(browser: TestBrowser): Promise<Record<string, any>> {
    const res = await browser.fetch(`${url}/api/v1/session`);
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, any>;
  }

  /** A POST the way the console makes it: the session cookie and its CSRF header. */
  async function postAs(browser: TestBrowser, path: string, body: unknown = {}): Promise<Answer> {
    const { csrfToken } = await sessionOf(browser);
    const res = await browser.fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken as string },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  /** A flow of its own on `schema`: alice (by token) asks, bob of the provider approves. */
  async function flow(schema: string, over: Record<string, unknown> = {}): Promise<void> {
    const res = await w.security.api.post('/api/v1/access-flows', {
      name: `step-up-${schema}`,
      integrationId: w.integrationId,
      requestors: { userIds: [w.alice.id], groupIds: [] },
      resources: [{ database: 'app', schema }],
      permissions: ['read'],
      steps: [{ approvers: { userIds: [bob.id] } }],
      defaultDuration: '30m',
      maxDuration: '2h',
      ...over,
    });
    if (res.status !== 201) throw new Error(`flow: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async function request(schema: string): Promise<string> {
    const res = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema,
      permission: 'read',
      duration: '30m',
    });
    if (res.status !== 201) throw new Error(`request: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  }

  const statusOf = async (id: string): Promise<string> =>
    (await db.query('SELECT status FROM access_requests WHERE id = $1', [id])).rows[0].status;
  const eventsOf = async (id: string, action: string) =>
    (
      await db.query(
        'SELECT details, channel FROM audit_events WHERE request_id = $1 AND action = $2 ORDER BY id',
        [id, action],
      )
    ).rows as Array<{ details: Record<string, any>; channel: string }>;
  /** Moves the browser's sign-in `minutes` into the past, as if the person signed in then. */
  const ageSignIn = async (browser: TestBrowser, minutes: number) => {
    const moved = await db.query(
      `UPDATE browser_sessions SET auth_time = now() - make_interval(mins => $2) WHERE ${BY_COOKIE}`,
      [browser.cookie(url, 'doorman_session'), minutes],
    );
    expect(moved.rowCount).toBe(1);
  };
  const expectStepUp = (answer: Answer, returnTo: string) => {
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: 'FORBIDDEN', code: 'step_up_required' });
    const hint = new URL(answer.body.stepUpUrl as string, url);
    expect(hint.pathname).toBe('/auth/login');
    expect(hint.searchParams.get('stepUp')).toBe('1');
    expect(hint.searchParams.get('returnTo')).toBe(returnTo);
  };

  it('a fresh sign-in approves; the audit event says when and how the approver signed in', async () => {
    await flow('fresh', { approverAuthentication: { maxAgeMinutes: 10, amr: ['pwd'] } });
    const id = await request('fresh');
    const answer = await postAs(bob.browser, `/api/v1/access-requests/${id}/approve`);
    expect(answer.status).toBe(200);
    expect(answer.body.status).not.toBe('PENDING');
    expect(await statusOf(id)).not.toBe('PENDING');
    const { authentication } = await sessionOf(bob.browser);
    const [approved] = await eventsOf(id, 'request.approved');
    expect(approved.channel).toBe('console');
    expect(approved.details.authentication).toEqual({
      method: 'oidc',
      authTime: authentication.authTime,
      acr: DEMO_ACR,
      amr: ['pwd'],
    });
  });

  it('a bearer token cannot approve under such a flow: 403 step_up_required, audited; it may deny', async () => {
    await flow('token', { approverAuthentication: { maxAgeMinutes: 10 } });
    const id = await request('token');
    const refused = await bob.token.post(`/api/v1/access-requests/${id}/approve`, {});
    expectStepUp(refused, '/console/inbox');
    expect(refused.body.message).toMatch(/bearer token or Slack cannot show.*sign in again/);
    expect(await statusOf(id)).toBe('PENDING');
    const [attempt] = await eventsOf(id, 'decision.refused');
    expect(attempt.details).toMatchObject({ decision: 'approve', reason: refused.body.message });
    // A denial opens nothing: a token still may.
    const denied = await bob.token.post(`/api/v1/access-requests/${id}/deny`, { reason: 'no' });
    expect(denied.status).toBe(200);
    expect(await statusOf(id)).toBe('DENIED');
    const [event] = await eventsOf(id, 'request.denied');
    expect(event.details.authentication).toEqual({ method: 'token' });
  });

  it('a sign-in older than maxAgeMinutes is refused; after a step-up (a fresh login) it approves', async () => {
    await flow('aged', { approverAuthentication: { maxAgeMinutes: 10 } });
    const id = await request('aged');
    const browser = new TestBrowser();
    expect((await signInThroughIdp(browser, url, person('bob'))).res.status).toBe(302);
    await ageSignIn(browser, 25);
    const refused = await postAs(browser, `/api/v1/access-requests/${id}/approve`);
    expectStepUp(refused, '/console/inbox');
    expect(refused.body.message).toMatch(/at most 10 minute\(s\) old.*yours is 2[45] minute/);
    expect(await statusOf(id)).toBe('PENDING');

    // The hint is the way back: the provider asks for the password again, then the inbox.
    const stepUp = new URL(refused.body.stepUpUrl as string, url);
    const out = await signInThroughIdp(
      browser,
      url,
      person('bob'),
      Object.fromEntries(stepUp.searchParams),
    );
    expect(out.res.status).toBe(302);
    expect(out.location).toBe('/console/inbox');
    const approved = await postAs(browser, `/api/v1/access-requests/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(await statusOf(id)).not.toBe('PENDING');
    const [event] = await eventsOf(id, 'request.approved');
    const age = Date.now() - new Date(event.details.authentication.authTime as string).getTime();
    expect(age).toBeLessThan(60_000);
  });

  it('an acr or amr the flow does not accept is refused, whatever the age', async () => {
    await flow('acr', { approverAuthentication: { acr: ['urn:doorman:demo:hardware-key'] } });
    await flow('amr', { approverAuthentication: { maxAgeMinutes: 60, amr: ['hwk', 'otp'] } });
    const byAcr = await request('acr');
    const byAmr = await request('amr');
    const acr = await postAs(bob.browser, `/api/v1/access-requests/${byAcr}/approve`);
    expectStepUp(acr, '/console/inbox');
    expect(acr.body.message).toContain(`(yours: ${DEMO_ACR})`);
    const amr = await postAs(bob.browser, `/api/v1/access-requests/${byAmr}/approve`);
    expectStepUp(amr, '/console/inbox');
    expect(amr.body.message).toContain('by hwk or otp');
    expect(await statusOf(byAcr)).toBe('PENDING');
    expect(await statusOf(byAmr)).toBe('PENDING');
  });

  it('a flow without the field approves by token as before, and shows the field as null', async () => {
    await flow('plain');
    const id = await request('plain');
    const res = await bob.token.post(`/api/v1/access-requests/${id}/approve`, {});
    expect(res.status).toBe(200);
    const flows = (await w.security.api.get('/api/v1/access-flows')).body as Array<
      Record<string, unknown>
    >;
    const plain = flows.find((f) => f.name === 'step-up-plain')!;
    expect(plain.approverAuthentication).toBeNull();
    const stored = await db.query(
      `SELECT definition FROM access_flows WHERE name = 'step-up-plain'`,
    );
    expect(Object.keys(stored.rows[0].definition)).not.toContain('approverAuthentication');
  });

  it('requesterAuthentication: a token cannot request or extend under the flow; a fresh sign-in can request', async () => {
    const alice = new TestBrowser();
    expect((await signInThroughIdp(alice, url, person('alice'))).res.status).toBe(302);
    const aliceId = (await sessionOf(alice)).person.id as string;
    await flow('ask', {
      requestors: { userIds: [w.alice.id, aliceId], groupIds: [] },
      requesterAuthentication: { maxAgeMinutes: 10 },
    });
    const ask = {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'ask',
      permission: 'read',
      duration: '30m',
    };
    const byToken = await w.alice.api.post('/api/v1/access-requests', ask);
    expectStepUp(byToken, '/console/request');
    const bySession = await postAs(alice, '/api/v1/access-requests', ask);
    expect(bySession.status).toBe(201);
    // Asking for more time is asking too: the rule comes before anything else is judged.
    const minted = await admin.post(`/api/v1/users/${aliceId}/tokens`, { name: 'automation' });
    const extend = await admin
      .as(minted.body.token as string)
      .post(`/api/v1/access-requests/${bySession.body.id}/extend`, { duration: '30m' });
    expectStepUp(extend, '/console/');
  });

  it('refuses a rule that asks for nothing', async () => {
    const res = await w.security.api.post('/api/v1/access-flows', {
      name: 'step-up-empty',
      integrationId: w.integrationId,
      requestors: { userIds: [w.alice.id], groupIds: [] },
      resources: [{ database: 'app', schema: 'empty' }],
      permissions: ['read'],
      steps: [{ approvers: { userIds: [bob.id] } }],
      defaultDuration: '30m',
      maxDuration: '2h',
      approverAuthentication: {},
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('give maxAgeMinutes, acr or amr');
  });
});
