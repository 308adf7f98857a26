import { connectorQueueName } from '@doorman/contracts';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { redisConnectionOptions } from '../../apps/broker/src/config/redis';
import { SCHEDULES_QUEUE, type ScheduleName } from '../../apps/broker/src/scheduling/schedules';

/**
 * How many runs of one of the broker's periodic jobs finished after `since` (epoch ms), from
 * BullMQ's completed set: a test waits for "the sweeper has run twice since" instead of
 * sleeping for two periods and hoping.
 */
export async function scheduledRunsSince(
  redis: { url: string; prefix: string },
  name: ScheduleName,
  since: number,
): Promise<number> {
  const queue = new Queue(SCHEDULES_QUEUE, {
    connection: redisConnectionOptions(redis.url),
    prefix: redis.prefix,
  });
  try {
    const done = await queue.getJobs(['completed'], 0, 999);
    return done.filter((j) => j.name === name && (j.finishedOn ?? 0) > since).length;
  } finally {
    await queue.close();
  }
}

/** Jobs the broker has written to its outbox and not yet handed to Redis. */
export async function outboxBacklog(databaseUrl: string): Promise<number> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox')).rows[0].n;
  } finally {
    await db.end();
  }
}

/** Jobs of a connector's queue still to run (waiting, prioritized or running; not delayed). */
export async function connectorJobsPending(
  redis: { url: string; prefix: string },
  connectorId: string,
): Promise<number> {
  const queue = new Queue(connectorQueueName(connectorId), {
    connection: redisConnectionOptions(redis.url),
    prefix: redis.prefix,
  });
  try {
    const counts = await queue.getJobCounts('wait', 'prioritized', 'active');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
  }
}
