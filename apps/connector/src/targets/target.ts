import type { Logger } from 'pino';
import { loadSealPublicKey } from '@doorman/crypto';
import type { ConnectorConfig, TargetConfig } from '../config/connector.config';
import { DiscoveryService } from '../jobs/discovery.service';
import { InventoryService } from '../jobs/inventory.service';
import type { ResultsPublisher } from '../jobs/results.publisher';
import { SessionObserverService } from '../jobs/session-observer.service';
import { AdminRotationService } from '../postgres/admin-rotation.service';
import { GroupRolesService } from '../postgres/group-roles.service';
import { TargetClient } from '../postgres/target-client';
import { UserCleanupService } from '../postgres/user-cleanup.service';
import { UserSyncService } from '../postgres/user-sync.service';
import { TargetGate } from './target-gate';

/**
 * Jobs one target holds at once, as a multiple of CONNECTOR_CONCURRENCY. Syncs that end access
 * wait to be applied together (UserSyncService), so a target takes more jobs than it runs.
 */
export const HELD_PER_SLOT = 8;

/** What names the env-configured target (no integration id) in logs and metrics. */
export const DEFAULT_TARGET_LABEL = 'default';

/**
 * One server this connector serves, with everything that is per server: its pools, admin
 * rotation state and secret file, catalog discovery, inventory, and its own job gate.
 */
export class Target {
  readonly client: TargetClient;
  readonly sync: UserSyncService;
  readonly cleanup: UserCleanupService;
  readonly adminRotation: AdminRotationService;
  readonly discovery: DiscoveryService;
  readonly inventory: InventoryService;
  readonly sessions: SessionObserverService;
  readonly gate: TargetGate;
  readonly logger: Logger;

  constructor(
    readonly config: TargetConfig,
    connector: ConnectorConfig,
    results: ResultsPublisher,
    logger: Logger,
  ) {
    this.logger = config.integrationId
      ? logger.child({ integrationId: config.integrationId })
      : logger;
    // Room for every concurrent job plus the nested per-database and termination queries.
    this.client = new TargetClient(
      config.connection,
      connector.statementTimeoutMs,
      connector.concurrency + 2,
      this.logger,
    );
    const groups = new GroupRolesService(this.client);
    this.sync = new UserSyncService(
      this.client,
      groups,
      loadSealPublicKey(connector.sealPublicKey),
    );
    this.cleanup = new UserCleanupService(this.client, groups);
    this.adminRotation = new AdminRotationService(
      this.client,
      config.adminSecretFile,
      config.connection.password,
      this.logger,
    );
    this.discovery = new DiscoveryService(this.client, config.connection.sslMode);
    this.inventory = new InventoryService(
      connector.connectorId,
      connector.reconcileIntervalMs,
      this.client,
      results,
      this.logger,
      config.integrationId,
    );
    this.sessions = new SessionObserverService(
      connector.connectorId,
      connector.sessionObserveIntervalMs,
      this.client,
      results,
      this.logger,
      config.integrationId,
    );
    this.gate = new TargetGate(connector.concurrency, connector.concurrency * HELD_PER_SLOT);
  }

  get integrationId(): string | undefined {
    return this.config.integrationId;
  }

  /** The integration id, or `default` for the one env-configured target. */
  get label(): string {
    return this.config.integrationId ?? DEFAULT_TARGET_LABEL;
  }

  /** Starts what runs on a timer (inventory, sessions). */
  start(): void {
    this.inventory.start();
    this.sessions.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.inventory.stop(), this.sessions.stop()]);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
