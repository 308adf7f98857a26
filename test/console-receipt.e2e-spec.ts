import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { verifyReceipt } from '../apps/broker/src/receipts/receipt-signature';
import { untilStatus } from './support/access-checks';
import { waitFor } from './support/broker-env';
import { TestBrowser, type WatchedPage } from './support/browser';
import { DEMO_PEOPLE, startTestIdp, type TestIdp } from './support/oidc-provider';
import { freePort } from './support/processes';
import { startStack, type Stack } from './support/stack';

jest.setTimeout(240_000);

const person = (login: string) => DEMO_PEOPLE.find((p) => p.login === login)!;
const WHY = 'receipt page e2e test';

/**
 * The access receipt in the console, in a real Chromium against the real stack: after a grant
 * is approved and revoked, its requester opens the receipt page, whose signature the page
 * itself checks (WebCrypto) against the broker's published keys; a served receipt changed by
 * one byte on its way to the browser does not verify.
 */
describe('console: the access receipt page', () => {
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
      },
    });
    const user = async (login: string, roles: string[]) => {
      const p = person(login);
      const res = await stack.admin.post('/api/v1/users', { email: p.email, name: p.name, roles });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const alice = await user('alice', ['requester']);
    const bob = await user('bob', ['approver']);
    const connector = await stack.admin.post('/api/v1/connectors', { name: 'receipt-site' });
    const integration = await stack.admin.post('/api/v1/integrations', {
      name: 'orders-db',
      connectorId: connector.body.id,
      host: '127.0.0.1',
      port: stack.target.port,
      databases: ['app'],
      sslMode: 'verify-full',
    });
    expect(integration.status).toBe(201);
    integrationId = integration.body.id;
    const flow = await stack.admin.post('/api/v1/access-flows', {
      name: 'orders-read',
      integrationId,
      requestors: { userIds: [alice], groupIds: [] },
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['read'],
      approvers: { userIds: [bob] },
      defaultDuration: '1h',
      maxDuration: '2h',
    });
    expect(flow.status).toBe(201);
    stack.startConnector(connector.body.id);
    await stack.connectorHealthy(connector.body.id);
    browser = await TestBrowser.launch();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await idp?.stop();
  });

  async function signIn(login: string): Promise<Page> {
    const { open } = await browser.person();
    const watched = await open(`${base}/console/`);
    pages.push(watched);
    const { page } = watched;
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Login').fill(login);
    await page.getByLabel('Password').fill(person(login).password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-as').waitFor();
    return page;
  }

  const nav = (page: Page, name: string) =>
    page.getByRole('navigation').getByRole('link', { name, exact: true }).click();

  let requestId: string;

  it('request → approve → revoke; the requester’s receipt page: verified in the browser, the approver, revoked', async () => {
    const bob = await signIn('bob');
    await nav(bob, 'Approvals');
    const alice = await signIn('alice');
    await nav(alice, 'Request access');
    await alice.getByLabel('Integration').selectOption(integrationId);
    await alice.getByLabel('Schema').selectOption('app.public');
    await alice.getByLabel('Permission').selectOption('read');
    await alice.getByLabel('Why').fill(WHY);
    await alice.getByLabel('Duration').fill('30m');
    await alice.getByRole('button', { name: 'Request access' }).click();
    requestId = await waitFor('the new request', async () => {
      const pending = (await stack.admin.get('/api/v1/access-requests?status=PENDING')).body;
      return pending[0]?.id as string | undefined;
    });

    const item = bob.locator(`li[data-request-id="${requestId}"]`, { hasText: 'approvals' });
    await item.getByRole('button', { name: 'Approve' }).click();
    await untilStatus(stack.admin, requestId, 'ACTIVE');
    const card = alice.locator(`li[data-request-id="${requestId}"]`);
    await card.getByRole('button', { name: 'Revoke now' }).click();
    await card.getByRole('button', { name: 'Yes, revoke now' }).click();
    await untilStatus(stack.admin, requestId, 'REVOKED');

    // The connector's check of the target after the revoke is in the receipt before it is opened.
    await waitFor('the revoke check in the receipt', async () => {
      const res = await stack.admin.get(`/api/v1/access-requests/${requestId}/receipt`);
      return res.body.receipt?.verification ?? undefined;
    });

    // From the requester's history, as the Slack "ended" message links to it.
    const row = alice.locator(`tr[data-request-id="${requestId}"]`, { hasText: 'REVOKED' });
    await row.getByRole('link', { name: 'Receipt' }).click();
    expect(new URL(alice.url()).pathname).toBe(`/console/requests/${requestId}/receipt`);
    const { keys } = (await fetch(`${base}/.well-known/doorman-receipt-keys`).then((r) =>
      r.json(),
    )) as { keys: Array<{ kid: string }> };
    const signature = alice.getByTestId('receipt-signature');
    await signature.filter({ hasText: 'verified with key' }).waitFor();
    expect(await signature.textContent()).toBe(`✓ Signature: verified with key ${keys[0].kid}`);
    const approvals = (await alice.getByTestId('receipt-approvals').textContent())!;
    expect(approvals).toContain(`Step 1: ${person('bob').email} — approve via console`);
    expect(approvals).toContain('signed in: browser session since');
    expect(await alice.getByTestId('receipt-ended').textContent()).toMatch(
      new RegExp(`^revoked .* by ${person('alice').email}`),
    );
    expect(await alice.getByTestId('receipt-verification').textContent()).toContain(
      'Clean: nothing of this access was left on the target.',
    );
    const body = (await alice.locator('main').textContent())!;
    expect(body).toContain(WHY);
    expect(body).toContain('read on app.public of orders-db for 30m');

    // Download JSON saves the signed document; it verifies with the broker's own check too.
    const [download] = await Promise.all([
      alice.waitForEvent('download'),
      alice.getByRole('link', { name: 'Download JSON' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`receipt-${requestId}.json`);
    const saved = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(saved.receipt.requestId).toBe(requestId);
    expect(verifyReceipt(saved, { keys })).toEqual({ ok: true, kid: keys[0].kid });
    // The offline check, ready to paste.
    await alice.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await alice.getByRole('button', { name: 'Copy verify command' }).click();
    expect(
      await alice.evaluate(
        () => (globalThis as any).navigator.clipboard.readText() as Promise<string>,
      ),
    ).toBe(
      `doorman receipt keys -o keys.json && doorman receipt verify receipt-${requestId}.json --keys keys.json`,
    );
  });

  it('a receipt changed by one byte on its way to the browser: the signature does not verify', async () => {
    const alice = await signIn('alice');
    await alice.route('**/api/v1/access-requests/*/receipt', async (route) => {
      const res = await route.fetch();
      const text = await res.text();
      expect(text).toContain(WHY);
      await route.fulfill({ response: res, body: text.replace(WHY, WHY.replace(/t$/, 'T')) });
    });
    await alice.goto(`${base}/console/requests/${requestId}/receipt`);
    const signature = alice.getByTestId('receipt-signature');
    await signature.filter({ hasText: 'does not verify' }).waitFor();
    expect(await signature.textContent()).toBe(
      '✗ The signature does not verify: the signature does not match',
    );
    // What the page shows is the changed document it checked.
    expect(await alice.locator('main').textContent()).toContain(WHY.replace(/t$/, 'T'));
  });

  it('no page had a script error or a Content-Security-Policy refusal', () => {
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.flatMap((p) => p.problems)).toEqual([]);
  });
});
