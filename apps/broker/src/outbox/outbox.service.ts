import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { connectorQueueName } from '@doorman/contracts';
import { AfterCommit } from '../database/after-commit';
import { NOTIFICATIONS_QUEUE, route, type OutboxJob, type Routed } from './broker-jobs';
import { NOTIFY_JOB_OPTIONS, SYNC_JOB_OPTIONS, TIMER_JOB_OPTIONS } from './job-options';
import { OutboxRepository, type OutboxRow } from './outbox.repository';
import { QueueRegistry } from './queue-registry';

export type { OutboxJob } from './broker-jobs';

type Written = OutboxRow & { id: string };

const MAX_DIRECT_IN_FLIGHT = 64;

/**
 * The scheduled poll leaves rows younger than this to the direct relay that is moving them
 * (milliseconds after their commit, normally): taking them too enqueued every job twice and
 * held their row locks while it did, so the direct relay's DELETE — and the pool connection it
 * holds — waited on the poll's transaction (seen under load as `Lock:transactionid` waits on
 * `DELETE FROM outbox`). A relay kicked for a reason (boot, a direct relay that failed, more
 * rows than it may hold) takes every row at once.
 */
export const POLL_GRACE_MS = 2_000;

/**
 * The transactional outbox. `add` writes inside the ambient transaction; once it commits the
 * rows are enqueued at once with their deterministic ids and deleted, and the relay moves any
 * left behind (a broker that stopped after its commit, a Redis that was away). A crash between
 * enqueue and delete re-enqueues the same id, which BullMQ ignores; a flushed Redis is rebuilt
 * by the sweepers.
 */
@Injectable()
export class OutboxService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxService.name);
  private running: Promise<void> | null = null;
  private again = false;
  /** The pass asked for next takes every row (not only those past POLL_GRACE_MS). */
  private takeAll = false;
  private stopped = false;
  private directInFlight = 0;

  constructor(
    private readonly rows: OutboxRepository,
    private readonly queues: QueueRegistry,
    private readonly afterCommit: AfterCommit,
  ) {}

  async add(job: OutboxJob): Promise<void> {
    await this.addMany([job]);
  }

  /**
   * Several rows in one INSERT (a revoke-all writes one sync per person), in the ambient
   * transaction: they commit, and leave, with the change that implies them.
   */
  async addMany(jobs: readonly OutboxJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const rows = jobs.map((j): OutboxRow => ({
      ...route(j.job),
      jobId: j.jobId,
      runAt: j.runAt ?? null,
    }));
    const ids = await this.rows.insert(rows);
    const written = rows.map((r, k): Written => ({ ...r, id: ids[k] }));
    // Not awaited: with Redis away the enqueue waits for it, and the caller (an HTTP request,
    // a result) must not; the rows are committed, so they are not lost either way.
    this.afterCommit.run(this.rows.manager(), () => void this.relayWritten(written));
  }

  /**
   * Enqueues rows a committed transaction wrote and deletes them: one BullMQ call per queue and
   * one DELETE, no transaction. Safe beside the relay: a row both enqueue is one job (the same
   * deterministic id); if this fails the rows stay and the relay moves them.
   */
  async relayWritten(rows: readonly Written[]): Promise<void> {
    if (rows.length === 0 || this.stopped) return;
    // Redis away: BullMQ's calls wait for it (they never give up), so beyond a few waiting
    // direct relays the rows are left to the relay, which coalesces.
    if (this.directInFlight >= MAX_DIRECT_IN_FLIGHT) {
      this.kick();
      return;
    }
    this.directInFlight++;
    try {
      // A thousand at a time: one BullMQ call and one DELETE (bound ids) each.
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000);
        await this.enqueue(chunk);
        await this.rows.delete(chunk.map((r) => r.id));
      }
    } catch (err) {
      this.logger.warn({ err }, 'direct relay failed; the relay will move the rows');
      this.kick();
    } finally {
      this.directInFlight--;
    }
  }

  /** Rows a stopped broker left behind move at once; later, every OUTBOX_POLL_MS (`poll`). */
  onApplicationBootstrap(): void {
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /**
   * One relay pass, awaited: the `outbox-poll` schedule's safety net for rows no direct relay
   * moved (a broker that stopped after its commit, a Redis that was away) — those older than
   * POLL_GRACE_MS; younger ones are still being moved by their direct relay.
   */
  async poll(): Promise<void> {
    this.start(false);
    await this.running;
  }

  /** Relay every row now (boot, a direct relay that failed or was not started); coalesces. */
  kick(): void {
    this.start(true);
  }

  private start(all: boolean): void {
    if (this.stopped) return;
    if (all) this.takeAll = true;
    if (this.running) {
      this.again = true;
      return;
    }
    const minAgeMs = this.takeAll ? 0 : POLL_GRACE_MS;
    this.takeAll = false;
    this.running = this.drain(minAgeMs)
      .catch((err: unknown) => this.logger.warn({ err }, 'outbox relay failed; will retry'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.start(false);
        }
      });
  }

  private async drain(minAgeMs: number): Promise<void> {
    for (;;) {
      const moved = await this.relayBatch(200, minAgeMs);
      if (moved < 200 || this.stopped) return;
    }
  }

  @Transactional()
  private async relayBatch(limit: number, minAgeMs: number): Promise<number> {
    const rows = await this.rows.lockOldest(limit, minAgeMs);
    if (rows.length === 0) return 0;
    await this.enqueue(rows);
    await this.rows.delete(rows.map((r) => r.id));
    return rows.length;
  }

  private async enqueue(
    rows: ReadonlyArray<Routed & Pick<OutboxRow, 'jobId' | 'runAt'>>,
  ): Promise<void> {
    const byQueue = new Map<string, Array<(typeof rows)[number]>>();
    for (const r of rows) byQueue.set(r.queue, [...(byQueue.get(r.queue) ?? []), r]);
    const now = Date.now();
    for (const [queue, jobs] of byQueue) {
      await this.queues.get(queue).addBulk(
        jobs.map((j) => ({
          name: j.jobName,
          data: j.payload,
          opts: {
            ...optionsOf(queue),
            jobId: j.jobId,
            delay: j.runAt ? Math.max(0, j.runAt.getTime() - now) : undefined,
          },
        })),
      );
    }
  }
}

/** Connector queues carry syncs that retry for ever; Slack notices back off; the rest are timers. */
function optionsOf(queue: string) {
  if (queue.startsWith(connectorQueueName(''))) return SYNC_JOB_OPTIONS;
  if (queue === NOTIFICATIONS_QUEUE) return NOTIFY_JOB_OPTIONS;
  return TIMER_JOB_OPTIONS;
}
