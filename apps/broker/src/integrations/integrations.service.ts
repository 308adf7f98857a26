import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { SslMode } from '@doorman/contracts';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { ConnectorsService } from '../connectors/connectors.service';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import { caFingerprint } from './ca-certificate';
import { IntegrationEntity } from './integration.entity';

export interface CreateIntegrationInput {
  name: string;
  connectorId: string;
  host: string;
  port: number;
  databases: string[];
  sslMode: SslMode;
  rotationDays: number;
  cleanupDays: number;
  adminRotationDays: number;
  customAccessDetails?: string | null;
  ownerIds: string[];
  connectionLimit: number;
  revealToMintedTokens?: boolean;
  caCertificate?: string | null;
}

@Injectable()
export class IntegrationsService {
  constructor(
    @InjectRepository(IntegrationEntity)
    private readonly integrations: Repository<IntegrationEntity>,
    private readonly connectors: ConnectorsService,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, input: CreateIntegrationInput): Promise<IntegrationEntity> {
    await this.connectors.get(input.connectorId).catch(() => {
      throw DomainError.validation(`connectorId: unknown connector ${input.connectorId}`);
    });
    await this.identity.assertUsersExist(input.ownerIds, 'ownerIds');
    if (await this.integrations.existsBy({ name: input.name }))
      throw DomainError.conflict(`an integration named ${input.name} exists`);
    const row = await this.integrations.save(
      this.integrations.create({
        ...input,
        databases: [...new Set(input.databases)],
        ownerIds: [...new Set(input.ownerIds)],
        customAccessDetails: input.customAccessDetails ?? null,
        caCertificate: input.caCertificate ?? null,
      }),
    );
    await this.audit.record({
      action: 'integration.created',
      actor,
      integrationId: row.id,
      details: {
        name: row.name,
        connectorId: row.connectorId,
        host: row.host,
        port: row.port,
        databases: row.databases,
      },
    });
    return row;
  }

  /** The server's CA (PEM, already validated), or null to stop handing one out; audited by fingerprint. */
  async setCaCertificate(
    actor: Actor,
    id: string,
    caCertificate: string | null,
  ): Promise<IntegrationEntity> {
    const row = await this.get(id);
    await this.integrations.update(id, { caCertificate });
    await this.audit.record({
      action: 'integration.updated',
      actor,
      integrationId: id,
      details: {
        caCertificate: {
          from: caFingerprint(row.caCertificate),
          to: caFingerprint(caCertificate),
        },
      },
    });
    return { ...row, caCertificate };
  }

  async get(id: string): Promise<IntegrationEntity> {
    const row = await this.integrations.findOneBy({ id });
    if (!row) throw DomainError.notFound('integration', id);
    return row;
  }

  async list(): Promise<IntegrationEntity[]> {
    return this.integrations.find({ order: { createdAt: 'ASC' } });
  }
}
