import type { ApiClient } from './api-client';

export interface Person {
  id: string;
  email: string;
  token: string;
  api: ApiClient;
}

let counter = 0;

export async function createPerson(
  admin: ApiClient,
  name: string,
  roles: string[] = ['requester'],
): Promise<Person> {
  const email = `${name}.${Date.now().toString(36)}${counter++}@example.com`;
  const user = await admin.post('/api/v1/users', { email, name, roles });
  if (user.status !== 201)
    throw new Error(`create user: ${user.status} ${JSON.stringify(user.body)}`);
  const token = await admin.post(`/api/v1/users/${user.body.id}/tokens`, { name: 'test' });
  if (token.status !== 201)
    throw new Error(`create token: ${token.status} ${JSON.stringify(token.body)}`);
  return { id: user.body.id, email, token: token.body.token, api: admin.as(token.body.token) };
}

export interface World {
  alice: Person;
  bob: Person;
  carol: Person;
  mallory: Person;
  security: Person;
  connectorId: string;
  integrationId: string;
  flowId: string;
}

export interface WorldOptions {
  host?: string;
  port?: number;
  databases?: string[];
  resources?: Array<{ database: string; schema: string }>;
  permissions?: string[];
  maxDuration?: string;
  defaultDuration?: string;
  cleanupDays?: number;
  rotationDays?: number;
  sslMode?: string;
  justificationRequired?: boolean;
}

/** alice requests, bob and carol approve, mallory is nobody in particular, security manages. */
export async function createWorld(admin: ApiClient, o: WorldOptions = {}): Promise<World> {
  const alice = await createPerson(admin, 'alice');
  const bob = await createPerson(admin, 'bob', ['approver']);
  const carol = await createPerson(admin, 'carol', ['approver']);
  const mallory = await createPerson(admin, 'mallory');
  const security = await createPerson(admin, 'sec', ['security']);
  const connector = await security.api.post('/api/v1/connectors', {
    name: `site-${Date.now().toString(36)}${counter++}`,
  });
  if (connector.status !== 201) throw new Error(`connector: ${JSON.stringify(connector.body)}`);
  const databases = o.databases ?? ['app'];
  const integration = await security.api.post('/api/v1/integrations', {
    name: `pg-${Date.now().toString(36)}${counter++}`,
    connectorId: connector.body.id,
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 5432,
    databases,
    sslMode: o.sslMode ?? 'require',
    rotationDays: o.rotationDays ?? 0,
    cleanupDays: o.cleanupDays ?? 0,
    adminRotationDays: 0,
    customAccessDetails: 'Use the VPN first.',
    ownerIds: [security.id],
  });
  if (integration.status !== 201)
    throw new Error(`integration: ${JSON.stringify(integration.body)}`);
  const flow = await security.api.post('/api/v1/access-flows', {
    name: `flow-${Date.now().toString(36)}${counter++}`,
    integrationId: integration.body.id,
    requestors: { userIds: [alice.id], groupIds: [] },
    resources: o.resources ?? [{ database: databases[0], schema: 'public' }],
    permissions: o.permissions ?? ['read', 'write'],
    approvers: { userIds: [bob.id, carol.id] },
    defaultDuration: o.defaultDuration ?? '1h',
    maxDuration: o.maxDuration ?? '2h',
    justificationRequired: o.justificationRequired ?? false,
  });
  if (flow.status !== 201) throw new Error(`flow: ${JSON.stringify(flow.body)}`);
  return {
    alice,
    bob,
    carol,
    mallory,
    security,
    connectorId: connector.body.id,
    integrationId: integration.body.id,
    flowId: flow.body.id,
  };
}
