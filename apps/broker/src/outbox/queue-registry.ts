import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { redisConnectionOptions } from '../config/redis';

/** Producer side of every queue the broker writes to, including one per connector. */
@Injectable()
export class QueueRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueRegistry.name);
  private readonly queues = new Map<string, Queue>();
  private closed = false;

  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {}

  get(name: string): Queue {
    // A queue made after shutdown would never be closed (and keep the process alive).
    if (this.closed) throw new Error(`the broker is shutting down: queue ${name} is closed`);
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: redisConnectionOptions(this.config.REDIS_URL),
        prefix: this.config.REDIS_PREFIX,
      });
      // Without a listener an 'error' event (Redis gone, connection closed) would be thrown.
      q.on('error', (err) => this.logger.warn({ err, queue: name }, 'queue connection error'));
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Closes every queue once its connection is set up (briefly awaited): BullMQ closing a
   * connection still initialising lets the aborted set-up raise an 'error' with no listener left.
   */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(
      [...this.queues.values()].map(async (q) => {
        await Promise.race([
          q.waitUntilReady().catch(() => undefined),
          new Promise((r) => setTimeout(r, 2000).unref()),
        ]);
        await q.close();
      }),
    );
    this.queues.clear();
  }
}
