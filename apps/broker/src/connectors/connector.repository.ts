import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { Repository } from 'typeorm';
import { ConnectorEntity } from './connector.entity';
import { ConnectorTargetEntity } from './connector-target.entity';

/** The connectors, and which one speaks for each integration. */
@Injectable()
export class ConnectorRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get connectors(): Repository<ConnectorEntity> {
    return this.txHost.tx.getRepository(ConnectorEntity);
  }

  async insert(name: string): Promise<ConnectorEntity> {
    return this.connectors.save(this.connectors.create({ name }));
  }

  existsNamed(name: string): Promise<boolean> {
    return this.connectors.existsBy({ name });
  }

  byId(id: string): Promise<ConnectorEntity | null> {
    return this.connectors.findOneBy({ id });
  }

  async ids(): Promise<string[]> {
    const rows = await this.connectors.find({ select: { id: true } });
    return rows.map((c) => c.id);
  }

  /** Oldest first. */
  list(): Promise<ConnectorEntity[]> {
    return this.connectors.find({ order: { createdAt: 'ASC' } });
  }

  async recordHeartbeat(
    id: string,
    at: Date,
    versions: { version: string; serverVersion?: string | null },
  ): Promise<void> {
    await this.connectors.update({ id }, { lastHeartbeatAt: at, ...versions });
  }

  /**
   * One heartbeat of a many-target connector for one integration: the server version when it
   * answered (kept as it was when it did not).
   */
  async recordTargetHeartbeat(
    connectorId: string,
    integrationId: string,
    at: Date,
    serverVersion: string | undefined,
  ): Promise<void> {
    const reached = serverVersion !== undefined;
    await this.txHost.tx.query(
      `INSERT INTO connector_targets AS t
              (integration_id, connector_id, server_version, last_heartbeat_at, last_reached_at)
       VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN $4::timestamptz END)
       ON CONFLICT (integration_id) DO UPDATE
          SET connector_id = EXCLUDED.connector_id,
              last_heartbeat_at = EXCLUDED.last_heartbeat_at,
              server_version = COALESCE(EXCLUDED.server_version, t.server_version),
              last_reached_at = COALESCE(EXCLUDED.last_reached_at, t.last_reached_at)`,
      [integrationId, connectorId, serverVersion ?? null, at, reached],
    );
  }

  /** What each connector's heartbeats said of each of its targets (many-target connectors only). */
  targets(): Promise<ConnectorTargetEntity[]> {
    return this.txHost.tx
      .getRepository(ConnectorTargetEntity)
      .find({ order: { integrationId: 'ASC' } });
  }

  /** The connector of the integration, or null when there is no such integration. */
  async connectorIdOfIntegration(integrationId: string): Promise<string | null> {
    const [row] = await this.txHost.tx.query<Array<{ connectorId: string }>>(
      `SELECT connector_id AS "connectorId" FROM integrations WHERE id = $1`,
      [integrationId],
    );
    return row?.connectorId ?? null;
  }
}
