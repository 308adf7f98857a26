import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import type { Actor } from '../identity/actor';
import { UserEntity } from '../identity/user.entity';
import { IntegrationEntity } from '../integrations/integration.entity';
import { AccessRequestEntity } from '../access-requests/access-request.entity';
import { DatabaseUserEntity, type DatabaseUserState } from './database-user.entity';
import { GrantsService } from './grants.service';

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
  lastError: string | null;
}

/**
 * People's database credentials on demand (issue 5): "reset my credentials", "reset all",
 * and what security teams see of each database user — password age, state, cleanup date.
 */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly grants: GrantsService,
    private readonly audit: AuditService,
  ) {}

  /** A new password for the actor's own database user now, even in the middle of access. */
  async resetMine(
    actor: Actor,
    integrationId: string,
  ): Promise<{ username: string; generation: number }> {
    return this.grants.inTransaction(async (em) => {
      const integration = await em
        .getRepository(IntegrationEntity)
        .findOneBy({ id: integrationId });
      if (!integration) throw DomainError.notFound('integration', integrationId);
      const active = await em.getRepository(AccessRequestEntity).count({
        where: { integrationId, requesterId: actor.id, status: In(['ACTIVE']) },
      });
      if (active === 0)
        throw DomainError.conflict(
          'you hold no active access on this integration; a new password comes with your next grant',
        );
      const person = await em.getRepository(UserEntity).findOneByOrFail({ id: actor.id });
      const generation = await this.grants.scheduleSync(em, integration, person, undefined, {
        forcePassword: true,
      });
      const du = await em
        .getRepository(DatabaseUserEntity)
        .findOneByOrFail({ integrationId, userId: actor.id });
      await this.audit.record(
        {
          action: 'credentials.reset',
          actor,
          integrationId,
          details: { username: du.username, generation, scope: 'own' },
        },
        em,
      );
      return { username: du.username, generation };
    });
  }

  /**
   * Every database user of the integration: people with access get a new password now; the
   * others lose their stored one, so their next access begins with a new password.
   */
  async resetAll(
    actor: Actor,
    integrationId: string,
  ): Promise<{ rotatedNow: number; rotateAtNextAccess: number }> {
    return this.grants.inTransaction(async (em) => {
      const integration = await em
        .getRepository(IntegrationEntity)
        .findOneBy({ id: integrationId });
      if (!integration) throw DomainError.notFound('integration', integrationId);
      const users = em.getRepository(DatabaseUserEntity);
      const all = await users.find({
        where: { integrationId },
        lock: { mode: 'pessimistic_write' },
      });
      let rotatedNow = 0;
      let rotateAtNextAccess = 0;
      for (const du of all) {
        if (du.state === 'active') {
          const person = await em.getRepository(UserEntity).findOneByOrFail({ id: du.userId });
          await this.grants.scheduleSync(em, integration, person, undefined, {
            forcePassword: true,
          });
          rotatedNow++;
        } else if (du.sealedPassword !== null) {
          await users.update(du.id, { sealedPassword: null, passwordIssuedAt: null });
          rotateAtNextAccess++;
        }
      }
      await this.audit.record(
        {
          action: 'credentials.reset_all',
          actor,
          integrationId,
          details: { rotatedNow, rotateAtNextAccess },
        },
        em,
      );
      return { rotatedNow, rotateAtNextAccess };
    });
  }

  async listDatabaseUsers(
    integrationId: string,
    filter: { state?: DatabaseUserState } = {},
    now = new Date(),
  ): Promise<DatabaseUserView[]> {
    return this.grants.inTransaction(async (em) => {
      const integration = await em
        .getRepository(IntegrationEntity)
        .findOneBy({ id: integrationId });
      if (!integration) throw DomainError.notFound('integration', integrationId);
      const rows = await em.getRepository(DatabaseUserEntity).find({
        where: { integrationId, ...(filter.state ? { state: filter.state } : {}) },
        order: { username: 'ASC' },
      });
      const people = rows.length
        ? await em.getRepository(UserEntity).find({
            select: { id: true, email: true },
            where: { id: In(rows.map((r) => r.userId)) },
          })
        : [];
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
        lastError: du.lastError,
      }));
    });
  }
}
