import type { INestApplication } from '@nestjs/common';
import { createBrokerApp } from '../../apps/broker/src/bootstrap';
import { ApiClient } from './api-client';
import { waitFor, type BrokerTestEnv } from './broker-env';
import { AppProcess } from './processes';
import type { TargetPostgres } from './target-postgres';

/**
 * Starting the broker and connectors the way every test does, in one place: the broker in
 * this process (integration tests) or as the built app (end to end), and connectors pointed at
 * a target cluster with its CA checked.
 */

/** The broker in this test's process on a free loopback port, with the bootstrap admin's client. */
export async function startBrokerApp(
  env: BrokerTestEnv,
): Promise<{ app: INestApplication; admin: ApiClient; url: string }> {
  const app = await createBrokerApp(env.config);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, admin: new ApiClient(url, env.adminToken), url };
}

/**
 * The built broker as its own process on `port`, resolved once it serves /health; a broker
 * that exits while starting fails at once with its last output.
 */
export async function startBrokerProcess(
  env: BrokerTestEnv,
  port: number,
  overrides: Record<string, string> = {},
  name = 'broker',
): Promise<AppProcess> {
  const broker = AppProcess.start(name, 'apps/broker/src/main.js', {
    ...env.env,
    PORT: String(port),
    ...overrides,
  });
  const health = new ApiClient(`http://127.0.0.1:${port}`);
  try {
    await waitFor(
      `the ${name} to serve /health`,
      async () => {
        if (!broker.running) throw new Error(`the ${name} exited:\n${broker.output.slice(-2000)}`);
        return (await health.get('/health')).status === 200;
      },
      30000,
      100,
    );
  } catch (e) {
    await broker.stop();
    throw e;
  }
  return broker;
}

/** What a connector process needs to work for `env`'s broker on `target` (superuser, verify-full). */
export function connectorEnv(
  env: BrokerTestEnv,
  target: TargetPostgres,
  connectorId: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    REDIS_URL: env.env.REDIS_URL,
    REDIS_PREFIX: env.redisPrefix,
    CONNECTOR_ID: connectorId,
    TARGET_DATABASE_URL: target.superuserUrl('postgres'),
    PGSSLMODE: 'verify-full',
    PGSSLROOTCERT: target.caFile,
    BROKER_SEAL_PUBLIC_KEY: env.env.BROKER_SEAL_PUBLIC_KEY,
    HEARTBEAT_INTERVAL_MS: '1000',
    ...overrides,
  };
}

/** The built connector as its own process (see connectorEnv). */
export function startConnectorProcess(
  env: BrokerTestEnv,
  target: TargetPostgres,
  connectorId: string,
  overrides: Record<string, string> = {},
): AppProcess {
  return AppProcess.start(
    'connector',
    'apps/connector/src/main.js',
    connectorEnv(env, target, connectorId, overrides),
  );
}

/** Resolves once the broker reports the connector's heartbeat. */
export async function connectorHealthy(api: ApiClient, connectorId: string): Promise<void> {
  await waitFor(
    'the connector heartbeat',
    async () =>
      (await api.get('/health')).body.connectors?.some(
        (c: { id: string; healthy: boolean }) => c.id === connectorId && c.healthy,
      ),
    30000,
    200,
  );
}
