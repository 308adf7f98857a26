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

  /** The browser's part: start, sign in (once), and the code the broker sends to the loopback. */
  async function codeFor(p: { challenge: string; state: string }, port = 49200): Promise<URL> {
    const q = { port: String(port), state: p.state, challenge: p.challenge };
    const start = `${url}/auth/cli/login?${new URLSearchParams(q).toString()}`;
    const first = await browser.fetch(start);
    expect(first.status).toBe(302);
    const returnTo = new URL(first.headers.get('location')!, url).searchParams.get('returnTo')!;
    let done = await browser.fetch(`${url}${returnTo}`);
    if (new URL(done.headers.get('location')!, url).pathname === '/auth/login') {
      const signedIn = await signInThroughIdp(browser, url, alice, { returnTo });
      expect(signedIn.location).toBe(returnTo);
      done = await browser.fetch(`${url}${returnTo}`);
    }
    expect(done.status).toBe(302);
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
});
