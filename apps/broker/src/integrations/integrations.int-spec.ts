import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { createBrokerApp } from '../bootstrap';
import { ApiClient } from '../../../../test/support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from '../../../../test/support/broker-env';
import { createWorld, type World } from '../../../../test/support/fixtures';

jest.setTimeout(60_000);

/** Integration settings change after creation: checked like on creation, audited per field. */
describe('PATCH /integrations/:id settings (broker on real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let w: World;
  let db: Client;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const admin = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
    w = await createWorld(admin, { cleanupDays: 0, rotationDays: 0 });
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
  });

  const patch = (who: World['security'], body: unknown) =>
    who.api.request('PATCH', `/api/v1/integrations/${w.integrationId}`, body);
  const current = async () =>
    (await w.security.api.get(`/api/v1/integrations/${w.integrationId}`)).body;
  const updates = async () =>
    (
      await db.query(
        "SELECT details FROM audit_events WHERE action = 'integration.updated' AND integration_id = $1 ORDER BY id",
        [w.integrationId],
      )
    ).rows.map((r: { details: unknown }) => r.details);

  it('security changes settings: applied and audited with before and after per field', async () => {
    const res = await patch(w.security, {
      sslMode: 'verify-full',
      cleanupDays: 14,
      rotationDays: 30,
      adminRotationDays: 7,
      customAccessDetails: 'Through the bastion.',
      ownerIds: [w.security.id, w.bob.id],
      connectionLimit: 3,
    });
    expect(res.status).toBe(200);
    expect(await current()).toMatchObject({
      sslMode: 'verify-full',
      cleanupDays: 14,
      rotationDays: 30,
      adminRotationDays: 7,
      customAccessDetails: 'Through the bastion.',
      ownerIds: [w.security.id, w.bob.id],
      connectionLimit: 3,
    });
    const [details] = await updates();
    expect(details).toEqual({
      sslMode: { from: 'require', to: 'verify-full' },
      cleanupDays: { from: 0, to: 14 },
      rotationDays: { from: 0, to: 30 },
      adminRotationDays: { from: 0, to: 7 },
      customAccessDetails: { from: 'Use the VPN first.', to: 'Through the bastion.' },
      ownerIds: { from: [w.security.id], to: [w.security.id, w.bob.id] },
      connectionLimit: { from: 10, to: 3 },
    });
  });

  it.each([
    [{ cleanupDays: -1 }, 'cleanupDays'],
    [{ connectionLimit: 0 }, 'connectionLimit'],
    [{ sslMode: 'sometimes' }, 'sslMode'],
    [{ customAccessDetails: 'x'.repeat(401) }, 'customAccessDetails'],
    [{ ownerIds: ['00000000-0000-4000-8000-000000000000'] }, 'ownerIds'],
    [{ name: 'renamed' }, 'name'],
  ])('a bad value (case %#) is 400 naming the field, and nothing changes', async (body, field) => {
    const before = await current();
    const audited = (await updates()).length;
    const res = await patch(w.security, { ...body, connectionLimit: 5, ...body });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(field);
    expect(await current()).toEqual(before);
    expect((await updates()).length).toBe(audited);
  });

  it('a requester gets 403 and nothing changes', async () => {
    const before = await current();
    const res = await patch(w.alice, { cleanupDays: 1 });
    expect(res.status).toBe(403);
    expect(await current()).toEqual(before);
  });
});
