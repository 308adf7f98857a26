/**
 * The floors every figure is set beside, measured first in the same run: the connector's own
 * SQL for a grant and a revoke at one connection and at the connector's concurrency, a bare
 * BullMQ round trip, and — for the credentials scenario — `CREATE ROLE … LOGIN PASSWORD … IN
 * ROLE <group>` straight on the target at the credential workers' concurrency, as long as they run.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import type { BrokerTestEnv } from '../../test/support/broker-env';
import type { TargetPostgres } from '../../test/support/target-postgres';
import { SqlFloor, bullmqHop } from '../floor';
import { CONCURRENCY, COUNTS, floorLine, log, type Floors } from '../harness';
import { round, summarize } from '../stats';

export async function floors(t: TargetPostgres, env: BrokerTestEnv): Promise<Floors> {
  const grants = [{ database: 'app', schema: 'public', permission: 'read' as const }];
  const one = new SqlFloor('127.0.0.1', t.port, t.superuserPassword, 1, grants);
  await one.run('floor_warm', true);
  await one.run('floor_warm', false);
  const floorGrant: number[] = [];
  const floorRevoke: number[] = [];
  for (let i = 0; i < 150; i++) floorGrant.push(await one.run(`floor_seq_${i}`, true));
  for (let i = 0; i < 150; i++) floorRevoke.push(await one.run(`floor_seq_${i}`, false));
  await one.close();
  const many = new SqlFloor('127.0.0.1', t.port, t.superuserPassword, CONCURRENCY, grants);
  const burst = await many.burst('floor_burst', COUNTS.burst, CONCURRENCY);
  await many.close();
  const hop = summarize(await bullmqHop(env.env.REDIS_URL, env.redisPrefix, 300));
  const f: Floors = {
    grantSqlMs: summarize(floorGrant),
    revokeSqlMs: summarize(floorRevoke),
    burstGrantSqlMs: round(burst.grantMs),
    burstRevokeSqlMs: round(burst.revokeMs),
    bullmqHopMs: hop,
    connections: CONCURRENCY,
    createRole: await createRoleFloor(t, COUNTS.credentialWorkers, COUNTS.credentialSeconds),
  };
  log(floorLine(f));
  return f;
}

/**
 * What PostgreSQL allows for a credential: a new login role in a group, as vault-benchmark's
 * PostgreSQL test makes one (the password sent in clear, hashed by the server), `connections`
 * at a time for `seconds`.
 */
async function createRoleFloor(t: TargetPostgres, connections: number, seconds: number) {
  const pool = new Pool({
    host: '127.0.0.1',
    port: t.port,
    user: 'postgres',
    password: t.superuserPassword,
    database: 'postgres',
    max: connections,
    ssl: { rejectUnauthorized: false },
  });
  await pool.query('CREATE ROLE bench_vault_group NOLOGIN');
  const times: number[] = [];
  let k = 0;
  const end = Date.now() + seconds * 1000;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const c = await pool.connect();
      try {
        while (Date.now() < end) {
          const name = `vault_floor_${k++}`;
          const pw = randomBytes(15).toString('base64url');
          const q0 = performance.now();
          await c.query(
            `CREATE ROLE "${name}" LOGIN PASSWORD '${pw}' VALID UNTIL 'infinity' IN ROLE bench_vault_group`,
          );
          times.push(performance.now() - q0);
        }
      } finally {
        c.release();
      }
    }),
  );
  const wall = Date.now() - t0;
  await pool.end();
  const s = summarize(times);
  return { perSecond: round((times.length / wall) * 1000), mean: s.mean, p99: s.p99, connections };
}
