import type { Logger } from 'pino';
import { CONTRACT_VERSION } from '@doorman/contracts';
import { CONNECTOR_VERSION } from '../config/connector.config';
import type { TargetClient } from '../postgres/target-client';
import { Periodic } from './periodic';
import type { ResultsPublisher } from './results.publisher';

/** Tells the broker this connector is alive and which PostgreSQL it reaches. */
export class HeartbeatService {
  private readonly periodic: Periodic;
  /** When the last heartbeat reached the results queue (the connector's metrics read it). */
  lastSentAt: Date | null = null;

  constructor(
    private readonly connectorId: string,
    intervalMs: number,
    private readonly target: TargetClient,
    private readonly results: ResultsPublisher,
    private readonly logger: Logger,
  ) {
    this.periodic = new Periodic(
      intervalMs,
      () => this.beat(),
      (err) => this.logger.warn({ err }, 'heartbeat could not be sent'),
    );
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  async beat(): Promise<void> {
    let serverVersion: string | undefined;
    try {
      serverVersion = (await this.target.serverVersion()).slice(0, 100);
    } catch (err) {
      // Still report: a connector that cannot reach its database is news for the broker.
      this.logger.warn({ err }, 'target database unreachable for heartbeat');
    }
    await this.results.publish(
      {
        v: CONTRACT_VERSION,
        kind: 'heartbeat',
        connectorId: this.connectorId,
        version: CONNECTOR_VERSION,
        at: new Date().toISOString(),
        serverVersion,
      },
      // One heartbeat waits at a time: while the broker is away they do not pile up.
      `heartbeat-${this.connectorId}`,
    );
    this.lastSentAt = new Date();
  }
}
