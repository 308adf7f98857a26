import { statSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './support/broker-env';
import { childrenOf, CliUser, stopAllCliRuns } from './support/cli';
import { createWorld, type World } from './support/fixtures';
import {
  DEMO_PEOPLE,
  signInThroughIdp,
  startTestIdp,
  TestBrowser,
  type TestIdp,
} from './support/oidc-provider';
import { freePort } from './support/processes';
import { startStack, type Stack } from './support/stack';

jest.setTimeout(180_000);

/**
 * The built `doorman` binary against the real stack (broker, connector, a TLS target cluster
 * verified with its CA, the demo's identity provider), through the real psql: request, approve
 * as someone else, connect; the password never on a command line nor in any output but creds.
 */
describe('doorman CLI end to end', () => {
  let stack: Stack;
  let idp: TestIdp;
  let w: World;
  let integration: string;
  let alice: CliUser;
  let bob: CliUser;
  const outputs: string[] = [];
  const passwords: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    idp = await startTestIdp({ redirectUris: [`${url}/auth/callback`] });
    stack = await startStack({
      broker: { PORT: String(port), PUBLIC_URL: url, ...idp.brokerEnv },
      prepareTarget: async (t) => {
        await t.createDatabase('app');
        await t.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
        await t.query("INSERT INTO public.orders VALUES (1, 'book')", [], 'app');
      },
    });
    w = await createWorld(stack.admin, {
      port: stack.target.port,
      sslMode: 'verify-full',
      permissions: ['read', 'write'],
    });
    // psql verifies the server with the CA the broker hands out (PGSSLROOTCERT).
    const ca = await w.security.api.request('PATCH', `/api/v1/integrations/${w.integrationId}`, {
      caCertificate: readFileSync(stack.target.caFile, 'utf8'),
    });
    expect(ca.status).toBe(200);
    integration = (await stack.admin.get(`/api/v1/integrations/${w.integrationId}`)).body.name;
    stack.startConnector(w.connectorId);
    await stack.connectorHealthy(w.connectorId);
    alice = new CliUser(stack.baseUrl, w.alice.token);
    bob = new CliUser(stack.baseUrl, w.bob.token);
  });

  afterAll(async () => {
    stopAllCliRuns();
    await stack?.stop();
    await idp?.stop();
  });

  const kept = <T extends { stdout: string; stderr: string }>(r: T): T => {
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  /** A terminal's output without its colours and cursor moves. */
  // eslint-disable-next-line no-control-regex
  const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

  /** waitFor, and on a timeout what the CLI had printed so far. */
  const until = <T>(
    what: string,
    run: { output: string },
    check: () => Promise<T | undefined | false>,
  ) =>
    waitFor(what, check).catch((e: Error) => {
      throw new Error(`${e.message}; the CLI printed:\n${run.output}`);
    });

  async function myPending(): Promise<string> {
    return waitFor('alice has a pending request', async () => {
      const mine = await w.alice.api.get('/api/v1/access-requests?mine=true&status=PENDING');
      return mine.body[0]?.id as string | undefined;
    });
  }

  let requestId: string;

  it('request --wait names the approvers and ends ACTIVE once bob approves from his inbox', async () => {
    const waiting = alice.start([
      'request',
      integration,
      'app.public',
      'read',
      '30m',
      '-r',
      'e2e: check an order',
      '--wait',
      '--timeout',
      '60s',
      '--json',
    ]);
    requestId = await myPending();
    await until('the approvers are named', waiting, async () =>
      waiting.stderr.includes(w.bob.email),
    );
    expect(waiting.stderr).toContain(w.carol.email);

    const inbox = kept(await bob.run(['inbox', '--json']));
    expect(inbox.code).toBe(0);
    expect(JSON.parse(inbox.stdout).map((r: { id: string }) => r.id)).toContain(requestId);
    // alice may not approve her own request: refused, exit 3.
    expect(kept(await alice.run(['approve', requestId])).code).toBe(3);
    const approved = kept(await bob.run(['approve', requestId, '-r', 'looks fine']));
    expect(approved.code).toBe(0);

    const done = kept(await waiting.done);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ id: requestId, status: 'ACTIVE' });

    const ls = kept(await alice.run(['ls', '--json']));
    expect(JSON.parse(ls.stdout).active.map((r: { id: string }) => r.id)).toEqual([requestId]);
    const human = kept(await alice.run(['ls']));
    expect(human.stdout).toMatch(new RegExp(`${requestId}\\s+ACTIVE.*left`));
  });

  it('connect --exec runs the SQL through psql over verified TLS and prints the rows', async () => {
    const r = kept(
      await alice.run([
        'connect',
        integration,
        'app',
        '--schema',
        'public',
        '--exec',
        'select item from orders',
      ]),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('book');
    expect(r.stdout).toContain('(1 row)');
  });

  it('a write under read is refused by PostgreSQL, and connect exits non-zero', async () => {
    const r = kept(
      await alice.run([
        'connect',
        integration,
        'app',
        '--exec',
        "insert into public.orders values (2, 'pen')",
      ]),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('permission denied');
    const rows = await stack.target.query(
      'SELECT count(*)::int AS n FROM public.orders',
      [],
      'app',
    );
    expect(rows.rows[0].n).toBe(1);
  });

  it('the password reaches psql in its environment only: not in its argument list, not printed', async () => {
    const slow = alice.start(['connect', integration, 'app', '--exec', 'select pg_sleep(2)']);
    const psql = await until('psql is running', slow, async () =>
      childrenOf(slow.child.pid!).find((p) => p.comm === 'psql'),
    );
    const revealed = await w.alice.api.post(`/api/v1/access-requests/${requestId}/credentials`);
    const password = revealed.body.password as string;
    passwords.push(password);
    expect(psql.environ).toContain(`PGPASSWORD=${password}`);
    expect(psql.environ).toContain('PGSSLMODE=verify-full');
    expect(psql.environ).toMatch(/PGSSLROOTCERT=\S+ca\.pem/);
    expect(psql.cmdline).not.toContain(password);
    expect(readFileSync(`/proc/${slow.child.pid}/cmdline`, 'utf8')).not.toContain(password);
    expect(kept(await slow.done).code).toBe(0);
    for (const text of outputs) expect(text).not.toContain(password);
  });

  it('creds prints the credentials only when asked, in the format asked', async () => {
    const env = kept(await alice.run(['creds', requestId, '--format', 'env']));
    expect(env.code).toBe(0);
    expect(env.stdout).toContain(`export PGPASSWORD='${passwords[0]}'`);
    expect(env.stdout).toContain(`export PGPORT='${stack.target.port}'`);
    const url = kept(await alice.run(['creds', requestId, '--format', 'url']));
    expect(url.stdout.trim()).toMatch(/^postgres(ql)?:\/\//);
    expect(kept(await alice.run(['creds', requestId])).code).toBe(2);
    const audit = await stack.admin.get(`/api/v1/audit-events?requestId=${requestId}`);
    const reveals = (audit.body.items ?? audit.body).filter((e: { action: string }) =>
      e.action.includes('reveal'),
    );
    expect(reveals.length).toBeGreaterThanOrEqual(5);
  });

  it('status shows the request; revoke ends it', async () => {
    const status = kept(await alice.run(['status', requestId]));
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('ACTIVE');
    const revoked = kept(await alice.run(['revoke', requestId, '-r', 'done', '--json']));
    expect(revoked.code).toBe(0);
    await waitFor('revoked', async () => {
      const r = await w.alice.api.get(`/api/v1/access-requests/${requestId}`);
      return r.body.status === 'REVOKED';
    });
  });

  it('connect without access says which request to make (exit 3), without a terminal', async () => {
    const r = kept(await alice.run(['connect', integration, 'app', '--schema', 'public']));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`doorman request ${integration} app.public read`);
  });

  it('at a terminal, connect without access offers the request, spins while it waits, then connects', async () => {
    const term = alice.startInTerminal([
      'connect',
      integration,
      'app',
      '--schema',
      'public',
      '-r',
      'e2e at a terminal',
      '--exec',
      'select item from orders',
    ]);
    await until('the prompt', term, async () => term.stdout.includes('You have no access to app'));
    term.type('\r');
    const id = await myPending();
    // The spinner's frames (◒◐◓◑, or its ASCII fallback) beside the status it waits on.
    await until('the spinner', term, async () =>
      /[◒◐◓◑•oO0]\s+pending: read on/.test(plain(term.stdout)),
    );
    expect(term.stdout).toContain(w.bob.email);
    expect((await w.bob.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
    const done = await term.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('book');
    outputs.push(done.stdout);
    const revealed = await w.alice.api.post(`/api/v1/access-requests/${id}/credentials`);
    expect(done.stdout).not.toContain(revealed.body.password);
  });

  it('exit codes: usage 2, not found 6, not signed in 5, refused 3; --json says so too', async () => {
    expect((await alice.run(['request', integration])).code).toBe(2);
    const unknown = await alice.run(['request', 'no-such', 'app.public', 'read', '--json']);
    expect(unknown.code).toBe(6);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ exitCode: 6 });
    expect(unknown.stderr).toContain('doorman ls');
    expect((await new CliUser(stack.baseUrl, 'dm_wrong').run(['ls'])).code).toBe(5);
    expect((await new CliUser(stack.baseUrl).run(['ls'])).code).toBe(5);
    // mallory is no requestor of the flow.
    const mallory = new CliUser(stack.baseUrl, w.mallory.token);
    expect(
      (await mallory.run(['request', integration, 'app.public', 'read', '-r', 'x'])).code,
    ).toBe(3);
  });

  it('revoke-all needs -y without a terminal, and security can press it', async () => {
    const security = new CliUser(stack.baseUrl, w.security.token);
    expect((await security.run(['revoke-all', integration, '-r', 'drill'])).code).toBe(2);
    const r = await security.run(['revoke-all', integration, '-r', 'drill', '-y', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('revoked');
    expect((await alice.run(['revoke-all', integration, '-r', 'x', '-y'])).code).toBe(3);
  });

  it('apply: a broken policy file is refused naming the file; a missing file is not found (6)', async () => {
    const admin = new CliUser(stack.baseUrl, stack.env.adminToken);
    const bad = join(admin.home, 'bad.yaml');
    writeFileSync(bad, 'accessFlows:\n  - name: x\n    integration: nowhere\n');
    const refused = await admin.run(['apply', bad, '--dry-run']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('bad.yaml');
    expect((await admin.run(['apply', join(admin.home, 'missing.yaml')])).code).toBe(6);
  });

  it('completion scripts for bash and zsh name every command', async () => {
    const bash = await alice.run(['completion', 'bash']);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain('complete -F _doorman doorman');
    for (const c of [
      'login',
      'ls',
      'request',
      'connect',
      'creds',
      'inbox',
      'approve',
      'revoke-all',
    ])
      expect(bash.stdout).toContain(c);
    expect((await alice.run(['completion', 'zsh'])).stdout).toContain('bashcompinit');
  });

  it('login through the browser (loopback + PKCE) keeps a 0600 session; logout revokes its token', async () => {
    const person = new CliUser(stack.baseUrl);
    const login = person.start(['login', '--no-browser']);
    const start = await waitFor(
      'the address to open',
      async () => /(http:\/\/\S+\/auth\/cli\/login\?\S+)/.exec(login.stderr)?.[1],
    );
    const browser = new TestBrowser();
    const toSignIn = await browser.fetch(start);
    expect(toSignIn.status).toBe(302);
    const returnTo = new URL(toSignIn.headers.get('location')!, start).searchParams.get(
      'returnTo',
    )!;
    expect(returnTo).toMatch(/^\/auth\/cli\/complete\?/);
    const alicePerson = DEMO_PEOPLE.find((p) => p.login === 'alice')!;
    const signedIn = await signInThroughIdp(browser, stack.baseUrl, alicePerson, { returnTo });
    expect(signedIn.location).toBe(returnTo);
    // The broker asks first, showing the code the CLI printed; the approval posts the form back.
    const confirmation = await browser.fetch(`${stack.baseUrl}${returnTo}`);
    expect(confirmation.status).toBe(200);
    const page = await confirmation.text();
    const code = /approve in the browser only if it shows the code (\S+)/.exec(login.stderr)?.[1];
    expect(page).toContain(`<strong data-testid="code">${code}</strong>`);
    const fields = Object.fromEntries(
      [...page.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    const toCli = await browser.fetch(`${stack.baseUrl}/auth/cli/complete`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: new URL(stack.baseUrl).origin,
      },
      body: new URLSearchParams({ ...fields, decision: 'approve' }).toString(),
    });
    expect(toCli.status).toBe(303);
    const loopback = new URL(toCli.headers.get('location')!);
    expect(loopback.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await browser.fetch(loopback.href)).status).toBe(200);
    const done = await login.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(alicePerson.email);

    const file = join(person.home, '.config', 'doorman', 'session.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(done.stdout + done.stderr).not.toContain(saved.token);
    // The code was spent: a second exchange is refused.
    const again = await fetch(`${stack.baseUrl}/auth/cli/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: loopback.searchParams.get('code'), verifier: 'x'.repeat(43) }),
    });
    expect(again.status).toBe(401);

    const who = await person.run(['whoami', '--json']);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ email: alicePerson.email, via: 'login' });
    const tokens = await stack.admin.get(`/api/v1/users/${saved.userId}/tokens`);
    expect(tokens.body.find((t: { id: string }) => t.id === saved.tokenId).name).toMatch(
      /^doorman CLI/,
    );

    expect((await person.run(['logout'])).code).toBe(0);
    const after = await stack.admin.get(`/api/v1/users/${saved.userId}/tokens`);
    expect(after.body.find((t: { id: string }) => t.id === saved.tokenId).revokedAt).not.toBeNull();
    const res = await fetch(`${stack.baseUrl}/api/v1/users/me`, {
      headers: { authorization: `Bearer ${saved.token}` },
    });
    expect(res.status).toBe(401);
    expect((await person.run(['whoami'])).code).toBe(5);
  });
});
