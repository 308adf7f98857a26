import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv, waitFor } from './support/broker-env';
import { freePort } from './support/processes';
import {
  DEMO_PEOPLE,
  signInThroughIdp,
  startTestIdp,
  TestBrowser,
  type TestIdp,
} from './support/oidc-provider';

const person = (login: string) => DEMO_PEOPLE.find((p) => p.login === login)!;
/** The session row of the cookie given as $1 (the table holds only the id's SHA-256). */
const BY_COOKIE = `token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`;

/**
 * Sign-in with a real OpenID Connect provider (oidc-provider on 127.0.0.1): code flow with
 * PKCE driven like a browser, people matched by verified email, browser sessions with their
 * CSRF and Origin checks, idle and absolute ends, sign-out; bearer tokens unchanged.
 */
describe('sign-in with the identity provider (real provider, PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let idp: TestIdp;
  let app: INestApplication;
  let db: Client;
  let url: string;
  let admin: ApiClient;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    idp = await startTestIdp({ redirectUris: [`${url}/auth/callback`] });
    env = await createBrokerTestEnv({ ...idp.brokerEnv, PUBLIC_URL: url });
    app = await createBrokerApp(env.config);
    await app.listen(port, '127.0.0.1');
    admin = new ApiClient(url, env.adminToken);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await idp?.stop();
    await env?.dispose();
  });

  const session = (browser: TestBrowser, init: RequestInit = {}) =>
    browser.fetch(`${url}/api/v1/session`, init);
  const sessionBody = async (browser: TestBrowser) => {
    const res = await session(browser);
    expect(res.status).toBe(200);
    return (await res.json()) as {
      person: { id: string; email: string; name: string; roles: string[] };
      authentication: { authTime: string; acr: string | null; amr: string[] };
      expiresAt: string;
      csrfToken: string;
    };
  };
  const auditOf = async (action: string) =>
    (await admin.get(`/api/v1/audit-events?action=${action}`)).body as Array<{
      actorId: string | null;
      channel: string;
      details: Record<string, unknown>;
    }>;

  it('first sign-in: code + PKCE at the provider, the person created with mapped roles, a session cookie', async () => {
    const browser = new TestBrowser();
    const before = Date.now();
    const out = await signInThroughIdp(browser, url, person('alice'), {
      returnTo: '/console/requests?mine=1',
    });
    expect(out.res.status).toBe(302);
    expect(out.location).toBe('/console/requests?mine=1');
    const setCookie = out.res.headers.getSetCookie().find((c) => c.startsWith('doorman_session='));
    expect(setCookie).toMatch(/; Path=\/; HttpOnly; SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/); // plain http on loopback
    expect(out.session).toMatch(/^[A-Za-z0-9_-]{40,}$/);

    const me = await sessionBody(browser);
    expect(me.person).toMatchObject({
      email: 'alice@demo.doorman',
      name: 'Alice Engineer',
      roles: ['requester'],
    });
    expect(new Date(me.authentication.authTime).getTime()).toBeGreaterThan(before - 2000);
    expect(me.authentication.amr).toEqual(['pwd']);
    expect(me.authentication.acr).toBe('urn:doorman:demo:password');
    expect(me.csrfToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const idleEnd = Date.now() + 30 * 60_000;
    expect(Math.abs(new Date(me.expiresAt).getTime() - idleEnd)).toBeLessThan(10_000);

    const users = (await admin.get('/api/v1/users')).body as Array<{
      email: string;
      roles: string[];
    }>;
    expect(users.find((u) => u.email === 'alice@demo.doorman')?.roles).toEqual(['requester']);
    // Only a hash of the session id is kept, and no attempt outlives its callback.
    const rows = await db.query(`SELECT token_hash FROM browser_sessions WHERE user_id = $1`, [
      me.person.id,
    ]);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0].token_hash).not.toContain(out.session);
    expect((await db.query(`SELECT 1 FROM sign_in_attempts`)).rowCount).toBe(0);

    const [signedIn] = (await auditOf('session.signed_in')).filter(
      (e) => e.actorId === me.person.id,
    );
    expect(signedIn.channel).toBe('console');
    expect(signedIn.details).toMatchObject({ amr: ['pwd'], acr: 'urn:doorman:demo:password' });
    expect(signedIn.details.authTime).toEqual(me.authentication.authTime);
    expect(JSON.stringify(signedIn.details)).not.toContain(out.session);
  });

  it('a call with the session acts as the person on the console channel; GET needs no CSRF header', async () => {
    const browser = new TestBrowser();
    await signInThroughIdp(browser, url, person('alice'));
    const res = await browser.fetch(`${url}/api/v1/users/me`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { email: string }).email).toBe('alice@demo.doorman');
  });

  it('roles come from the claim at every sign-in, through the role rule (audited)', async () => {
    const created = await admin.post('/api/v1/users', {
      email: 'bob@demo.doorman',
      name: 'Robert (from REST)',
      roles: ['requester', 'auditor'],
    });
    expect(created.status).toBe(201);
    const browser = new TestBrowser();
    expect((await signInThroughIdp(browser, url, person('bob'))).res.status).toBe(302);
    const me = await sessionBody(browser);
    expect(me.person).toMatchObject({
      id: created.body.id,
      name: 'Robert (from REST)',
      roles: ['approver', 'requester'],
    });
    const changed = (await auditOf('user.roles_changed')).find(
      (e) => e.details.userId === created.body.id,
    );
    expect(changed?.details).toMatchObject({
      rolesBefore: ['auditor', 'requester'],
      roles: ['approver', 'requester'],
    });
  });

  it('an email the provider has not verified signs nobody in, and creates nobody', async () => {
    const browser = new TestBrowser();
    const out = await signInThroughIdp(browser, url, person('mallory'));
    expect(out.res.status).toBe(403);
    expect(((await out.res.json()) as { message: string }).message).toContain('not verified');
    expect(out.session).toBeUndefined();
    const users = (await admin.get('/api/v1/users')).body as Array<{ email: string }>;
    expect(users.map((u) => u.email)).not.toContain('mallory@demo.doorman');
    expect((await auditOf('session.sign_in_refused')).map((e) => e.details.email)).toContain(
      'mallory@demo.doorman',
    );
  });

  it('a deactivated person is refused at sign-in, and their open session stops working', async () => {
    const browser = new TestBrowser();
    await signInThroughIdp(browser, url, person('sam'));
    const me = await sessionBody(browser);
    expect(me.person.roles).toEqual(['auditor', 'security']);
    expect((await admin.post(`/api/v1/users/${me.person.id}/deactivate`)).status).toBe(200);
    expect((await session(browser)).status).toBe(401);
    const again = await signInThroughIdp(new TestBrowser(), url, person('sam'));
    expect(again.res.status).toBe(403);
    expect(((await again.res.json()) as { message: string }).message).toContain('deactivated');
    expect((await admin.post(`/api/v1/users/${me.person.id}/reactivate`)).status).toBe(200);
    // Reactivated, the person signs in afresh: the session from before stays ended.
    expect((await session(browser)).status).toBe(401);
    const left = await db.query(`SELECT 1 FROM browser_sessions WHERE user_id = $1`, [
      me.person.id,
    ]);
    expect(left.rowCount).toBe(0);
  });

  it('a deactivation ends the person’s sessions even when they make no call meanwhile', async () => {
    const browser = new TestBrowser();
    await signInThroughIdp(browser, url, person('bob'));
    const me = await sessionBody(browser);
    expect((await admin.post(`/api/v1/users/${me.person.id}/deactivate`)).status).toBe(200);
    await waitFor('the deactivation to end the sessions', async () => {
      const left = await db.query(`SELECT 1 FROM browser_sessions WHERE user_id = $1`, [
        me.person.id,
      ]);
      return left.rowCount === 0;
    });
    expect((await admin.post(`/api/v1/users/${me.person.id}/reactivate`)).status).toBe(200);
    expect((await session(browser)).status).toBe(401);
  });

  it('a state-changing call needs the CSRF header and the broker’s own Origin: else 403 and nothing changes', async () => {
    const browser = new TestBrowser();
    await signInThroughIdp(browser, url, person('alice'));
    const me = await sessionBody(browser);
    const mint = (headers: Record<string, string>) =>
      browser.fetch(`${url}/api/v1/users/${me.person.id}/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name: 'from the console' }),
      });
    const refusals: Array<Record<string, string>> = [
      {},
      { 'x-csrf-token': 'not-the-token' },
      { 'x-csrf-token': me.csrfToken.slice(0, -1) },
      { 'x-csrf-token': me.csrfToken, origin: 'https://evil.example' },
      { 'x-csrf-token': me.csrfToken, origin: 'null' },
    ];
    for (const headers of refusals) {
      const res = await mint(headers);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toMatch(/csrf|origin/i);
    }
    const tokens = await admin.get(`/api/v1/users/${me.person.id}/tokens`);
    expect(tokens.body).toEqual([]);
    const ok = await mint({ 'x-csrf-token': me.csrfToken, origin: url });
    expect(ok.status).toBe(201);
    expect((await admin.get(`/api/v1/users/${me.person.id}/tokens`)).body).toHaveLength(1);
  });

  it('a session past its idle timeout, or past its absolute end, is refused (and removed)', async () => {
    for (const column of ['last_seen_at', 'expires_at']) {
      const browser = new TestBrowser();
      await signInThroughIdp(browser, url, person('alice'));
      await sessionBody(browser);
      const shift = column === 'last_seen_at' ? `interval '31 minutes'` : `interval '1 second'`;
      const moved = await db.query(
        `UPDATE browser_sessions SET "${column}" = now() - ${shift} WHERE ${BY_COOKIE} RETURNING id`,
        [browser.cookie(url, 'doorman_session')],
      );
      expect(moved.rowCount).toBe(1);
      const res = await session(browser);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { message: string }).message).toContain('session has ended');
      const left = await db.query(`SELECT 1 FROM browser_sessions WHERE id = $1`, [
        moved.rows[0].id,
      ]);
      expect(left.rowCount).toBe(0);
    }
  });

  it('an active session slides its idle end forward (the absolute end stays)', async () => {
    const browser = new TestBrowser();
    await signInThroughIdp(browser, url, person('alice'));
    const cookie = browser.cookie(url, 'doorman_session');
    const { rows } = await db.query(
      `UPDATE browser_sessions SET last_seen_at = now() - interval '20 minutes'
        WHERE ${BY_COOKIE} RETURNING expires_at`,
      [cookie],
    );
    expect(rows).toHaveLength(1);
    expect((await session(browser)).status).toBe(200);
    const after = await db.query(
      `SELECT last_seen_at, expires_at FROM browser_sessions WHERE ${BY_COOKIE}`,
      [cookie],
    );
    expect(Date.now() - after.rows[0].last_seen_at.getTime()).toBeLessThan(10_000);
    expect(after.rows[0].expires_at.getTime()).toBe(rows[0].expires_at.getTime());
  });

  it('sign-out needs the CSRF header, then ends the session and clears the cookie', async () => {
    const browser = new TestBrowser();
    await signInThroughIdp(browser, url, person('alice'));
    const me = await sessionBody(browser);
    const cookie = browser.cookie(url, 'doorman_session')!;
    expect((await browser.fetch(`${url}/auth/logout`, { method: 'POST' })).status).toBe(403);
    expect((await session(browser)).status).toBe(200);
    const out = await browser.fetch(`${url}/auth/logout`, {
      method: 'POST',
      headers: { 'x-csrf-token': me.csrfToken },
    });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()).toContainEqual(
      expect.stringMatching(/^doorman_session=;.*Max-Age=0/),
    );
    expect(browser.cookie(url, 'doorman_session')).toBeUndefined();
    // The old cookie, kept by someone, opens nothing.
    const replay = await fetch(`${url}/api/v1/session`, {
      headers: { cookie: `doorman_session=${cookie}` },
    });
    expect(replay.status).toBe(401);
    expect((await auditOf('session.signed_out')).map((e) => e.actorId)).toContain(me.person.id);
  });

  it('a callback with a forged state, a nonce of another sign-in, in another browser, or replayed is refused', async () => {
    // Forged state: the provider's answer comes back with a state this sign-in never sent.
    const b1 = new TestBrowser();
    const started = await b1.fetch(`${url}/auth/login`);
    const authUrl = new URL(started.headers.get('location')!);
    const s1 = authUrl.searchParams.get('state')!;
    authUrl.searchParams.set('state', `${s1}x`);
    const forged = await completeAtIdp(b1, authUrl.href, person('alice'));
    const res1 = await b1.fetch(forged);
    expect(res1.status).toBe(401);
    expect(((await res1.json()) as { message: string }).message).toContain('state');
    expect(b1.cookie(url, 'doorman_session')).toBeUndefined();

    // Another sign-in's nonce: b2's state and PKCE challenge, but the nonce of b3's attempt.
    const b2 = new TestBrowser();
    const b2Url = new URL((await b2.fetch(`${url}/auth/login`)).headers.get('location')!);
    const b3 = new TestBrowser();
    const b3Url = new URL((await b3.fetch(`${url}/auth/login`)).headers.get('location')!);
    b3Url.searchParams.set('state', b2Url.searchParams.get('state')!);
    b3Url.searchParams.set('code_challenge', b2Url.searchParams.get('code_challenge')!);
    const mixed = await completeAtIdp(b3, b3Url.href, person('alice'));
    const res2 = await b2.fetch(mixed);
    expect(res2.status).toBe(401);
    expect(((await res2.json()) as { message: string }).message).toContain('nonce');

    // An answer claiming to come from another issuer (the iss parameter, RFC 9207).
    const b5 = new TestBrowser();
    const fromElsewhere = new URL(
      await completeAtIdp(
        b5,
        (await b5.fetch(`${url}/auth/login`)).headers.get('location')!,
        person('alice'),
      ),
    );
    expect(fromElsewhere.searchParams.get('iss')).toBe(idp.issuer);
    fromElsewhere.searchParams.set('iss', 'https://evil.example');
    const res3 = await b5.fetch(fromElsewhere.href);
    expect(res3.status).toBe(401);
    expect(((await res3.json()) as { message: string }).message).toContain('iss');

    // A genuine answer, opened in a browser that did not start the sign-in, then replayed.
    const b4 = new TestBrowser();
    const genuine = await completeAtIdp(
      b4,
      (await b4.fetch(`${url}/auth/login`)).headers.get('location')!,
      person('alice'),
    );
    const elsewhere = await new TestBrowser().fetch(genuine);
    expect(elsewhere.status).toBe(401);
    expect(((await elsewhere.json()) as { message: string }).message).toContain(
      'not started in this browser',
    );
    expect((await b4.fetch(genuine)).status).toBe(302);
    expect((await b4.fetch(genuine)).status).toBe(401);
  });

  it('returnTo is only ever a path on the broker', async () => {
    for (const [returnTo, expected] of [
      ['https://evil.example/console/', '/console/'],
      ['//evil.example/x', '/console/'],
      ['/\\evil.example', '/console/'],
      ['javascript:alert(1)', '/console/'],
      ['/console/requests/42#top', '/console/requests/42#top'],
    ]) {
      const out = await signInThroughIdp(new TestBrowser(), url, person('alice'), { returnTo });
      expect(out.location).toBe(expected);
    }
  });

  it('stepUp=1 sends the person through the provider’s sign-in again: a newer auth_time', async () => {
    const browser = new TestBrowser();
    await signInThroughIdp(browser, url, person('alice'));
    const first = await sessionBody(browser);
    const firstCookie = browser.cookie(url, 'doorman_session')!;
    // Signed in at the provider already: without a step-up no form is shown.
    const silent = await browser.follow(`${url}/auth/login`, (next) => next.origin !== url);
    expect(new URL(silent.res.headers.get('location')!).pathname).toBe('/auth/callback');
    await new Promise((r) => setTimeout(r, 1100)); // auth_time has whole seconds
    const started = await browser.fetch(`${url}/auth/login?stepUp=1`);
    const authUrl = new URL(started.headers.get('location')!);
    expect(authUrl.searchParams.get('prompt')).toBe('login');
    expect(authUrl.searchParams.get('max_age')).toBe('0');
    const out = await signInThroughIdp(browser, url, person('alice'), { stepUp: '1' });
    expect(out.res.status).toBe(302);
    const second = await sessionBody(browser);
    expect(new Date(second.authentication.authTime).getTime()).toBeGreaterThan(
      new Date(first.authentication.authTime).getTime(),
    );
    // The browser's earlier session ended with the new sign-in (a fresh id, one session).
    const before = await fetch(`${url}/api/v1/session`, {
      headers: { cookie: `doorman_session=${firstCookie}` },
    });
    expect(before.status).toBe(401);
    expect(browser.cookie(url, 'doorman_session')).not.toBe(firstCookie);
  });

  it('bearer tokens work as before, without CSRF headers, and are not sessions', async () => {
    expect((await admin.get('/api/v1/users')).status).toBe(200);
    expect(
      (await admin.post('/api/v1/groups', { name: 'bearer-still-works', memberIds: [] })).status,
    ).toBe(201);
    expect((await admin.get('/api/v1/session')).status).toBe(401);
    expect((await new ApiClient(url).get('/api/v1/users')).status).toBe(401);
    expect((await new ApiClient(url, 'dm_not-a-token').get('/api/v1/users')).status).toBe(401);
  });
});

/** The provider's side of a sign-in started elsewhere: its form, then the callback URL it sends back. */
async function completeAtIdp(
  browser: TestBrowser,
  authorizationUrl: string,
  who: { login: string; password: string },
): Promise<string> {
  const idpOrigin = new URL(authorizationUrl).origin;
  const onIdp = (next: URL) => next.origin === idpOrigin;
  const { res, url } = await browser.follow(authorizationUrl, onIdp);
  if (res.status !== 200) return new URL(res.headers.get('location')!, url).href;
  const action = /<form method="post" action="([^"]+)"/.exec(await res.text())![1];
  const posted = await browser.follow(new URL(action, url).href, onIdp, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login: who.login, password: who.password }).toString(),
  });
  return new URL(posted.res.headers.get('location')!, posted.url).href;
}

describe('sign-in off (no OIDC_ISSUER_URL)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await env?.dispose();
  });

  it('/auth/login and /auth/callback answer 404 with the reason', async () => {
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    for (const path of ['/auth/login', '/auth/callback?code=x&state=y']) {
      const res = await fetch(`${url}${path}`, { redirect: 'manual' });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toContain('OIDC_ISSUER_URL');
    }
  });
});
