import type { Logger } from 'pino';
import { CONTRACT_VERSION } from '@doorman/contracts';
import { CONNECTOR_VERSION } from '../config/connector.config';
import type { TargetClient } from '../postgres/target-client';
import type { ResultsPublisher } from './results.publisher';

/** Tells the broker this connector is alive and which PostgreSQL it reaches. */
export class HeartbeatService {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  /** When the last heartbeat reached the results queue (the connector's metrics read it). */
  lastSentAt: Date | null = null;

  constructor(
    private readonly connectorId: string,
    private readonly intervalMs: number,
    private readonly target: TargetClient,
    private readonly results: ResultsPublisher,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private tick(): void {
    this.inFlight = this.beat().catch((err: unknown) =>
      this.logger.warn({ err }, 'heartbeat could not be sent'),
    );
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
