import { generateSealKeyPair } from '@doorman/crypto';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { Client } from 'pg';
import type { BrokerConfig } from '../../apps/broker/src/config/broker.config';
import { BrokerConfigSchema } from '../../apps/broker/src/config/broker.config';

/** The machine's shared services: PostgreSQL with trust auth, Redis. */
export const SHARED_PG = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const SHARED_REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BrokerTestEnv {
  config: BrokerConfig;
  /** Environment variables for a broker process (and the public key for a connector). */
  env: Record<string, string>;
  databaseUrl: string;
  redisPrefix: string;
  adminToken: string;
  dispose(): Promise<void>;
}

/** A fresh broker database and Redis prefix, so test files never see each other's state. */
export async function createBrokerTestEnv(
  overrides: Record<string, string> = {},
): Promise<BrokerTestEnv> {
  const id = randomBytes(5).toString('hex');
  const dbName = `doorman_test_${id}`;
  const admin = new Client({ connectionString: `${SHARED_PG}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  const keys = generateSealKeyPair();
  const adminToken = `test-admin-${randomBytes(16).toString('hex')}`;
  const redisPrefix = `{doorman-test-${id}}`;
  const env: Record<string, string> = {
    DATABASE_URL: `${SHARED_PG}/${dbName}`,
    REDIS_URL: SHARED_REDIS,
    REDIS_PREFIX: redisPrefix,
    PORT: '0',
    BOOTSTRAP_ADMIN_TOKEN: adminToken,
    BROKER_SEAL_PUBLIC_KEY: keys.publicKey,
    BROKER_SEAL_PRIVATE_KEY: keys.privateKey,
    SWEEP_INTERVAL_MS: '1000',
    // Tests poll the API quickly; the rate-limit test sets its own small limit.
    RATE_LIMIT_PER_MINUTE: '100000',
    SLACK_RATE_LIMIT_PER_MINUTE: '100000',
    OUTBOX_POLL_MS: '200',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
  return {
    config: BrokerConfigSchema.parse(env),
    env,
    databaseUrl: env.DATABASE_URL,
    redisPrefix,
    adminToken,
    async dispose() {
      await deleteRedisPrefix(redisPrefix);
      const c = new Client({ connectionString: `${SHARED_PG}/postgres` });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function redisKeysAndValues(
  prefix: string,
): Promise<Array<{ key: string; value: string }>> {
  const redis = new IORedis(SHARED_REDIS);
  try {
    const out: Array<{ key: string; value: string }> = [];
    const keys = await redis.keys(`${prefix}*`);
    for (const key of keys) {
      const type = await redis.type(key);
      let value = '';
      if (type === 'string') value = (await redis.get(key)) ?? '';
      else if (type === 'hash') value = JSON.stringify(await redis.hgetall(key));
      else if (type === 'list') value = JSON.stringify(await redis.lrange(key, 0, -1));
      else if (type === 'set') value = JSON.stringify(await redis.smembers(key));
      else if (type === 'zset') value = JSON.stringify(await redis.zrange(key, 0, -1));
      else if (type === 'stream') value = JSON.stringify(await redis.xrange(key, '-', '+'));
      out.push({ key, value });
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new IORedis(SHARED_REDIS);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** Polls until `check` returns a value (not undefined/false) or the time runs out. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
