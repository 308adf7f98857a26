import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { freePort } from './support/processes';
import {
  DEMO_PEOPLE,
  signInThroughIdp,
  startTestIdp,
  TestBrowser,
  type TestIdp,
} from './support/oidc-provider';

const alice = DEMO_PEOPLE.find((p) => p.login === 'alice')!;

/**
 * `doorman login` on the broker with a real provider: the start's parameters checked, the
 * normal sign-in on the way, a one-time code to 127.0.0.1 only, traded once and only with its
 * PKCE verifier for an expiring, audited token of the person who signed in.
 */
describe('CLI sign-in routes (real provider, PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let idp: TestIdp;
  let app: INestApplication;
  let db: Client;
  let url: string;
  let admin: ApiClient;
  const browser = new TestBrowser();

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

  function pkce() {
    const verifier = randomBytes(32).toString('base64url');
    return {
      verifier,
      challenge: createHash('sha256').update(verifier).digest('base64url'),
      state: randomBytes(16).toString('base64url'),
    };
  }

  const exchange = (body: Record<string, unknown>) =>
    fetch(`${url}/auth/cli/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  /** The confirmation page's hidden fields (the form posts them back as they are). */
  function formFields(page: string): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const m of page.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g))
      fields[m[1]] = m[2];
    return fields;
  }

  const confirm = (fields: Record<string, string>, extra: Record<string, string> = {}) =>
    browser.fetch(`${url}/auth/cli/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
      body: new URLSearchParams({ ...fields, ...extra }).toString(),
    });

  /** Start, sign in (once), and the confirmation page the signed-in browser is shown. */
  async function confirmationFor(p: { challenge: string; state: string }, port = 49200) {
    const q = { port: String(port), state: p.state, challenge: p.challenge };
    const start = `${url}/auth/cli/login?${new URLSearchParams(q).toString()}`;
    const first = await browser.fetch(start);
    expect(first.status).toBe(302);
    const returnTo = new URL(first.headers.get('location')!, url).searchParams.get('returnTo')!;
    let page = await browser.fetch(`${url}${returnTo}`);
    if (page.status === 302) {
      expect(new URL(page.headers.get('location')!, url).pathname).toBe('/auth/login');
      const signedIn = await signInThroughIdp(browser, url, alice, { returnTo });
      expect(signedIn.location).toBe(returnTo);
      page = await browser.fetch(`${url}${returnTo}`);
    }
    expect(page.status).toBe(200);
    return { page, html: await page.text() };
  }

  /** The browser's part: confirmation approved, and the code the broker sends to the loopback. */
  async function codeFor(p: { challenge: string; state: string }, port = 49200): Promise<URL> {
    const { html } = await confirmationFor(p, port);
    const done = await confirm(formFields(html), { decision: 'approve' });
    expect(done.status).toBe(303);
    return new URL(done.headers.get('location')!);
  }

  it('refuses a start without a loopback port, a state or an S256 challenge (400), before any sign-in', async () => {
    const p = pkce();
    for (const q of [
      { port: '80', state: p.state, challenge: p.challenge },
      { port: '49200', state: 'x', challenge: p.challenge },
      { port: '49200', state: p.state, challenge: 'plain' },
    ]) {
      const res = await fetch(`${url}/auth/cli/login?${new URLSearchParams(q).toString()}`, {
        redirect: 'manual',
      });
      expect(res.status).toBe(400);
    }
  });

  it('sends the signed-in browser to 127.0.0.1 with a code that buys one expiring token of alice, audited', async () => {
    const p = pkce();
    const loopback = await codeFor(p, 49201);
    expect(loopback.origin).toBe('http://127.0.0.1:49201');
    expect(loopback.pathname).toBe('/callback');
    expect(loopback.searchParams.get('state')).toBe(p.state);
    const code = loopback.searchParams.get('code')!;
    // Only the code's hash is kept.
    const kept = await db.query('SELECT code_hash FROM cli_login_codes');
    expect(kept.rows.map((r) => r.code_hash)).toContain(
      createHash('sha256').update(code).digest('hex'),
    );
    expect(JSON.stringify(kept.rows)).not.toContain(code);

    const res = await exchange({ code, verifier: p.verifier, client: 'dev-laptop' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const issued = (await res.json()) as {
      token: string;
      tokenId: string;
      expiresAt: string;
      person: { id: string; email: string };
    };
    expect(issued.person.email).toBe(alice.email);
    const days = (new Date(issued.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const me = await new ApiClient(url, issued.token).get('/api/v1/users/me');
    expect(me.body.email).toBe(alice.email);
    const tokens = await admin.get(`/api/v1/users/${issued.person.id}/tokens`);
    expect(tokens.body.find((t: { id: string }) => t.id === issued.tokenId).name).toBe(
      'doorman CLI (dev-laptop)',
    );
    const audit = await admin.get('/api/v1/audit-events?action=token.created');
    const created = (audit.body.items ?? audit.body).find(
      (e: { details: { tokenId?: string } }) => e.details.tokenId === issued.tokenId,
    );
    expect(created.details).toMatchObject({ via: 'doorman login', userId: issued.person.id });
    expect(JSON.stringify(audit.body)).not.toContain(issued.token);

    // Spent: the same code again is refused.
    expect((await exchange({ code, verifier: p.verifier })).status).toBe(401);

    // An expired token authenticates nobody.
    await db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      issued.tokenId,
    ]);
    expect((await new ApiClient(url, issued.token).get('/api/v1/users/me')).status).toBe(401);
  });

  it('a code is worthless without its verifier (and is spent by the attempt)', async () => {
    const p = pkce();
    const code = (await codeFor(p)).searchParams.get('code')!;
    expect((await exchange({ code, verifier: pkce().verifier })).status).toBe(401);
    expect((await exchange({ code, verifier: p.verifier })).status).toBe(401);
    expect((await exchange({ code: 'made-up', verifier: p.verifier })).status).toBe(401);
  });

  it('without a session, the completion page sends the browser through the sign-in first', async () => {
    const p = pkce();
    const q = new URLSearchParams({
      port: '49202',
      state: p.state,
      challenge: p.challenge,
    }).toString();
    const res = await fetch(`${url}/auth/cli/complete?${q}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!, url);
    expect(to.pathname).toBe('/auth/login');
    expect(to.searchParams.get('returnTo')).toBe(`/auth/cli/complete?${q}`);
  });

  it('asks the signed-in person to approve, naming them and the code the CLI shows; a visit issues nothing', async () => {
    const p = pkce();
    const { page, html } = await confirmationFor(p, 49203);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self' http://127.0.0.1:49203");
    // A browser then sends its Origin with the post (with no-referrer it would send "null").
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    expect(html).toContain(`<strong data-testid="person">${alice.email}</strong>`);
    expect(html).toContain(
      `<strong data-testid="code">${p.state.slice(0, 4)}-${p.state.slice(4, 8)}</strong>`,
    );
    expect(html).toContain('127.0.0.1:49203');
    expect(html).toMatch(/<form method="post" action="\/auth\/cli\/complete">/);
    expect(html).toContain('>Approve sign-in</button>');
    // Looking at the page issued no code.
    const codes = await db.query(
      'SELECT count(*)::int AS n FROM cli_login_codes WHERE challenge = $1',
      [p.challenge],
    );
    expect(codes.rows[0].n).toBe(0);
  });

  it('refuses an approval without the session’s CSRF token, or from another origin, and issues nothing', async () => {
    const p = pkce();
    const fields = formFields((await confirmationFor(p, 49204)).html);
    const { csrf: _csrf, ...withoutToken } = fields;
    for (const attempt of [
      await confirm(withoutToken, { decision: 'approve' }),
      await confirm({ ...fields, csrf: 'x'.repeat(43) }, { decision: 'approve' }),
      await browser.fetch(`${url}/auth/cli/complete`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'https://evil.example',
        },
        body: new URLSearchParams({ ...fields, decision: 'approve' }).toString(),
      }),
    ]) {
      expect(attempt.status).toBe(403);
      expect(await attempt.text()).toContain('CLI sign-in refused');
    }
    // Without the session cookie (another browser): through the sign-in, nothing issued.
    const stranger = await fetch(`${url}/auth/cli/complete`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
      body: new URLSearchParams({ ...fields, decision: 'approve' }).toString(),
    });
    expect(stranger.status).toBe(303);
    expect(new URL(stranger.headers.get('location')!, url).pathname).toBe('/auth/login');
    // A JSON body is not the form.
    const json = await browser.fetch(`${url}/auth/cli/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ ...fields, decision: 'approve' }),
    });
    expect(json.status).toBe(400);
    const codes = await db.query(
      'SELECT count(*)::int AS n FROM cli_login_codes WHERE challenge = $1',
      [p.challenge],
    );
    expect(codes.rows[0].n).toBe(0);
  });

  it('cancel tells the CLI at once (access_denied, its state) and issues no code', async () => {
    const p = pkce();
    const fields = formFields((await confirmationFor(p, 49205)).html);
    const res = await confirm(fields, { decision: 'cancel' });
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe('http://127.0.0.1:49205');
    expect(to.searchParams.get('error')).toBe('access_denied');
    expect(to.searchParams.get('state')).toBe(p.state);
    expect(to.searchParams.get('code')).toBeNull();
    const codes = await db.query(
      'SELECT count(*)::int AS n FROM cli_login_codes WHERE challenge = $1',
      [p.challenge],
    );
    expect(codes.rows[0].n).toBe(0);
  });
});
