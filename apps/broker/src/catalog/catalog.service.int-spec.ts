import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { CONTRACT_VERSION, connectorQueueName, parseConnectorJob } from '@doorman/contracts';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { ApiClient } from '../../../../test/support/api-client';
import {
  createBrokerTestEnv,
  SHARED_REDIS,
  waitFor,
  type BrokerTestEnv,
} from '../../../../test/support/broker-env';
import { createWorld, type World } from '../../../../test/support/fixtures';
import { createBrokerApp } from '../bootstrap';
import { CatalogService } from './catalog.service';

jest.setTimeout(120_000);

/**
 * The broker's side of discovery on real PostgreSQL and Redis, with no connector: one discover
 * job per integration however often (and on however many ticks) it is checked, none per
 * grant, a result stored whole and replaced whole, a repeated or superseded result ignored.
 */
describe('catalog refresh (broker, real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let w: World;
  let db: Client;
  let queue: Queue;
  let catalog: CatalogService;

  beforeAll(async () => {
    env = await createBrokerTestEnv({ CATALOG_REFRESH_MS: '600000' });
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    w = await createWorld(
      new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken),
    );
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    queue = new Queue(connectorQueueName(w.connectorId), {
      connection: { url: SHARED_REDIS } as never,
      prefix: env.redisPrefix,
    });
    catalog = app.get(CatalogService);
  });

  afterAll(async () => {
    await queue?.close();
    await db?.end();
    await app?.close();
    await env?.dispose();
  });

  const discoverJobs = async () =>
    (await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter(
      (j) => j.name === 'discover',
    );

  it('enqueues one discovery per integration, whatever the ticks and grants', async () => {
    const [first] = await waitFor('the first discovery', async () => {
      const jobs = await discoverJobs();
      return jobs.length ? jobs : undefined;
    });
    const parsed = parseConnectorJob(first.data);
    if (!parsed.ok || parsed.value.kind !== 'discover') throw new Error('not a discover job');
    const { discoveryId } = parsed.value;
    expect(parsed.value).toMatchObject({
      kind: 'discover',
      integrationId: w.integrationId,
      databases: ['app'],
    });
    // Concurrent ticks (as on several replicas) and a grant's worth of requests add nothing.
    await Promise.all([catalog.tick(), catalog.tick(), catalog.tick()]);
    const req = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
    });
    await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/approve`);
    await catalog.tick();
    // Everything the approval implied has left the outbox (its grant's sync is queued), so a
    // discovery it might have implied would be queued by now too.
    await waitFor('the grant sync queued and the outbox empty', async () => {
      const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active']);
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
      return jobs.some((j) => j.name === 'sync-user') && rows[0].n === 0;
    });
    expect(await discoverJobs()).toHaveLength(1);
    // On demand while one is in flight: the same discovery.
    const again = await w.security.api.post(`/api/v1/integrations/${w.integrationId}/discover`);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({
      discoveryId,
      alreadyPending: true,
    });
  });

  it('stores a result whole, ignores a repeated one, and is due again only a period later', async () => {
    const [job] = await discoverJobs();
    const parsed = parseConnectorJob(job.data);
    if (!parsed.ok || parsed.value.kind !== 'discover') throw new Error('not a discover job');
    const { discoveryId } = parsed.value;
    const result = (schemas: string[]) => ({
      v: CONTRACT_VERSION,
      kind: 'discover' as const,
      connectorId: w.connectorId,
      jobId: String(job.id),
      integrationId: w.integrationId,
      discoveryId,
      attempt: 1,
      status: 'applied' as const,
      at: new Date().toISOString(),
      admin: {
        name: 'manager',
        superuser: false,
        createrole: true,
        serverVersion: '15.4',
        versionNum: 150004,
        grantablePredefined: [],
      },
      databases: [
        {
          name: 'app',
          owner: 'app_owner',
          publicConnect: false,
          schemas: schemas.map((schema) => ({
            schema,
            owner: 'app_owner',
            grantable: ['read' as const],
            tables: [],
            tableCount: 0,
          })),
        },
      ],
      doctor: [{ check: 'login', status: 'ok' as const, detail: 'logged in as manager' }],
    });
    await catalog.onResult(result(['public', 'sales']));
    await catalog.onResult(result(['public'])); // the same discovery again: ignored
    const view = await catalog.view(w.integrationId);
    expect(view).toMatchObject({ fresh: true, pending: false, lastError: null });
    expect(view.databases[0].schemas.map((s) => s.schema)).toEqual(['public', 'sales']);

    // Refused before approval: write where only read can be granted.
    const refused = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'write',
      duration: '30m',
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: 'NOT_GRANTABLE', field: 'permission' });
    // read / write on everything: this admin may grant neither predefined role.
    const everything = await catalog
      .assertGrantable(w.integrationId, { database: '*', schema: '*', permission: 'read' })
      .catch((e: unknown) => e);
    expect(String(everything)).toContain('manager cannot grant read on everything');

    await job.remove();
    await catalog.tick();
    expect(await discoverJobs()).toHaveLength(0);
    // Ten minutes on, it is due again: one new discovery.
    await catalog.tick(new Date(Date.now() + 600_001));
    await waitFor('the next discovery', async () =>
      (await discoverJobs()).length ? true : undefined,
    );
    expect(await discoverJobs()).toHaveLength(1);
  });
});
