import { Queue } from 'bullmq';
import {
  ConnectorMessageSchema,
  describeIssues,
  connectorResultsQueueName,
  type ConnectorMessage,
} from '@doorman/contracts';
import type { ConnectorConfig } from '../config/connector.config';
import { redisConnectionOptions } from '../config/redis';

/**
 * Sends results and heartbeats to the broker on this connector's durable results queue
 * (one per connector: only this connector may write it, so the broker knows the sender by it).
 * Every message is validated against the contract before it leaves.
 */
export class ResultsPublisher {
  private readonly queue: Queue;

  constructor(config: ConnectorConfig) {
    this.queue = new Queue(connectorResultsQueueName(config.connectorId), {
      connection: redisConnectionOptions(config.redisUrl),
      prefix: config.redisPrefix,
    });
  }

  async publish(message: ConnectorMessage, jobId?: string): Promise<void> {
    const parsed = ConnectorMessageSchema.safeParse(message);
    if (!parsed.success) {
      throw new TypeError(
        `connector produced an invalid ${message.kind} message: ${describeIssues(parsed.error)}`,
      );
    }
    await this.queue.add(parsed.data.kind, parsed.data, {
      jobId: jobId?.replace(/:/g, '_'),
      removeOnComplete: true,
      // The broker may be briefly unable to record a result (its database restarting):
      // it retries rather than forgetting a grant's outcome.
      attempts: 25,
      backoff: { type: 'exponential', delay: 500 },
      removeOnFail: { age: 7 * 86400 },
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
