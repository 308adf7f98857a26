import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Heartbeat } from '@doorman/contracts';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../identity/actor';
import { ConnectorEntity } from './connector.entity';

export interface ConnectorView {
  id: string;
  name: string;
  version: string | null;
  serverVersion: string | null;
  lastHeartbeatAt: Date | null;
  healthy: boolean;
}

@Injectable()
export class ConnectorsService {
  constructor(
    @InjectRepository(ConnectorEntity) private readonly connectors: Repository<ConnectorEntity>,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, name: string): Promise<ConnectorEntity> {
    if (await this.connectors.existsBy({ name }))
      throw DomainError.conflict(`a connector named ${name} exists`);
    const c = await this.connectors.save(this.connectors.create({ name }));
    await this.audit.record({
      action: 'connector.created',
      actor,
      details: { connectorId: c.id, name },
    });
    return c;
  }

  async get(id: string): Promise<ConnectorEntity> {
    const c = await this.connectors.findOneBy({ id });
    if (!c) throw DomainError.notFound('connector', id);
    return c;
  }

  async list(now = new Date()): Promise<ConnectorView[]> {
    const rows = await this.connectors.find({ order: { createdAt: 'ASC' } });
    return rows.map((c) => ({
      id: c.id,
      name: c.name,
      version: c.version,
      serverVersion: c.serverVersion,
      lastHeartbeatAt: c.lastHeartbeatAt,
      healthy:
        c.lastHeartbeatAt !== null &&
        now.getTime() - c.lastHeartbeatAt.getTime() < this.config.CONNECTOR_STALE_AFTER_MS,
    }));
  }

  async recordHeartbeat(hb: Heartbeat): Promise<void> {
    await this.connectors.update(
      { id: hb.connectorId },
      { lastHeartbeatAt: new Date(), version: hb.version, serverVersion: hb.serverVersion ?? null },
    );
  }
}
