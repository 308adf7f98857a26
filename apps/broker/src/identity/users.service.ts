import { Injectable, Logger } from '@nestjs/common';
import { Propagation, Transactional } from '@nestjs-cls/transactional';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { ruleChangeJob } from '../outbox/broker-jobs';
import { OutboxService } from '../outbox/outbox.service';
import { hasAnyRole, type Actor } from './actor';
import type { DoormanRole } from './doorman-roles';
import { changedRoles, roleChangeRefusal } from './role-assignment.policy';
import type { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

/** The roles whose loss takes away what they allowed: asking, approving. */
const RULE_ROLES = ['requester', 'approver'] as const;

export interface PersonInput {
  email: string;
  name: string;
  roles: DoormanRole[];
  slackUserId?: string;
}

export interface RefusedRoleChange {
  email: string;
  rolesBefore: DoormanRole[] | null;
  roles: DoormanRole[];
  reason: string;
  line?: number | null;
}

/** People created, renamed, given roles, deactivated: every change under the role rule, audited. */
@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  @Transactional()
  async createUser(actor: Actor, input: PersonInput): Promise<UserEntity> {
    const email = input.email.toLowerCase();
    if (await this.users.existsWithEmail(email))
      throw DomainError.conflict(`a user with email ${email} exists`);
    return this.savePerson(actor, null, { ...input, email });
  }

  /** PATCH /users/:id: a new name or new roles, under the role rule. */
  @Transactional()
  async updateUser(
    actor: Actor,
    id: string,
    input: { name?: string; roles?: DoormanRole[] },
  ): Promise<UserEntity> {
    const user = await this.users.byId(id);
    if (!user) throw DomainError.notFound('user', id);
    return this.savePerson(actor, user, {
      email: user.email,
      name: input.name ?? user.name,
      roles: input.roles ?? user.roles,
    });
  }

  /**
   * The one path by which a person is created or their name or roles change (REST, policy
   * file, POLICY_FILE at boot): the role rule first, a refusal audited, every change audited.
   */
  @Transactional()
  async savePerson(
    actor: Actor,
    existing: UserEntity | null,
    next: PersonInput,
  ): Promise<UserEntity> {
    const roles = [...new Set(next.roles)].sort();
    await this.assertMayChangeRoles(actor, existing, next.email, roles);
    if (!existing) {
      const user = await this.users.insert({
        email: next.email,
        name: next.name,
        roles,
        slackUserId: next.slackUserId ?? null,
      });
      await this.audit.record({
        action: 'user.created',
        actor,
        details: { userId: user.id, email: user.email, roles: user.roles },
      });
      return user;
    }
    const given = changedRoles({ before: existing.roles, after: roles });
    if (existing.name === next.name && given.length === 0) return existing;
    if (
      given.includes('admin') &&
      !roles.includes('admin') &&
      (await this.users.countActiveAdmins()) <= 1
    )
      throw DomainError.conflict(
        `${existing.email} is the last admin: make someone else admin first`,
      );
    await this.users.updateProfile(existing.id, { name: next.name, roles });
    // Taking the requester or approver role ends what it allowed (rule-changes/).
    const removedRoles = RULE_ROLES.filter((r) => existing.roles.includes(r) && !roles.includes(r));
    if (removedRoles.length)
      await this.outbox.add(
        ruleChangeJob(
          { type: 'roles', userId: existing.id, removedRoles },
          { id: actor.id, channel: actor.channel },
        ),
      );
    await this.audit.record({
      action: given.length ? 'user.roles_changed' : 'user.updated',
      actor,
      details: {
        userId: existing.id,
        email: existing.email,
        ...(given.length ? { rolesBefore: existing.roles, roles } : {}),
        ...(existing.name !== next.name ? { name: next.name } : {}),
      },
    });
    return { ...existing, name: next.name, roles };
  }

  /** The role rule (role-assignment.policy.ts) as a check: a refusal is audited, then thrown. */
  async assertMayChangeRoles(
    actor: Actor,
    existing: Pick<UserEntity, 'id' | 'roles'> | null,
    email: string,
    roles: DoormanRole[],
  ): Promise<void> {
    const refusal = roleChangeRefusal(actor.roles, {
      before: existing?.roles ?? null,
      after: roles,
    });
    if (!refusal) return;
    await this.auditRoleRefusal(actor, [
      { email, rolesBefore: existing?.roles ?? null, roles, reason: refusal },
    ]);
    throw DomainError.forbidden(`${email}: ${refusal}`);
  }

  /**
   * A refused role change, from any path: audited, and logged at warn (no secrets in it). In
   * a transaction of its own, so the record stays when the change it refused rolls back.
   */
  @Transactional(Propagation.RequiresNew)
  async auditRoleRefusal(
    actor: Actor,
    refused: RefusedRoleChange[],
    via: 'api' | 'policy' = 'api',
  ): Promise<void> {
    this.logger.warn(
      { actorId: actor.id, refused: refused.map((r) => ({ email: r.email, roles: r.roles })), via },
      `role change refused to ${actor.email}`,
    );
    await this.audit.record({
      action: 'user.role_change_refused',
      actor,
      details: { via, refused },
    });
  }

  /**
   * Deactivates (or reactivates) a person: from this moment they authenticate nowhere (REST
   * tokens, Slack). Admin or security; only an admin deactivates an admin; nobody themselves.
   * Ending their grants and requests is the people module's (DeactivationService).
   */
  @Transactional()
  async setDeactivated(actor: Actor, userId: string, deactivated: boolean): Promise<UserEntity> {
    const user = await this.users.byId(userId);
    if (!user) throw DomainError.notFound('user', userId);
    if (!hasAnyRole(actor, ['admin', 'security']))
      throw DomainError.forbidden('only security or an admin may deactivate people');
    if (user.roles.includes('admin') && !actor.roles.includes('admin'))
      throw DomainError.forbidden('only an admin may deactivate or reactivate an admin');
    if (user.id === actor.id) throw DomainError.forbidden('you cannot deactivate yourself');
    const deactivatedAt = deactivated ? (user.deactivatedAt ?? new Date()) : null;
    if ((user.deactivatedAt === null) === (deactivatedAt === null)) return user;
    await this.users.setDeactivatedAt(userId, deactivatedAt);
    await this.audit.record({
      action: deactivated ? 'user.deactivated' : 'user.reactivated',
      actor,
      details: { userId, email: user.email },
    });
    return { ...user, deactivatedAt };
  }
}
