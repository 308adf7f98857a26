import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { Repository } from 'typeorm';
import { ConnectorEntity } from './connector.entity';

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

  /** The connector of the integration, or null when there is no such integration. */
  async connectorIdOfIntegration(integrationId: string): Promise<string | null> {
    const [row] = await this.txHost.tx.query<Array<{ connectorId: string }>>(
      `SELECT connector_id AS "connectorId" FROM integrations WHERE id = $1`,
      [integrationId],
    );
    return row?.connectorId ?? null;
  }
}
