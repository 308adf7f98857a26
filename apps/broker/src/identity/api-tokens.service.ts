import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { createHash, randomBytes } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { Actor } from './actor';
import type { ApiTokenEntity } from './api-token.entity';
import { ApiTokenRepository, type TokenHolder } from './api-token.repository';
import type { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

/** Logins with a token are audited on first use, then at most once this often per token. */
const USE_AUDIT_INTERVAL_MS = 60_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Bearer tokens: minted once and shown once, resolved to their person, revoked. */
@Injectable()
export class ApiTokensService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApiTokensService.name);

  constructor(
    private readonly tokens: ApiTokenRepository,
    private readonly users: UserRepository,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureBootstrapAdmin();
  }

  /** BOOTSTRAP_ADMIN_TOKEN is the first admin's token; idempotent across restarts and replicas. */
  async ensureBootstrapAdmin(): Promise<UserEntity> {
    const email = this.config.BOOTSTRAP_ADMIN_EMAIL.toLowerCase();
    const admin = await this.users.ensure({ email, name: 'Bootstrap admin', roles: ['admin'] });
    await this.tokens.ensure({
      userId: admin.id,
      tokenHash: hashToken(this.config.BOOTSTRAP_ADMIN_TOKEN),
      name: 'bootstrap',
    });
    this.logger.log(`bootstrap admin is ${email}`);
    return admin;
  }

  async authenticate(token: string, sourceAddress?: string): Promise<Actor | null> {
    if (token.length > 200) return null;
    const row = await this.tokens.holderOf(hashToken(token));
    if (!row) return null;
    const actor: Actor = {
      id: row.userId,
      email: row.email,
      roles: row.roles,
      channel: 'api',
      sourceAddress,
      ...(row.createdById && row.createdById !== row.userId ? { mintedBy: row.createdById } : {}),
    };
    await this.recordTokenUse(row, actor);
    return actor;
  }

  private async recordTokenUse(row: TokenHolder, actor: Actor): Promise<void> {
    const now = new Date();
    if (row.lastUsedAt && now.getTime() - row.lastUsedAt.getTime() < USE_AUDIT_INTERVAL_MS) return;
    const since = new Date(now.getTime() - USE_AUDIT_INTERVAL_MS);
    // Only the request that moved last_used_at records the login, however many race.
    if (await this.tokens.claimUse(row.id, now, since))
      await this.audit.record({
        action: 'token.used',
        actor,
        details: { tokenId: row.id, tokenName: row.name },
      });
  }

  /** A new token, returned once; only its hash is kept. Admins mint for anyone, people for themselves. */
  @Transactional()
  async createToken(
    actor: Actor,
    userId: string,
    name: string,
  ): Promise<{ id: string; token: string }> {
    if (actor.id !== userId && !actor.roles.includes('admin')) {
      throw DomainError.forbidden('only an admin may create tokens for another user');
    }
    await this.assertUserExists(userId);
    const token = `dm_${randomBytes(32).toString('base64url')}`;
    const row = await this.tokens.insert({
      userId,
      name,
      tokenHash: hashToken(token),
      createdById: actor.id,
    });
    if (actor.id !== userId) {
      // Whoever holds this token acts as that person (and could reveal their credentials):
      // loud in the log and an audit action of its own, so a review can find every one.
      this.logger.warn(
        { actorId: actor.id, userId, tokenId: row.id },
        `${actor.email} minted a token for another person (${userId})`,
      );
    }
    await this.audit.record({
      action: actor.id === userId ? 'token.created' : 'token.minted_for_other',
      actor,
      details: { userId, tokenId: row.id, name },
    });
    return { id: row.id, token };
  }

  /** A person's tokens, newest first, without secrets: their own, or anyone's for an admin. */
  async listTokens(actor: Actor, userId: string): Promise<ApiTokenEntity[]> {
    this.assertMayManageTokens(actor, userId);
    await this.assertUserExists(userId);
    return this.tokens.listOf(userId, 1000);
  }

  /** A revoked token authenticates nobody from the next call on; revoking twice is a no-op. */
  @Transactional()
  async revokeToken(actor: Actor, userId: string, tokenId: string): Promise<ApiTokenEntity> {
    this.assertMayManageTokens(actor, userId);
    const token = await this.tokens.byIdOf(tokenId, userId);
    if (!token) throw DomainError.notFound('token', tokenId);
    if (token.revokedAt) return token;
    const revokedAt = new Date();
    await this.tokens.markRevoked(tokenId, revokedAt);
    await this.audit.record({
      action: 'token.revoked',
      actor,
      details: { userId, tokenId, name: token.name },
    });
    return { ...token, revokedAt };
  }

  private assertMayManageTokens(actor: Actor, userId: string): void {
    if (actor.id !== userId && !actor.roles.includes('admin'))
      throw DomainError.forbidden("only an admin may manage another user's tokens");
  }

  private async assertUserExists(userId: string): Promise<void> {
    if (!(await this.users.byId(userId))) throw DomainError.notFound('user', userId);
  }
}
