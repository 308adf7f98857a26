import { Inject, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { ConnectorMessage, Heartbeat } from '@doorman/contracts';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../identity/actor';
import type { ConnectorEntity } from './connector.entity';
import { ConnectorRepository } from './connector.repository';
import { attributionRefusal, messageIntegrationId } from './result-attribution';

/** One server of a many-target connector, as its heartbeats for that integration told. */
export interface ConnectorTargetView {
  integrationId: string;
  serverVersion: string | null;
  lastHeartbeatAt: Date;
  lastReachedAt: Date | null;
  /** The last heartbeat reached the server, and it is recent. */
  reachable: boolean;
}

export interface ConnectorView {
  id: string;
  name: string;
  version: string | null;
  serverVersion: string | null;
  lastHeartbeatAt: Date | null;
  healthy: boolean;
  /** Empty for a connector with one target (TARGET_DATABASE_URL). */
  targets: ConnectorTargetView[];
}

/** How long an integration's connector is trusted from memory before it is read again. */
const OWNER_CACHE_MS = 10_000;

@Injectable()
export class ConnectorsService {
  private readonly created: Array<(connectorId: string) => void> = [];
  private readonly owners = new Map<string, { connectorId: string | null; at: number }>();

  constructor(
    private readonly connectors: ConnectorRepository,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    private readonly audit: AuditService,
  ) {}

  /** Called with each connector this broker creates (the results consumers start at once). */
  onCreated(listener: (connectorId: string) => void): void {
    this.created.push(listener);
  }

  async ids(): Promise<string[]> {
    return this.connectors.ids();
  }

  /**
   * Why a message from `queueOwner`'s results queue must be refused, or null: a connector
   * speaks only for its own integrations. The integration's connector is remembered briefly; a
   * mismatch is read again before it refuses.
   */
  async refusal(queueOwner: string, message: ConnectorMessage): Promise<string | null> {
    const integrationId = messageIntegrationId(message);
    if (integrationId === null) return attributionRefusal(queueOwner, message, null);
    const cached = this.owners.get(integrationId);
    if (cached && cached.connectorId === queueOwner && Date.now() - cached.at < OWNER_CACHE_MS)
      return attributionRefusal(queueOwner, message, cached.connectorId);
    const owner = await this.connectors.connectorIdOfIntegration(integrationId);
    this.owners.set(integrationId, { connectorId: owner, at: Date.now() });
    return attributionRefusal(queueOwner, message, owner);
  }

  /** A message refused for speaking for another connector: audited (the sender is the queue's). */
  async recordRefusal(
    queueOwner: string,
    message: ConnectorMessage,
    reason: string,
  ): Promise<void> {
    await this.audit.record({
      action: 'connector.message_refused',
      actorType: 'connector',
      integrationId: null,
      details: {
        connectorId: queueOwner,
        claimedConnectorId: message.connectorId,
        kind: message.kind,
        claimedIntegrationId: messageIntegrationId(message),
        reason,
      },
    });
  }

  async create(actor: Actor, name: string): Promise<ConnectorEntity> {
    const c = await this.insert(actor, name);
    // Once committed: no results consumer is started for a connector that rolled back.
    for (const listener of this.created) listener(c.id);
    return c;
  }

  @Transactional()
  private async insert(actor: Actor, name: string): Promise<ConnectorEntity> {
    if (await this.connectors.existsNamed(name))
      throw DomainError.conflict(`a connector named ${name} exists`);
    const c = await this.connectors.insert(name);
    await this.audit.record({
      action: 'connector.created',
      actor,
      details: { connectorId: c.id, name },
    });
    return c;
  }

  async get(id: string): Promise<ConnectorEntity> {
    const c = await this.connectors.byId(id);
    if (!c) throw DomainError.notFound('connector', id);
    return c;
  }

  async list(now = new Date()): Promise<ConnectorView[]> {
    const [rows, targets] = await Promise.all([this.connectors.list(), this.connectors.targets()]);
    const fresh = (at: Date | null) =>
      at !== null && now.getTime() - at.getTime() < this.config.CONNECTOR_STALE_AFTER_MS;
    return rows.map((c) => ({
      id: c.id,
      name: c.name,
      version: c.version,
      serverVersion: c.serverVersion,
      lastHeartbeatAt: c.lastHeartbeatAt,
      healthy: fresh(c.lastHeartbeatAt),
      targets: targets
        .filter((t) => t.connectorId === c.id)
        .map((t) => ({
          integrationId: t.integrationId,
          serverVersion: t.serverVersion,
          lastHeartbeatAt: t.lastHeartbeatAt,
          lastReachedAt: t.lastReachedAt,
          reachable:
            t.lastReachedAt !== null &&
            t.lastReachedAt.getTime() === t.lastHeartbeatAt.getTime() &&
            fresh(t.lastHeartbeatAt),
        })),
    }));
  }

  async recordHeartbeat(hb: Heartbeat): Promise<void> {
    if (hb.integrationId !== undefined) {
      // One of a many-target connector's heartbeats: the connector is alive; which server
      // version it reached is the target's, kept per integration (the row keeps its own).
      const at = new Date();
      await this.connectors.recordHeartbeat(hb.connectorId, at, { version: hb.version });
      await this.connectors.recordTargetHeartbeat(
        hb.connectorId,
        hb.integrationId,
        at,
        hb.serverVersion,
      );
      return;
    }
    await this.connectors.recordHeartbeat(hb.connectorId, new Date(), {
      version: hb.version,
      serverVersion: hb.serverVersion ?? null,
    });
  }
}
