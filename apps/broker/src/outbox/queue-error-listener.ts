import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { RESULTS_QUEUE, TIMERS_QUEUE } from '@doorman/contracts';
import type { Queue } from 'bullmq';
import { NOTIFICATIONS_QUEUE, REQUEST_TIMERS_QUEUE } from './broker-jobs';

/** The broker's own BullMQ queues, registered for their processors. */
export const BROKER_QUEUES = [
  RESULTS_QUEUE,
  TIMERS_QUEUE,
  REQUEST_TIMERS_QUEUE,
  NOTIFICATIONS_QUEUE,
];

/**
 * Queues registered through @nestjs/bullmq get no 'error' listener, and an EventEmitter
 * 'error' without one is thrown (a Redis restart would crash the broker): log instead.
 */
@Injectable()
export class QueueErrorListener implements OnApplicationBootstrap {
  private readonly logger = new Logger(QueueErrorListener.name);

  constructor(private readonly moduleRef: ModuleRef) {}

  onApplicationBootstrap(): void {
    for (const name of BROKER_QUEUES) {
      let queue: Queue | undefined;
      try {
        queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      } catch {
        continue;
      }
      queue.on('error', (err) => this.logger.warn({ err, queue: name }, 'queue connection error'));
    }
  }
}
