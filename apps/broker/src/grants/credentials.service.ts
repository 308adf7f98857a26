import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import type { DatabaseUserState } from './database-user.entity';
import { DatabaseUserRepository } from './database-user.repository';
import { GrantSyncService } from './grant-sync.service';
import { DomainError } from '../common/errors';

const DAY_MS = 86400_000;

export interface DatabaseUserView {
  id: string;
  username: string;
  personId: string;
  personEmail: string | null;
  state: DatabaseUserState;
  generation: number;
  appliedGeneration: number;
  passwordIssuedAt: Date | null;
  passwordAgeDays: number | null;
  /** When the password is replaced at the next access beginning (rotationDays > 0). */
  passwordRotationDueAt: Date | null;
  accessEndedAt: Date | null;
  cleanupDueAt: Date | null;
  /** The last sessions report that held a session of this user. */
  lastUsedAt: Date | null;
  lastError: string | null;
}

/**
 * People's database credentials on demand: "reset my credentials", "reset all", and what
 * security teams see of each database user — password age, state, cleanup date.
 */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly users: DatabaseUserRepository,
    private readonly requests: AccessRequestRepository,
    private readonly grantSync: GrantSyncService,
    private readonly integrations: IntegrationsService,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
  ) {}

  /** A new password for the actor's own database user now, even in the middle of access. */
  @Transactional()
  async resetMine(
    actor: Actor,
    integrationId: string,
  ): Promise<{ username: string; generation: number }> {
    const integration = await this.integrations.get(integrationId);
    const active = await this.requests.activeOf(integrationId, actor.id);
    if (active.length === 0)
      throw DomainError.conflict(
        'you hold no active access on this integration; a new password comes with your next grant',
      );
    const person = await this.identity.getUser(actor.id);
    const generation = await this.grantSync.scheduleUser(integration, person, {
      forcePassword: true,
    });
    const du = await this.users.findOf(integrationId, actor.id);
    if (!du) throw DomainError.notFound('database user', actor.id);
    await this.audit.record({
      action: 'credentials.reset',
      actor,
      integrationId,
      details: { username: du.username, generation, scope: 'own' },
    });
    return { username: du.username, generation };
  }

  /**
   * Every database user of the integration: people with access get a new password now; the
   * others lose their stored one, so their next access begins with a new password.
   */
  @Transactional()
  async resetAll(
    actor: Actor,
    integrationId: string,
  ): Promise<{ rotatedNow: number; rotateAtNextAccess: number }> {
    const integration = await this.integrations.get(integrationId);
    const all = await this.users.lockAllOnIntegration(integrationId);
    let rotatedNow = 0;
    let rotateAtNextAccess = 0;
    for (const du of all) {
      if (du.state === 'active') {
        const person = await this.identity.getUser(du.userId);
        await this.grantSync.scheduleUser(integration, person, { forcePassword: true });
        rotatedNow++;
      } else if (du.sealedPassword !== null) {
        await this.users.update(du.id, { sealedPassword: null, passwordIssuedAt: null });
        rotateAtNextAccess++;
      }
    }
    await this.audit.record({
      action: 'credentials.reset_all',
      actor,
      integrationId,
      details: { rotatedNow, rotateAtNextAccess },
    });
    return { rotatedNow, rotateAtNextAccess };
  }

  async listDatabaseUsers(
    integrationId: string,
    filter: { state?: DatabaseUserState } = {},
    now = new Date(),
  ): Promise<DatabaseUserView[]> {
    const integration = await this.integrations.get(integrationId);
    const rows = await this.users.listOnIntegration(integrationId, filter.state);
    const people = await this.identity.findByIds(rows.map((r) => r.userId));
    const emails = new Map(people.map((p) => [p.id, p.email]));
    return rows.map((du) => ({
      id: du.id,
      username: du.username,
      personId: du.userId,
      personEmail: emails.get(du.userId) ?? null,
      state: du.state,
      generation: du.generation,
      appliedGeneration: du.appliedGeneration,
      passwordIssuedAt: du.passwordIssuedAt,
      passwordAgeDays: du.passwordIssuedAt
        ? Math.floor(((now.getTime() - du.passwordIssuedAt.getTime()) / DAY_MS) * 10) / 10
        : null,
      passwordRotationDueAt:
        du.passwordIssuedAt && integration.rotationDays > 0
          ? new Date(du.passwordIssuedAt.getTime() + integration.rotationDays * DAY_MS)
          : null,
      accessEndedAt: du.accessEndedAt,
      cleanupDueAt: du.cleanupDueAt,
      lastUsedAt: du.lastUsedAt,
      lastError: du.lastError,
    }));
  }
}
