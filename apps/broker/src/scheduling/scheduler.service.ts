import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import {
  RETIRED_SCHEDULES,
  SCHEDULE_NAMES,
  SCHEDULES_QUEUE,
  scheduleTable,
  type ScheduleTable,
} from './schedules';

/**
 * How often each replica checks that the schedulers still exist. They live in Redis: a flushed
 * Redis loses them with every job, and the sweepers are what rebuild the rest.
 */
const KEEP_EVERY_MS = 5000;

/**
 * Declares the schedules at boot: one BullMQ job scheduler per enabled schedule (an upsert, so
 * every replica may do it and the cluster still has one), and none for a disabled one.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SchedulerService.name);
  private readonly table: ScheduleTable;
  private keeper: NodeJS.Timeout | null = null;
  private keeping: Promise<void> | null = null;

  constructor(
    @InjectQueue(SCHEDULES_QUEUE) private readonly queue: Queue,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
  ) {
    this.table = scheduleTable(config);
  }

  onApplicationBootstrap(): void {
    // Not awaited: a Redis that is away must not hold the broker's boot (BullMQ waits for it).
    this.keep(true);
    this.keeper = setInterval(() => this.keep(false), KEEP_EVERY_MS);
    this.keeper.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.keeper) clearInterval(this.keeper);
    this.keeper = null;
    await this.keeping;
  }

  private keep(declare: boolean): void {
    if (this.keeping) return;
    this.keeping = this.ensure(declare)
      .catch((err: unknown) => this.logger.warn({ err }, 'could not declare the schedules'))
      .finally(() => (this.keeping = null));
  }

  /**
   * Upserts every enabled schedule (all of them when `declare`, else only the missing) and
   * removes the disabled ones. An upsert of an unchanged scheduler keeps its next run's time.
   */
  async ensure(declare = true): Promise<void> {
    const existing = new Set((await this.queue.getJobSchedulers()).map((s) => s.key));
    for (const name of RETIRED_SCHEDULES)
      if (existing.has(name)) await this.queue.removeJobScheduler(name);
    for (const name of SCHEDULE_NAMES) {
      const every = this.table[name];
      if (every === null) {
        if (existing.has(name)) await this.queue.removeJobScheduler(name);
        continue;
      }
      if (!declare && existing.has(name)) continue;
      if (!declare)
        this.logger.warn({ schedule: name }, 'schedule was missing in Redis: declared again');
      await this.queue.upsertJobScheduler(
        name,
        { every },
        {
          name,
          data: {},
          opts: {
            // The next period is the retry: a failed run is kept (and counted), not repeated.
            attempts: 1,
            removeOnComplete: { age: 3600, count: 1000 },
            removeOnFail: { age: 7 * 86400, count: 1000 },
          },
        },
      );
    }
  }
}
