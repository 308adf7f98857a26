import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { SslMode } from '@doorman/contracts';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { ConnectorsService } from '../connectors/connectors.service';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import { caFingerprint } from './ca-certificate';
import type { IntegrationEntity } from './integration.entity';
import { IntegrationRepository } from './integration.repository';

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

/** What may change on an integration after it was created; a field left out stays as it is. */
export interface UpdateIntegrationInput {
  sslMode?: SslMode;
  rotationDays?: number;
  cleanupDays?: number;
  adminRotationDays?: number;
  customAccessDetails?: string | null;
  ownerIds?: string[];
  connectionLimit?: number;
  /** The server's CA (PEM, already validated), or null to stop handing one out. */
  caCertificate?: string | null;
  revealToMintedTokens?: boolean;
}

/** The plain settings, audited as they are (the CA is audited by fingerprint). */
const PLAIN_SETTINGS = [
  'sslMode',
  'rotationDays',
  'cleanupDays',
  'adminRotationDays',
  'customAccessDetails',
  'connectionLimit',
  'revealToMintedTokens',
] as const;

@Injectable()
export class IntegrationsService {
  constructor(
    private readonly integrations: IntegrationRepository,
    private readonly connectors: ConnectorsService,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
  ) {}

  @Transactional()
  async create(actor: Actor, input: CreateIntegrationInput): Promise<IntegrationEntity> {
    await this.connectors.get(input.connectorId).catch(() => {
      throw DomainError.validation(`connectorId: unknown connector ${input.connectorId}`);
    });
    await this.identity.assertUsersExist(input.ownerIds, 'ownerIds');
    if (await this.integrations.existsNamed(input.name))
      throw DomainError.conflict(`an integration named ${input.name} exists`);
    const row = await this.integrations.insert({
      ...input,
      databases: [...new Set(input.databases)],
      ownerIds: [...new Set(input.ownerIds)],
      customAccessDetails: input.customAccessDetails ?? null,
      revealToMintedTokens: input.revealToMintedTokens ?? true,
      caCertificate: input.caCertificate ?? null,
    });
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
        revealToMintedTokens: row.revealToMintedTokens,
        caCertificate: caFingerprint(row.caCertificate),
      },
    });
    return row;
  }

  /**
   * Changes what may change after creation; audited with each changed field's before and
   * after (the CA by fingerprint, never the blob). A value equal to the current one is no change.
   */
  @Transactional()
  async update(
    actor: Actor,
    id: string,
    input: UpdateIntegrationInput,
  ): Promise<IntegrationEntity> {
    const row = await this.get(id);
    const next: Partial<IntegrationEntity> = {};
    const details: Record<string, { from: unknown; to: unknown }> = {};
    for (const field of PLAIN_SETTINGS) {
      const to = input[field];
      if (to === undefined || to === row[field]) continue;
      Object.assign(next, { [field]: to });
      details[field] = { from: row[field], to };
    }
    if (input.ownerIds !== undefined) {
      const owners = [...new Set(input.ownerIds)];
      await this.identity.assertUsersExist(owners, 'ownerIds');
      if (owners.join() !== row.ownerIds.join()) {
        next.ownerIds = owners;
        details.ownerIds = { from: row.ownerIds, to: owners };
      }
    }
    if (input.caCertificate !== undefined) {
      next.caCertificate = input.caCertificate;
      details.caCertificate = {
        from: caFingerprint(row.caCertificate),
        to: caFingerprint(input.caCertificate),
      };
    }
    if (!Object.keys(next).length) return row;
    await this.integrations.update(id, next);
    await this.audit.record({ action: 'integration.updated', actor, integrationId: id, details });
    return { ...row, ...next };
  }

  async get(id: string): Promise<IntegrationEntity> {
    const row = await this.integrations.byId(id);
    if (!row) throw DomainError.notFound('integration', id);
    return row;
  }

  /** Integrations whose connector's own login is rotated on a schedule. */
  async idsRotatingAdmin(): Promise<string[]> {
    return this.integrations.idsRotatingAdmin();
  }

  async list(): Promise<IntegrationEntity[]> {
    return this.integrations.list();
  }
}
