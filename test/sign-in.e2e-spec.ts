import { startBrokerProcess } from './support/apps';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import {
  DEMO_PEOPLE,
  signInThroughIdp,
  startTestIdp,
  TestBrowser,
  type TestIdp,
} from './support/oidc-provider';
import { type AppProcess, freePort } from './support/processes';

/**
 * Sign-in against the built broker process (openid-client is ES modules only: the built
 * CommonJS broker loads it at run time) and the demo's provider: a browser signs in, calls the
 * API with its cookie and the CSRF header, and signs out; nothing secret reaches the log.
 */
describe('sign-in end to end (built broker, real provider)', () => {
  let env: BrokerTestEnv;
  let idp: TestIdp;
  let broker: AppProcess;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    idp = await startTestIdp({ redirectUris: [`${url}/auth/callback`] });
    env = await createBrokerTestEnv({ LOG_LEVEL: 'info' });
    broker = await startBrokerProcess(env, port, { ...idp.brokerEnv, PUBLIC_URL: url });
  });

  afterAll(async () => {
    await broker?.stop();
    await idp?.stop();
    await env?.dispose();
  });

  it('alice signs in, acts with her session, signs out; no session id, code or secret in the log', async () => {
    const browser = new TestBrowser();
    const alice = DEMO_PEOPLE.find((p) => p.login === 'alice')!;
    const out = await signInThroughIdp(browser, url, alice, { returnTo: '/console/' });
    expect(out.res.status).toBe(302);
    expect(out.location).toBe('/console/');
    const me = (await (await browser.fetch(`${url}/api/v1/session`)).json()) as {
      person: { id: string; roles: string[] };
      csrfToken: string;
    };
    expect(me.person.roles).toEqual(['requester']);
    const minted = await browser.fetch(`${url}/api/v1/users/${me.person.id}/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken, origin: url },
      body: JSON.stringify({ name: 'e2e' }),
    });
    expect(minted.status).toBe(201);
    const logout = await browser.fetch(`${url}/auth/logout`, {
      method: 'POST',
      headers: { 'x-csrf-token': me.csrfToken },
    });
    expect(logout.status).toBe(204);
    expect((await browser.fetch(`${url}/api/v1/session`)).status).toBe(401);

    const log = broker.output;
    expect(log).toContain('/auth/callback');
    expect(log).not.toContain(out.session!);
    expect(log).not.toContain(me.csrfToken);
    expect(log).not.toContain(idp.clientSecret);
    expect(log).not.toMatch(/[?&]code=/);
  });
});
