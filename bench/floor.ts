import { createHash, randomUUID } from 'node:crypto';
import { CONTRACT_VERSION, type GroupGrant, type SyncUserJob } from '@doorman/contracts';
import { generatePassword, scramSha256Verifier } from '@doorman/crypto';
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import pino from 'pino';
import { sslOptions } from '../apps/connector/src/config/connector.config';
import { GroupRolesService } from '../apps/connector/src/postgres/group-roles.service';
import { renderRoleOps } from '../apps/connector/src/postgres/role-ops';
import { planSync } from '../apps/connector/src/postgres/sync-planner';
import { TargetClient, userLockKey } from '../apps/connector/src/postgres/target-client';
import {
  readRoleState,
  readServer,
  terminateSessions,
} from '../apps/connector/src/postgres/user-sync.service';
import { redisConnectionOptions } from '../apps/broker/src/config/redis';
import { mapLimit } from './stats';

/**
 * The floor Doorman is measured against: the very SQL the connector runs for a
 * grant and a revoke — the group check, the user transaction under its advisory lock, session
 * termination — issued directly with `pg`, no broker, no queue, no password hashing. One pool
 * connection per database (`connections` of them for the burst floors).
 */
export class SqlFloor {
  private readonly target: TargetClient;
  private readonly groups: GroupRolesService;
  private readonly verifier = scramSha256Verifier(generatePassword());
  private readonly integrationId = randomUUID();

  constructor(
    host: string,
    port: number,
    password: string,
    connections: number,
    private readonly grants: GroupGrant[],
  ) {
    this.target = new TargetClient(
      {
        host,
        port,
        user: 'postgres',
        password,
        database: 'postgres',
        sslMode: 'require',
        ssl: sslOptions('require', undefined),
      },
      15000,
      connections,
      pino({ level: 'silent' }),
    );
    this.groups = new GroupRolesService(this.target);
  }

  private job(username: string, login: boolean): SyncUserJob {
    return {
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      integrationId: this.integrationId,
      // The role's comment names its person: the revoke must come from the same one.
      personId: uuidFrom(username),
      personEmail: `${username}@bench.local`,
      username,
      generation: login ? 1 : 2,
      login,
      groups: login ? this.grants : [],
      validUntil: null,
      startingDurationSeconds: login ? 3600 : null,
      connectionLimit: 5,
      rotatePassword: login,
    };
  }

  /** One person's grant (a new user) or revoke, exactly as the connector does it; ms taken. */
  async run(username: string, login: boolean): Promise<number> {
    const t0 = performance.now();
    const job = this.job(username, login);
    await this.groups.ensureBaseRoles();
    if (login)
      await this.groups.ensureGroups('app', this.grants, { jobKind: 'floor', shortId: 'f' });
    const plan = await this.target.transaction(
      this.target.adminDatabase,
      { jobKind: 'floor', shortId: 'f', lockKey: userLockKey(username) },
      async (tx) => {
        const server = await readServer(tx);
        const p = planSync(job, await readRoleState(tx, username), server);
        if (p.kind !== 'apply')
          throw new Error(
            `floor: unexpected plan ${p.kind} for ${username}: ${JSON.stringify(p).slice(0, 300)}`,
          );
        for (const s of renderRoleOps(username, p.ops, login ? this.verifier : undefined))
          await tx.run(s);
        return { p, server };
      },
    );
    if (plan.p.terminateSessions) await terminateSessions(this.target, username);
    return performance.now() - t0;
  }

  /** `count` grants then their revokes, `concurrency` at a time: wall time of each phase (ms). */
  async burst(prefix: string, count: number, concurrency: number) {
    const names = Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
    let t = performance.now();
    await mapLimit(names, concurrency, (n) => this.run(n, true));
    const grantMs = performance.now() - t;
    t = performance.now();
    await mapLimit(names, concurrency, (n) => this.run(n, false));
    const revokeMs = performance.now() - t;
    return { grantMs, revokeMs };
  }

  async close(): Promise<void> {
    await this.target.close();
  }
}

/** A bare BullMQ round trip: add → worker → completion seen by the producer (ms each). */
export async function bullmqHop(redisUrl: string, prefix: string, count: number) {
  const connection = redisConnectionOptions(redisUrl);
  const name = `bench-hop-${randomUUID()}`;
  const queue = new Queue(name, { connection, prefix });
  const events = new QueueEvents(name, { connection, prefix });
  const worker = new Worker(name, (job: Job) => Promise.resolve(job.data as unknown), {
    connection,
    prefix,
  });
  await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
  const out: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const job = await queue.add('hop', { i });
      await job.waitUntilFinished(events, 5000);
      out.push(performance.now() - t0);
    }
  } finally {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  return out;
}

function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
