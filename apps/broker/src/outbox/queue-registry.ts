import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { redisConnectionOptions } from '../config/redis';

/** Producer side of every queue the broker writes to, including one per connector. */
@Injectable()
export class QueueRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueRegistry.name);
  private readonly queues = new Map<string, Queue>();

  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {}

  get(name: string): Queue {
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

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
