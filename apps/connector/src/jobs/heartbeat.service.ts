import type { Logger } from 'pino';
import { CONTRACT_VERSION } from '@doorman/contracts';
import { CONNECTOR_VERSION } from '../config/connector.config';
import { Periodic } from './periodic';
import type { ResultsPublisher } from './results.publisher';

/** What a heartbeat reads of one target (a Target). */
export interface HeartbeatTarget {
  readonly integrationId: string | undefined;
  readonly label: string;
  readonly client: { serverVersion(): Promise<string> };
  readonly logger: Logger;
}

/**
 * Tells the broker this connector is alive and which PostgreSQL it reaches: one heartbeat per
 * target, naming its integration when the connector serves several (a targets file).
 */
export class HeartbeatService {
  private readonly periodic: Periodic;
  /** When the last heartbeat reached the results queue (the connector's metrics read it). */
  lastSentAt: Date | null = null;
  /** Whether each target (by label) answered the last heartbeat's probe. */
  readonly reachable = new Map<string, boolean>();

  constructor(
    private readonly connectorId: string,
    intervalMs: number,
    private readonly targets: readonly HeartbeatTarget[],
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
    // Probed together: a target that hangs delays nobody else's heartbeat by more than its own.
    await Promise.all(this.targets.map((t) => this.beatOne(t)));
    this.lastSentAt = new Date();
  }

  private async beatOne(target: HeartbeatTarget): Promise<void> {
    let serverVersion: string | undefined;
    try {
      serverVersion = (await target.client.serverVersion()).slice(0, 100);
      this.reachable.set(target.label, true);
    } catch (err) {
      // Still report: a connector that cannot reach its database is news for the broker.
      this.reachable.set(target.label, false);
      target.logger.warn({ err }, 'target database unreachable for heartbeat');
    }
    const { integrationId } = target;
    await this.results.publish(
      {
        v: CONTRACT_VERSION,
        kind: 'heartbeat',
        connectorId: this.connectorId,
        version: CONNECTOR_VERSION,
        at: new Date().toISOString(),
        serverVersion,
        ...(integrationId ? { integrationId } : {}),
      },
      // One heartbeat per target waits at a time: while the broker is away they do not pile up.
      integrationId
        ? `heartbeat-${this.connectorId}-${integrationId}`
        : `heartbeat-${this.connectorId}`,
    );
  }
}
