import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { generateSealKeyPair, loadSealPublicKey, seal, SealKeyring } from '@doorman/crypto';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { BrokerConfigSchema } from '../apps/broker/src/config/broker.config';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';

/** Rotating the key that seals stored credentials: old boxes are re-sealed at start, nothing is lost. */
describe('sealing key rotation (broker on real PostgreSQL)', () => {
  let env: BrokerTestEnv;
  let db: Client;
  const apps: INestApplication[] = [];
  const keyA = generateSealKeyPair();
  const keyB = generateSealKeyPair();

  const start = async (overrides: Record<string, string>) => {
    const app = await createBrokerApp(BrokerConfigSchema.parse({ ...env.env, ...overrides }));
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    return new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
  };

  beforeAll(async () => {
    env = await createBrokerTestEnv({
      BROKER_SEAL_PUBLIC_KEY: keyA.publicKey,
      BROKER_SEAL_PRIVATE_KEY: keyA.privateKey,
    });
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await db?.end();
    await env?.dispose();
  });

  it('re-seals stored credentials to the new key at start; reveals keep working throughout', async () => {
    const admin = await start({});
    const w: World = await createWorld(admin);
    const req = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
    });
    await w.bob.api.post(`/api/v1/access-requests/${req.body.id}/approve`);
    // As if the connector had applied the grant and sealed a password to key A.
    const box = seal('password-under-key-a', loadSealPublicKey(keyA.publicKey));
    await db.query(
      'UPDATE database_users SET sealed_password = $1, password_issued_at = now() WHERE user_id = $2',
      [JSON.stringify(box), w.alice.id],
    );
    await db.query(
      "UPDATE access_requests SET status = 'ACTIVE', granted_at = now(), expires_at = now() + interval '1 hour' WHERE id = $1",
      [req.body.id],
    );
    const reveal = async (api: ApiClient) =>
      (await api.as(w.alice.token).post(`/api/v1/access-requests/${req.body.id}/credentials`)).body
        .password;
    expect(await reveal(admin)).toBe('password-under-key-a');
    await apps.pop()!.close();

    const rotated = await start({
      BROKER_SEAL_PUBLIC_KEY: keyB.publicKey,
      BROKER_SEAL_PRIVATE_KEY: keyB.privateKey,
      BROKER_SEAL_PREVIOUS_PRIVATE_KEYS: keyA.privateKey,
    });
    expect(await reveal(rotated)).toBe('password-under-key-a');
    const stored = (
      await db.query('SELECT sealed_password FROM database_users WHERE user_id = $1', [w.alice.id])
    ).rows[0].sealed_password;
    expect(SealKeyring.fromConfig(keyB.privateKey).isCurrent(stored)).toBe(true);
    const events = (await rotated.get('/api/v1/audit-events?action=credentials.resealed')).body;
    expect(events[0].details).toEqual({ resealed: 1, unreadable: 0 });
    await apps.pop()!.close();

    const onlyB = await start({
      BROKER_SEAL_PUBLIC_KEY: keyB.publicKey,
      BROKER_SEAL_PRIVATE_KEY: keyB.privateKey,
    });
    expect(await reveal(onlyB)).toBe('password-under-key-a');
  });
});
