import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createPerson } from './support/fixtures';

/** Defences at the HTTP edge: secure headers, rate limits per token, audited token use, no leaks. */
describe('HTTP defences (broker on real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let url: string;
  let admin: ApiClient;

  beforeAll(async () => {
    env = await createBrokerTestEnv({ RATE_LIMIT_PER_MINUTE: '40' });
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    admin = new ApiClient(url, env.adminToken);
  });

  afterAll(async () => {
    await app?.close();
    await env?.dispose();
  });

  it('sends secure headers and no x-powered-by', async () => {
    const res = await fetch(`${url}/api/v1/users/me`, {
      headers: { authorization: `Bearer ${env.adminToken}` },
    });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('limits requests per token with 429, without starving another token', async () => {
    const busy = await createPerson(admin, 'busy');
    const calm = await createPerson(admin, 'calm');
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) statuses.push((await busy.api.get('/api/v1/users/me')).status);
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses).toContain(429);
    const limited = await busy.api.get('/api/v1/users/me');
    expect(limited.body).toMatchObject({ error: 'TOO_MANY_REQUESTS' });
    expect((await calm.api.get('/api/v1/users/me')).status).toBe(200);
    expect((await admin.as(undefined).get('/health')).status).toBe(200);
  });

  it('counts failed authentications per address: a fresh garbage token each call does not escape the limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++)
      statuses.push((await admin.as(`garbage-${i}-${Date.now()}`).get('/api/v1/users/me')).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(-3)).toEqual([429, 429, 429]);
    const limited = await admin.as('garbage-once-more').get('/api/v1/users/me');
    expect(limited.body).toMatchObject({ error: 'TOO_MANY_REQUESTS' });
    // A valid token from the same address still works: a shared address is not locked out.
    expect((await admin.get('/api/v1/users/me')).status).toBe(200);
  });

  it("sends helmet's headers on the body parser's own answers (malformed JSON 400, too large 413)", async () => {
    const send = (body: string) =>
      fetch(`${url}/api/v1/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.adminToken}`, 'content-type': 'application/json' },
        body,
      });
    for (const [body, status] of [
      ['{"email": ', 400],
      [JSON.stringify({ email: 'a@b.io', name: 'x'.repeat(200_000) }), 413],
    ] as const) {
      const res = await send(body);
      expect(res.status).toBe(status);
      expect(res.headers.get('strict-transport-security')).toContain('max-age=');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('audits token use (once a minute per token), with the source address', async () => {
    const p = await createPerson(admin, 'tokenuser');
    await p.api.get('/api/v1/users/me');
    await p.api.get('/api/v1/users/me');
    const events = (await admin.get(`/api/v1/audit-events?actorId=${p.id}&action=token.used`)).body;
    expect(events).toHaveLength(1);
    expect(events[0].sourceAddress).toMatch(/127\.0\.0\.1/);
  });

  it('never echoes a stack trace or the submitted secret-looking fields back', async () => {
    const res = await admin.post('/api/v1/users', {
      email: 'x@y.io',
      name: 'x',
      password: 'hunter2-secret',
    });
    expect(res.status).toBe(400);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
    const big = await admin.request(
      'POST',
      '/api/v1/users',
      JSON.stringify({ email: 'a@b.io', name: 'x'.repeat(200_000) }),
    );
    expect(big.status).toBe(413);
  });
});
