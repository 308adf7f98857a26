/**
 * Seeds the demo: people with tokens, a connector, an integration for the demo target and
 * an access flow. Prints shell variable lines for scripts/demo.sh. Idempotent by name.
 */
const [baseUrl, adminToken, targetPort] = process.argv.slice(2);

async function call(method: string, path: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (res.status >= 300)
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function main(): Promise<void> {
  const users: Array<{ id: string; email: string }> = await call('GET', '/users', adminToken);
  const person = async (email: string, name: string, roles: string[]) => {
    const existing = users.find((u) => u.email === email);
    const user = existing ?? (await call('POST', '/users', adminToken, { email, name, roles }));
    const { token } = await call('POST', `/users/${user.id}/tokens`, adminToken, { name: 'demo' });
    return { id: user.id as string, token: token as string };
  };
  const alice = await person('alice@demo.doorman', 'Alice Engineer', ['requester']);
  const bob = await person('bob@demo.doorman', 'Bob Approver', ['approver']);
  const connectors: Array<{ id: string; name: string }> = await call(
    'GET',
    '/connectors',
    adminToken,
  );
  const connector =
    connectors.find((c) => c.name === 'demo-site') ??
    (await call('POST', '/connectors', adminToken, { name: 'demo-site' }));
  const integrations: Array<{ id: string; name: string }> = await call(
    'GET',
    '/integrations',
    adminToken,
  );
  const integration =
    integrations.find((i) => i.name === 'demo-postgres') ??
    (await call('POST', '/integrations', adminToken, {
      name: 'demo-postgres',
      connectorId: connector.id,
      host: '127.0.0.1',
      port: Number(targetPort),
      databases: ['shop'],
      sslMode: 'require',
      rotationDays: 0,
      cleanupDays: 0,
      adminRotationDays: 0,
      customAccessDetails: 'Demo target started by npm run demo.',
      ownerIds: [],
    }));
  const flows: Array<{ name: string }> = await call('GET', '/access-flows', adminToken);
  if (!flows.some((f) => f.name === 'demo-shop')) {
    await call('POST', '/access-flows', adminToken, {
      name: 'demo-shop',
      integrationId: integration.id,
      requestors: { userIds: [alice.id], groupIds: [] },
      resources: [{ database: 'shop', schema: 'public' }],
      permissions: ['read', 'write'],
      approvers: { userIds: [bob.id] },
      defaultDuration: '15m',
      maxDuration: '8h',
      justificationRequired: true,
    });
  }
  process.stdout.write(
    [
      `CONNECTOR_ID=${connector.id}`,
      `INTEGRATION_ID=${integration.id}`,
      `ALICE_TOKEN=${alice.token}`,
      `BOB_TOKEN=${bob.token}`,
      '',
    ].join('\n'),
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`demo seed failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
