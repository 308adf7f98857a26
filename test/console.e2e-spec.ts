import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { canRead, untilStatus } from './support/access-checks';
import { waitFor } from './support/broker-env';
import { scriptCookies, TestBrowser, webStorage, type WatchedPage } from './support/browser';
import { DEMO_PEOPLE, startTestIdp, type TestIdp } from './support/oidc-provider';
import { freePort } from './support/processes';
import { startStack, type Stack } from './support/stack';

jest.setTimeout(240_000);

const run = promisify(execFile);
const person = (login: string) => DEMO_PEOPLE.find((p) => p.login === login)!;
const MASK = '••••••••••••';

/**
 * The console in a real Chromium against the real stack: the broker (serving the console and
 * signing people in through a real OpenID provider), a connector and a target cluster. Two
 * people in two browser contexts, each with only the session cookie the broker set.
 */
describe('web console end to end', () => {
  let idp: TestIdp;
  let stack: Stack;
  let browser: TestBrowser;
  let base: string;
  let integrationId: string;
  const pages: WatchedPage[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    idp = await startTestIdp({ redirectUris: [`${base}/auth/callback`] });
    stack = await startStack({
      broker: { PORT: String(port), PUBLIC_URL: base, ...idp.brokerEnv },
      prepareTarget: async (t) => {
        await t.createDatabase('app');
        await t.query('CREATE TABLE public.t (id int PRIMARY KEY)', [], 'app');
        await t.query('INSERT INTO public.t VALUES (1)', [], 'app');
      },
    });
    // The people the provider signs in, known to Doorman by their verified email.
    const user = async (login: string, roles: string[]) => {
      const p = person(login);
      const res = await stack.admin.post('/api/v1/users', { email: p.email, name: p.name, roles });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const alice = await user('alice', ['requester']);
    const bob = await user('bob', ['approver', 'requester']);
    const connector = await stack.admin.post('/api/v1/connectors', { name: 'console-site' });
    const integration = await stack.admin.post('/api/v1/integrations', {
      name: 'orders-db',
      connectorId: connector.body.id,
      host: '127.0.0.1',
      port: stack.target.port,
      databases: ['app'],
      sslMode: 'verify-full',
      customAccessDetails: 'Use the VPN first.',
    });
    expect(integration.status).toBe(201);
    integrationId = integration.body.id;
    const flow = await stack.admin.post('/api/v1/access-flows', {
      name: 'orders-read',
      integrationId,
      requestors: { userIds: [alice, bob], groupIds: [] },
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['read', 'write'],
      approvers: { userIds: [bob] },
      defaultDuration: '1h',
      maxDuration: '2h',
      // Approvals need a sign-in of the last 5 minutes: met by the console's fresh sessions.
      approverAuthentication: { maxAgeMinutes: 5 },
    });
    expect(flow.status).toBe(201);
    // Admin on the schema needs a one-time code at sign-in, which the demo provider never gives.
    const strong = await stack.admin.post('/api/v1/access-flows', {
      name: 'orders-admin',
      integrationId,
      requestors: { userIds: [alice], groupIds: [] },
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['admin'],
      approvers: { userIds: [bob] },
      defaultDuration: '1h',
      maxDuration: '2h',
      approverAuthentication: { amr: ['otp'] },
    });
    expect(strong.status).toBe(201);
    stack.startConnector(connector.body.id);
    await stack.connectorHealthy(connector.body.id);
    browser = await TestBrowser.launch();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await idp?.stop();
  });

  /** A fresh browser profile signs in through the provider's own form. */
  async function signIn(login: string): Promise<Page> {
    const { open } = await browser.person();
    const watched = await open(`${base}/console/`);
    pages.push(watched);
    const { page } = watched;
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Login').fill(login);
    await page.getByLabel('Password').fill(person(login).password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByTestId('signed-in-as')
      .waitFor()
      .catch(async (e: Error) => {
        // Say where sign-in stopped: the provider's form, the broker's refusal, the console.
        throw new Error(
          `${e.message}\nat ${page.url()}:\n${(await page.textContent('body'))?.slice(0, 500)}`,
        );
      });
    expect(await page.getByTestId('signed-in-as').textContent()).toBe(person(login).email);
    expect(new URL(page.url()).pathname).toBe('/console/');
    return page;
  }

  const nav = (page: Page, name: string) =>
    page.getByRole('navigation').getByRole('link', { name, exact: true }).click();

  /**
   * A mark in the page's memory: a reload or a navigation away loses it, so a page still marked
   * later changed by itself.
   */
  const markPage = (page: Page) =>
    page.evaluate(() => {
      (globalThis as any).__doormanTestMark = true;
    });
  const pageMarked = (page: Page) =>
    page.evaluate(() => (globalThis as any).__doormanTestMark === true);

  /** Every form control on the page has an accessible name (a label, aria-label or labelledby). */
  const unlabelled = (page: Page) =>
    page.evaluate(() =>
      Array.from(
        (globalThis as any).document.querySelectorAll(
          'input:not([type=hidden]), select, textarea',
        ) as ArrayLike<any>,
      )
        .filter(
          (el) =>
            !el.labels?.length &&
            !el.getAttribute('aria-label') &&
            !el.getAttribute('aria-labelledby'),
        )
        .map((el) => `${el.tagName.toLowerCase()}#${el.id || '?'}[${el.name || ''}]`),
    );

  /** Asks for access through the form; resolves with the new request's id. */
  async function requestThroughForm(page: Page, permission: string, duration: string) {
    await nav(page, 'Request access');
    await page.getByLabel('Integration').selectOption(integrationId);
    await page.getByLabel('Schema').selectOption('app.public');
    await page.getByLabel('Permission').selectOption(permission);
    await page.getByText('Judged by').waitFor();
    expect(await page.getByText('at most 2h').count()).toBe(1);
    // Bad input gets the API's field-level message under its field.
    await page.getByLabel('Why').fill('x'.repeat(2001));
    await page.getByRole('button', { name: 'Request access' }).click();
    await page.locator('.field', { hasText: 'Why' }).getByRole('alert').waitFor();
    await page.getByLabel('Why').fill('console end-to-end test');
    // Over the flow's maximum: the form shows the API's refusal and stays.
    await page.getByLabel('Duration').fill('3h');
    await page.getByRole('button', { name: 'Request access' }).click();
    const refusal = page
      .getByRole('alert')
      .filter({ hasText: 'exceeds the maximum of 2h' })
      .first();
    await refusal.waitFor();
    await page.getByLabel('Duration').fill(duration);
    // Earlier tests leave requests of this person pending: the new one is the id not seen before.
    const before = new Set(
      (await stack.admin.get('/api/v1/access-requests?status=PENDING')).body.map(
        (r: { id: string }) => r.id,
      ),
    );
    await page.getByRole('button', { name: 'Request access' }).click();
    const id = await waitFor('the new request', async () => {
      const pending = (await stack.admin.get('/api/v1/access-requests?status=PENDING')).body;
      return pending.find((r: { id: string }) => !before.has(r.id))?.id as string | undefined;
    });
    await page.locator(`li.card[data-request-id="${id}"]`, { hasText: 'PENDING' }).waitFor();
    return id;
  }

  it('serves the console with its strict headers, and deep links reload into the app', async () => {
    const res = await fetch(`${base}/console/inbox`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(await res.text()).toContain('<div id="root">');
  });

  it('request → approve in a second browser → ACTIVE → reveal → psql logs in → revoke ends it', async () => {
    // The approver's inbox is open before the request exists: it must arrive there by itself.
    const bob = await signIn('bob');
    await nav(bob, 'Approvals');
    await bob.getByRole('heading', { name: 'Approvals' }).waitFor();
    await markPage(bob);
    const alice = await signIn('alice');
    const id = await requestThroughForm(alice, 'read', '30m');
    await markPage(alice);

    // Shown once the flow and the approvals so far are in.
    const item = bob.locator(`li[data-request-id="${id}"]`, { hasText: 'approvals' });
    await item.waitFor({ timeout: 30_000 });
    expect(await pageMarked(bob)).toBe(true);
    const text = await item.textContent();
    for (const part of ['read', 'app.public', '30m', 'console end-to-end test', 'step 1 of 1'])
      expect(text).toContain(part);
    expect(text).toContain('0 of 1 approvals');
    await item.getByRole('button', { name: 'Approve' }).click();
    await item.waitFor({ state: 'detached' });

    // The requester's page moves by itself: no reload.
    const card = alice.locator(`li[data-request-id="${id}"]`);
    await card.locator('.time-left', { hasText: 'left' }).waitFor({ timeout: 30_000 });
    expect(await card.locator('.badge').textContent()).toBe('ACTIVE');
    expect(await pageMarked(alice)).toBe(true);

    await card.getByRole('button', { name: 'Reveal credentials' }).click();
    const creds = alice.getByRole('region', { name: 'Credentials' });
    await creds.waitFor();
    expect(await creds.getByTestId('password').textContent()).toBe(MASK);
    const maskedPsql = (await creds.getByTestId('psql').textContent())!;
    await creds.getByRole('button', { name: 'Show' }).click();
    const password = (await creds.getByTestId('password').textContent())!;
    const username = (await creds.getByTestId('username').textContent())!;
    expect(password).not.toBe(MASK);
    expect(maskedPsql).not.toContain(password);
    expect(maskedPsql).not.toContain(encodeURIComponent(password));
    expect(await creds.textContent()).toContain('Use the VPN first.');
    // Copy puts the real value on the clipboard.
    await alice.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await creds.getByRole('button', { name: 'Copy password' }).click();
    await creds
      .getByRole('button', { name: 'Copy password' })
      .filter({ hasText: 'Copied' })
      .waitFor();
    expect(
      await alice.evaluate(
        () => (globalThis as any).navigator.clipboard.readText() as Promise<string>,
      ),
    ).toBe(password);

    // The command the page shows logs in, as it is (TLS verified against the target's CA).
    const psql = (await creds.getByTestId('psql').textContent())!;
    const { stdout } = await run('bash', ['-c', `${psql} -Atc 'SELECT count(*) FROM public.t'`], {
      env: { PATH: process.env.PATH ?? '', PGSSLROOTCERT: stack.target.caFile },
    });
    expect(stdout.trim()).toBe('1');
    expect(await canRead(stack.target, 'public', { username, password })).toBe(true);

    // The reveal is audited as the console's, and the trail never holds the password.
    const trail = (await stack.admin.get(`/api/v1/audit-events?requestId=${id}`)).body;
    expect(trail.find((e: any) => e.action === 'credentials.revealed')).toMatchObject({
      channel: 'console',
    });
    expect(JSON.stringify(trail)).not.toContain(password);
    // The approval records how the approver signed in.
    expect(trail.some((e: any) => e.details?.authentication?.method === 'oidc')).toBe(true);

    // Closed: gone from the page; never in web storage, the URL, or a readable cookie.
    await creds.getByRole('button', { name: 'Close' }).click();
    await creds.waitFor({ state: 'detached' });
    expect(await alice.content()).not.toContain(password);
    expect(await webStorage(alice)).toBe('');
    expect(alice.url()).not.toContain(password);
    expect(await scriptCookies(alice)).not.toContain('doorman_session');

    // A change without the CSRF header is refused, with the session cookie and all.
    const forged = await alice.evaluate(async (path) => {
      const r = await fetch(path, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return r.status;
    }, `/api/v1/access-requests/${id}/revoke`);
    expect(forged).toBe(403);
    expect((await stack.admin.get(`/api/v1/access-requests/${id}`)).body.status).toBe('ACTIVE');

    await card.getByRole('button', { name: 'Revoke now' }).click();
    await card.getByRole('button', { name: 'Yes, revoke now' }).click();
    await untilStatus(stack.admin, id, 'REVOKED');
    expect(await canRead(stack.target, 'public', { username, password })).toBe(false);
    const row = alice.locator(`tr[data-request-id="${id}"]`, { hasText: 'REVOKED' });
    await row.waitFor({ timeout: 15_000 });
    // The history moved on the same page: never reloaded.
    expect(await pageMarked(alice)).toBe(true);
    // The request's own page: the approver's decision and the trail, reveal included.
    await row.getByRole('link').first().click();
    await alice.getByText(/Step 1: .* approve via console/).waitFor();
    await alice.getByText(/credentials\.revealed/).waitFor();
  });

  it('self-approval shows the API’s refusal, and the request still waits', async () => {
    const bob = await signIn('bob');
    const id = await requestThroughForm(bob, 'write', '15m');
    await nav(bob, 'Approvals');
    const item = bob.locator(`li[data-request-id="${id}"]`);
    await item.waitFor();
    expect(await item.textContent()).toContain('your own request');
    await item.getByRole('button', { name: 'Approve' }).click();
    const refusal = item.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/your own request/);
    expect((await stack.admin.get(`/api/v1/access-requests/${id}`)).body.status).toBe('PENDING');
  });

  it('a flow that wants a stronger sign-in sends the approver through the provider again, and refuses until it is strong enough', async () => {
    const alice = await signIn('alice');
    const id = await requestThroughForm(alice, 'admin', '15m');
    const bob = await signIn('bob');
    await nav(bob, 'Approvals');
    const card = () => bob.locator(`li[data-request-id="${id}"]`, { hasText: 'approvals' });
    await card().getByRole('button', { name: 'Approve' }).click();
    const refusal = card().getByRole('alert');
    await refusal.filter({ hasText: 'otp' }).waitFor();
    await refusal.getByRole('button', { name: 'Sign in again' }).click();
    // A fresh sign-in: the provider asks for the password although it knows bob already.
    await bob.getByLabel('Login').fill('bob');
    await bob.getByLabel('Password').fill(person('bob').password);
    await bob.getByRole('button', { name: 'Sign in' }).click();
    await bob.waitForURL(`${base}/console/inbox`);
    await card().getByRole('button', { name: 'Approve' }).click();
    await card().getByRole('alert').filter({ hasText: 'yours: pwd' }).waitFor();
    expect((await stack.admin.get(`/api/v1/access-requests/${id}`)).body.status).toBe('PENDING');
  });

  it('security and auditors: the integration with its doctor, revoke-all confirmed, cleanupDays changed by a tried policy file and audited, the chain verified, who had access as a timeline', async () => {
    // Sam is created by his first sign-in, with the roles his groups map to.
    const sam = await signIn('sam');
    const alice = await signIn('alice');
    const id = await requestThroughForm(alice, 'read', '20m');
    const bob = await signIn('bob');
    await nav(bob, 'Approvals');
    await bob
      .locator(`li[data-request-id="${id}"]`)
      .getByRole('button', { name: 'Approve' })
      .click();
    await untilStatus(stack.admin, id, 'ACTIVE');

    await nav(sam, 'Active access');
    await sam.locator(`tr[data-request-id="${id}"]`, { hasText: person('alice').email }).waitFor();

    await nav(sam, 'Integrations');
    await sam.getByRole('link', { name: 'orders-db' }).click();
    await sam.getByText('REVOKE CONNECT ON DATABASE "app" FROM PUBLIC;').waitFor();
    await sam.getByLabel('Reason').fill('incident drill');
    await sam.getByRole('button', { name: 'Revoke all' }).click();
    // Asked first: nothing ends until the confirmation.
    expect((await stack.admin.get(`/api/v1/access-requests/${id}`)).body.status).toBe('ACTIVE');
    await sam.getByRole('button', { name: 'Yes, revoke all' }).click();
    await untilStatus(stack.admin, id, 'REVOKED');

    // Security changes cleanupDays through a policy file: tried first, then applied, audited.
    await nav(sam, 'Access flows');
    await sam
      .getByLabel(/^YAML/)
      .fill(
        [
          'version: 1',
          'connectors: [{ name: console-site }]',
          'integrations:',
          '  - name: orders-db',
          '    connector: console-site',
          '    host: 127.0.0.1',
          `    port: ${stack.target.port}`,
          '    databases: [app]',
          '    sslMode: verify-full',
          '    cleanupDays: 7',
          '    customAccessDetails: Use the VPN first.',
        ].join('\n'),
      );
    const apply = sam.getByRole('button', { name: 'Apply' });
    expect(await apply.isDisabled()).toBe(true);
    await sam.getByRole('button', { name: 'Dry run' }).click();
    await sam.getByRole('status').filter({ hasText: 'update integration orders-db' }).waitFor();
    expect((await stack.admin.get(`/api/v1/integrations/${integrationId}`)).body.cleanupDays).toBe(
      0,
    );
    await apply.click();
    await sam.getByRole('status').filter({ hasText: 'Applied' }).waitFor();
    expect((await stack.admin.get(`/api/v1/integrations/${integrationId}`)).body.cleanupDays).toBe(
      7,
    );

    await nav(sam, 'Audit');
    await sam.getByRole('status', { name: 'Hash chain' }).filter({ hasText: 'verified' }).waitFor();
    await sam.getByLabel('Action').fill('policy.applied');
    await sam.getByRole('button', { name: 'Filter' }).click();
    await sam.getByRole('cell', { name: 'policy.applied' }).first().waitFor();
    await nav(sam, 'Who had access');
    await sam.getByLabel('Integration').selectOption(integrationId);
    await sam.getByLabel('Database').selectOption('app');
    await sam.getByRole('button', { name: 'Show' }).click();
    const timeline = sam.getByRole('list', { name: 'Timeline' });
    await timeline.waitFor();
    expect(await timeline.getByRole('listitem').count()).toBeGreaterThanOrEqual(2);
    expect(await timeline.textContent()).toContain(`${person('alice').email} · read on app.public`);

    // A person's activity, and the pictures drawn from the broker's own requests.
    await nav(sam, 'People');
    await sam.getByRole('link', { name: person('alice').email }).click();
    await sam.getByRole('cell', { name: 'request.created' }).first().waitFor();
    await nav(sam, 'Insights');
    const today = `${new Date().getMonth() + 1}/${new Date().getDate()}: 2`;
    await sam.getByRole('img', { name: /^Grants started per day/ }).waitFor();
    expect(
      await sam.getByRole('img', { name: /^Grants started per day/ }).getAttribute('aria-label'),
    ).toContain(today);
  });

  it('security edits cleanupDays in the settings form: a bad value is refused under its field, the new one is shown and audited as theirs', async () => {
    const sam = await signIn('sam');
    const samId = (await stack.admin.get('/api/v1/users')).body.find(
      (u: { email: string }) => u.email === person('sam').email,
    ).id as string;
    const before = (await stack.admin.get(`/api/v1/integrations/${integrationId}`)).body;
    const days = before.cleanupDays === 14 ? 21 : 14;
    await nav(sam, 'Integrations');
    await sam.getByRole('link', { name: 'orders-db' }).click();
    await sam.getByRole('button', { name: 'Edit settings' }).click();
    const form = sam.getByRole('form', { name: 'Integration settings' });
    const cleanup = form.getByLabel('Cleanup days');
    expect(await cleanup.inputValue()).toBe(String(before.cleanupDays));

    // Not a number, then a negative one: the API's words under the field, nothing changed.
    for (const bad of ['abc', '-1']) {
      await cleanup.fill(bad);
      await form.getByRole('button', { name: 'Save settings' }).click();
      const message = form.locator('.field', { hasText: 'Cleanup days' }).getByRole('alert');
      await message.waitFor();
      expect(await message.textContent()).toBeTruthy();
      // The field names the message: a screen reader reads it with the control.
      const describedBy = (await cleanup.getAttribute('aria-describedby'))!;
      expect(await sam.locator(`[id="${describedBy}"]`).textContent()).toBe(
        await message.textContent(),
      );
      // The very words REST answers for the same value.
      const rest = await stack.admin.request('PATCH', `/api/v1/integrations/${integrationId}`, {
        cleanupDays: bad === 'abc' ? bad : Number(bad),
      });
      expect(rest.status).toBe(400);
      expect(await message.textContent()).toBe(
        rest.body.fields.find((f: { field: string }) => f.field === 'cleanupDays').message,
      );
      // Only that field is blamed.
      expect(
        await form
          .locator('.field', { hasText: 'Password rotation days' })
          .getByRole('alert')
          .count(),
      ).toBe(0);
      expect(
        (await stack.admin.get(`/api/v1/integrations/${integrationId}`)).body.cleanupDays,
      ).toBe(before.cleanupDays);
    }

    await cleanup.fill(String(days));
    await form.getByRole('button', { name: 'Save settings' }).click();
    await sam.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await sam.getByText(`after ${days} days`, { exact: true }).waitFor();
    expect((await stack.admin.get(`/api/v1/integrations/${integrationId}`)).body.cleanupDays).toBe(
      days,
    );

    // Audited as sam's, through the console, with the field's before and after.
    const events = (
      await stack.admin.get(
        `/api/v1/audit-events?action=integration.updated&integrationId=${integrationId}`,
      )
    ).body;
    const change = (events.items ?? events).find((e: any) => e.details?.cleanupDays?.to === days);
    expect(change).toMatchObject({
      actorId: samId,
      channel: 'console',
      details: { cleanupDays: { from: before.cleanupDays, to: days } },
    });
    // And the audit explorer shows it: what changed, who did it.
    await nav(sam, 'Audit');
    await sam.getByLabel('Action').fill('integration.updated');
    await sam.getByLabel('Integration id').fill(integrationId);
    await sam.getByRole('button', { name: 'Filter' }).click();
    const row = sam
      .getByRole('row')
      .filter({ hasText: `cleanupDays: ${before.cleanupDays} → ${days}` });
    await row.waitFor();
    expect(await row.textContent()).toContain(person('sam').email);
  });

  it('security creates a flow through the form (a bad duration refused under its field), then saves a new version through Edit', async () => {
    const sam = await signIn('sam');
    const users = (await stack.admin.get('/api/v1/users')).body as Array<{
      id: string;
      email: string;
    }>;
    const idOf = (login: string) => users.find((u) => u.email === person(login).email)!.id;
    await nav(sam, 'Access flows');
    await sam.getByRole('button', { name: 'New flow' }).click();
    const form = sam.getByRole('form', { name: 'New access flow' });
    await form.getByLabel('Name').fill('console-made');
    await form.getByLabel('Integration').selectOption(integrationId);
    await form.getByLabel('Resources').fill('app.public');
    await form.getByLabel('write', { exact: true }).check();
    await form.getByLabel('read', { exact: true }).uncheck();
    // Only sam may ask: the other tests' requests are judged by their own flows.
    await form.getByLabel('Requestors: people').selectOption({ label: person('sam').email });
    await form.getByLabel('Approvers: people').selectOption({ label: person('bob').email });
    await form.getByLabel('Default duration').fill('30m');
    await form.getByLabel('Max duration').fill('forever');
    await form.getByRole('button', { name: 'Create flow' }).click();
    const durationError = form.locator('.field', { hasText: 'Max duration' }).getByRole('alert');
    await durationError.waitFor();
    const rest = await stack.admin.post('/api/v1/access-flows', {
      name: 'rest-made',
      integrationId,
      requestors: { userIds: [idOf('sam')], groupIds: [] },
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['write'],
      approvers: { userIds: [idOf('bob')] },
      defaultDuration: '30m',
      maxDuration: 'forever',
    });
    expect(rest.status).toBe(400);
    expect(await durationError.textContent()).toBe(
      rest.body.fields.find((f: { field: string }) => f.field === 'maxDuration').message,
    );
    const none = async () =>
      (
        (await stack.admin.get('/api/v1/access-flows')).body as Array<{ id: string; name: string }>
      ).filter((f) => f.name === 'console-made');
    expect(await none()).toEqual([]);

    await form.getByLabel('Max duration').fill('1h');
    await form.getByRole('button', { name: 'Create flow' }).click();
    await form.waitFor({ state: 'detached' });
    const row = sam.getByRole('row').filter({ hasText: 'console-made' });
    await row.filter({ hasText: 'v1' }).waitFor();
    expect(await row.textContent()).toContain('write on app.public');
    const [created] = await none();
    expect(created).toMatchObject({
      version: 1,
      permissions: ['write'],
      maxDuration: '1h',
      requestors: { userIds: [idOf('sam')], groupIds: [] },
      steps: [
        expect.objectContaining({
          quorum: 1,
          approvers: expect.objectContaining({ userIds: [idOf('bob')] }),
        }),
      ],
    });

    // A new version through Edit: the form starts from what is saved.
    await sam.getByRole('button', { name: 'Edit console-made' }).click();
    const edit = sam.getByRole('form', { name: 'Edit flow console-made' });
    expect(await edit.getByLabel('Max duration').inputValue()).toBe('1h');
    await edit.getByLabel('Max duration').fill('2h');
    await edit.getByRole('button', { name: 'Save new version' }).click();
    await edit.waitFor({ state: 'detached' });
    await row.filter({ hasText: 'v2' }).filter({ hasText: '2h' }).waitFor();
    const [saved] = await none();
    expect(saved).toMatchObject({
      id: created.id,
      version: 2,
      maxDuration: '2h',
      permissions: ['write'],
    });
  });

  it('the main pages, at a phone’s width: no sideways scroll, every control labelled', async () => {
    const { open } = await browser.person({ width: 390, height: 844 });
    const watched = await open(`${base}/console/`);
    pages.push(watched);
    const { page } = watched;
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Login').fill('sam');
    await page.getByLabel('Password').fill(person('sam').password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-as').waitFor();
    const overflow = () =>
      page.evaluate(() => {
        const root = (globalThis as any).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
    const visit = async (name: string, ready: () => Promise<unknown>) => {
      await nav(page, name);
      await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
      await ready();
      expect({ page: name, overflow: await overflow() }).toEqual({ page: name, overflow: 0 });
      expect({ page: name, unlabelled: await unlabelled(page) }).toEqual({
        page: name,
        unlabelled: [],
      });
    };
    await visit('My access', async () => undefined);
    await visit('Request access', () => page.getByLabel('Integration').waitFor());
    await visit('Approvals', async () => undefined);
    await visit('Integrations', () => page.getByRole('link', { name: 'orders-db' }).waitFor());
    await page.getByRole('link', { name: 'orders-db' }).click();
    await page.getByText('REVOKE CONNECT ON DATABASE "app" FROM PUBLIC;').waitFor();
    await page.getByRole('button', { name: 'Edit settings' }).click();
    expect(await overflow()).toBe(0);
    expect(await unlabelled(page)).toEqual([]);
    await visit('Connectors', () => page.getByText('console-site').first().waitFor());
    await visit('Access flows', () =>
      page.getByRole('cell', { name: /^orders-read v\d+$/ }).waitFor(),
    );
    await page.getByRole('button', { name: 'New flow' }).click();
    expect(await overflow()).toBe(0);
    expect(await unlabelled(page)).toEqual([]);
    await visit('Active access', async () => undefined);
    await visit('Break-glass reviews', async () => undefined);
    await visit('Audit', () =>
      page.getByRole('cell', { name: 'session.signed_in' }).first().waitFor(),
    );
    await visit('Who had access', () => page.getByLabel('Integration').waitFor());
    await visit('People', () => page.getByRole('link', { name: person('alice').email }).waitFor());
    await visit('Insights', () =>
      page.getByRole('img', { name: /^Grants started per day/ }).waitFor(),
    );
    await visit('Unused access', () => page.getByLabel('Granted in the last').waitFor());
  });

  it('doorman login in the browser: the confirmation names the person and the CLI’s code, and Approve sends the code on to the CLI', async () => {
    // The CLI's side, as apps/cli does it: a loopback server, a state and a PKCE pair.
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const state = randomBytes(16).toString('base64url');
    let settle!: (url: URL) => void;
    const called = new Promise<URL>((resolve) => (settle = resolve));
    const cli = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Signed in.</p>');
      settle(new URL(req.url ?? '/', 'http://127.0.0.1'));
    });
    await new Promise<void>((resolve) => cli.listen(0, '127.0.0.1', resolve));
    const port = (cli.address() as AddressInfo).port;
    try {
      const alice = await signIn('alice');
      await alice.goto(
        `${base}/auth/cli/login?${new URLSearchParams({ port: String(port), state, challenge }).toString()}`,
      );
      await alice.getByRole('heading', { name: 'Sign in the Doorman CLI?' }).waitFor();
      expect(await alice.getByTestId('person').textContent()).toBe(person('alice').email);
      expect(await alice.getByTestId('code').textContent()).toBe(
        `${state.slice(0, 4)}-${state.slice(4, 8)}`,
      );
      await alice.getByRole('button', { name: 'Approve sign-in' }).click();
      // Said with the page it stopped on, rather than a test timeout, should the CLI not hear.
      let timer: NodeJS.Timeout | undefined;
      const callback = await Promise.race([
        called,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the CLI was never called')), 15_000);
        }),
      ])
        .catch(async (e: Error) => {
          throw new Error(`${e.message}; at ${alice.url()}: ${await alice.textContent('body')}`);
        })
        .finally(() => clearTimeout(timer));
      expect(callback.searchParams.get('state')).toBe(state);
      await alice.getByText('Signed in.').waitFor();
      const exchange = await fetch(`${base}/auth/cli/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: callback.searchParams.get('code'), verifier }),
      });
      expect(exchange.status).toBe(200);
      expect(((await exchange.json()) as { person: { email: string } }).person.email).toBe(
        person('alice').email,
      );
    } finally {
      await new Promise((resolve) => cli.close(resolve));
    }
  });

  it('sign-out ends the session: the console asks to sign in again', async () => {
    const alice = await signIn('alice');
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await alice.getByRole('button', { name: 'Sign in' }).waitFor();
    const after = await alice.evaluate(async () => (await fetch('/api/v1/session')).status);
    expect(after).toBe(401);
  });

  it('works by keyboard and at a phone’s width', async () => {
    const { open } = await browser.person({ width: 390, height: 844 });
    const watched = await open(`${base}/console/`);
    pages.push(watched);
    const { page } = watched;
    const signInButton = page.getByRole('button', { name: 'Sign in' });
    await signInButton.waitFor();
    await page.keyboard.press('Tab');
    expect(
      await signInButton.evaluate((b) => b === (globalThis as any).document.activeElement),
    ).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByLabel('Login').fill('alice');
    await page.getByLabel('Password').fill(person('alice').password);
    await page.keyboard.press('Enter');
    await page.getByTestId('signed-in-as').waitFor();
    const overflow = () =>
      page.evaluate(() => {
        const root = (globalThis as any).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
    await page.getByRole('heading', { name: 'My access' }).waitFor();
    await page.locator('tr[data-request-id]').first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await nav(page, 'Request access');
    await page.getByLabel('Integration').selectOption(integrationId);
    await page.getByLabel('Schema').selectOption('app.public');
    expect(await overflow()).toBeLessThanOrEqual(0);
  });

  it('no page had a script error or a Content-Security-Policy refusal', async () => {
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.flatMap((p) => p.problems)).toEqual([]);
  });
});
