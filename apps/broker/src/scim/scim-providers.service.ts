import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { randomBytes } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../common/actor';
import { DomainError } from '../common/errors';
import { hashToken } from '../identity/api-tokens.service';
import type { ScimProviderEntity } from './scim-provider.entity';
import { ScimProviderRepository } from './scim-provider.repository';

export interface ScimProviderView {
  id: string;
  name: string;
  createdAt: Date;
  tokenIssuedAt: Date;
}

const view = (p: ScimProviderEntity): ScimProviderView => ({
  id: p.id,
  name: p.name,
  createdAt: p.createdAt,
  tokenIssuedAt: p.tokenIssuedAt,
});

/** Who provisions over SCIM: a provider per identity provider, each with a bearer token of its own. */
@Injectable()
export class ScimProvidersService {
  constructor(
    private readonly providers: ScimProviderRepository,
    private readonly audit: AuditService,
  ) {}

  /** A new provider and its token, returned once; only the token's hash is kept. */
  @Transactional()
  async create(actor: Actor, name: string): Promise<ScimProviderView & { token: string }> {
    if (await this.providers.existsNamed(name))
      throw DomainError.conflict(`SCIM provider ${name} exists`);
    const token = newToken();
    const p = await this.providers.insert({
      name,
      tokenHash: hashToken(token),
      createdById: actor.id,
    });
    await this.audit.record({
      action: 'scim.provider_created',
      actor,
      details: { providerId: p.id, name },
    });
    return { ...view(p), token };
  }

  /** A fresh token, returned once: the previous one stops working as this commits. */
  @Transactional()
  async rotate(actor: Actor, id: string): Promise<ScimProviderView & { token: string }> {
    const p = await this.providers.byId(id);
    if (!p) throw DomainError.notFound('SCIM provider', id);
    const token = newToken();
    const tokenIssuedAt = new Date();
    await this.providers.replaceToken(id, hashToken(token), tokenIssuedAt);
    await this.audit.record({
      action: 'scim.token_rotated',
      actor,
      details: { providerId: id, name: p.name },
    });
    return { ...view({ ...p, tokenIssuedAt }), token };
  }

  async list(): Promise<ScimProviderView[]> {
    return (await this.providers.list()).map(view);
  }

  /** The provider this token belongs to, or null. */
  async authenticate(token: string): Promise<ScimProviderView | null> {
    if (token.length > 200) return null;
    const p = await this.providers.byTokenHash(hashToken(token));
    return p ? view(p) : null;
  }
}

function newToken(): string {
  return `dms_${randomBytes(32).toString('base64url')}`;
}
