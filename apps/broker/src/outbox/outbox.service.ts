import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { connectorQueueName } from '@doorman/contracts';
import { DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SYNC_JOB_OPTIONS, TIMER_JOB_OPTIONS } from './job-options';
import { OutboxEntity } from './outbox.entity';
import { QueueRegistry } from './queue-registry';

export interface OutboxJob {
  queue: string;
  jobName: string;
  jobId: string;
  payload: Record<string, unknown>;
  runAt?: Date | null;
}

const MAX_DIRECT_IN_FLIGHT = 64;

/**
 * The transactional outbox (DESIGN §5). `add` writes inside the caller's transaction; the relay
 * moves rows to BullMQ with their deterministic ids and deletes them. A crash between the two
 * re-enqueues the same id, which BullMQ ignores; a flushed Redis is rebuilt by the sweeper.
 */
@Injectable()
export class OutboxService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxService.name);
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
  ) {}

  private directInFlight = 0;
  /** Rows written by each open transaction, for `relayWritten` once it has committed. */
  private readonly written = new WeakMap<EntityManager, Array<OutboxJob & { id: string }>>();

  async add(em: EntityManager, job: OutboxJob): Promise<void> {
    await this.addMany(em, [job]);
  }

  /** Several rows in one INSERT (a revoke-all writes one sync per person). */
  async addMany(em: EntityManager, jobs: readonly OutboxJob[]): Promise<void> {
    const rows = jobs.map((job): QueryDeepPartialEntity<OutboxEntity> => ({
      queue: job.queue,
      jobName: job.jobName,
      jobId: job.jobId,
      payload: job.payload as object,
      runAt: job.runAt ?? null,
    }));
    const mine = this.written.get(em) ?? [];
    this.written.set(em, mine);
    // Bounded statements: 5 parameters a row, PostgreSQL takes at most 65,535.
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const result = await em.getRepository(OutboxEntity).insert(chunk);
      result.identifiers.forEach((ident, k) =>
        mine.push({ ...jobs[i + k], id: String(ident?.id) }),
      );
    }
  }

  /**
   * The jobs `em`'s transaction wrote, taken once it has committed: `relayWritten` enqueues
   * them at once, without waiting for the relay's next transaction.
   */
  takeWritten(em: EntityManager): Array<OutboxJob & { id: string }> {
    const rows = this.written.get(em) ?? [];
    this.written.delete(em);
    return rows;
  }

  /**
   * Enqueues rows a committed transaction wrote and deletes them: one BullMQ call per queue and
   * one DELETE, no transaction. Safe beside the relay: a row both enqueue is one job (the same
   * deterministic id); if this fails the rows stay and the relay moves them.
   */
  async relayWritten(rows: ReadonlyArray<OutboxJob & { id: string }>): Promise<void> {
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
        await this.dataSource.getRepository(OutboxEntity).delete(chunk.map((r) => r.id));
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
   * moved (a broker that stopped after its commit, a Redis that was away).
   */
  async poll(): Promise<void> {
    this.kick();
    await this.running;
  }

  /** Relay now (called after a commit that wrote outbox rows); coalesces concurrent calls. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err: unknown) => this.logger.warn({ err }, 'outbox relay failed; will retry'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const moved = await this.relayBatch(200);
      if (moved < 200 || this.stopped) return;
    }
  }

  private async relayBatch(limit: number): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      const rows = await em
        .getRepository(OutboxEntity)
        .createQueryBuilder('o')
        .orderBy('o.id', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      if (rows.length === 0) return 0;
      await this.enqueue(rows);
      await em.getRepository(OutboxEntity).delete(rows.map((r) => r.id));
      return rows.length;
    });
  }

  private async enqueue(rows: ReadonlyArray<OutboxJob>): Promise<void> {
    const byQueue = new Map<string, OutboxJob[]>();
    for (const r of rows) byQueue.set(r.queue, [...(byQueue.get(r.queue) ?? []), r]);
    const now = Date.now();
    for (const [queue, jobs] of byQueue) {
      // Connector queues carry syncs that retry for ever; the broker's own queues carry timers.
      const opts = queue.startsWith(connectorQueueName('')) ? SYNC_JOB_OPTIONS : TIMER_JOB_OPTIONS;
      await this.queues.get(queue).addBulk(
        jobs.map((j) => ({
          name: j.jobName,
          data: j.payload,
          opts: {
            ...opts,
            jobId: j.jobId,
            delay: j.runAt ? Math.max(0, j.runAt.getTime() - now) : undefined,
          },
        })),
      );
    }
  }
}
