import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { type EntityManager, In, IsNull, Not, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { hasAnyRole, type Actor } from './actor';
import { ApiTokenEntity } from './api-token.entity';
import type { DoormanRole } from './doorman-roles';
import { GroupEntity } from './group.entity';
import { changedRoles, roleChangeRefusal } from './role-assignment.policy';
import { UserEntity } from './user.entity';

type TokenUse = Pick<ApiTokenEntity, 'id' | 'name' | 'lastUsedAt'>;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

@Injectable()
export class IdentityService implements OnApplicationBootstrap {
  private readonly logger = new Logger(IdentityService.name);

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(ApiTokenEntity) private readonly tokens: Repository<ApiTokenEntity>,
    @InjectRepository(GroupEntity) private readonly groups: Repository<GroupEntity>,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    private readonly audit: AuditService,
  ) {}

  /** BOOTSTRAP_ADMIN_TOKEN is the first admin's token; idempotent across restarts and replicas. */
  async onApplicationBootstrap(): Promise<void> {
    const email = this.config.BOOTSTRAP_ADMIN_EMAIL.toLowerCase();
    await this.users
      .createQueryBuilder()
      .insert()
      .values({ email, name: 'Bootstrap admin', roles: ['admin'] })
      .orIgnore()
      .execute();
    const admin = await this.users.findOneByOrFail({ email });
    await this.tokens
      .createQueryBuilder()
      .insert()
      .values({
        userId: admin.id,
        tokenHash: hashToken(this.config.BOOTSTRAP_ADMIN_TOKEN),
        name: 'bootstrap',
      })
      .orIgnore()
      .execute();
    this.logger.log(`bootstrap admin is ${email}`);
  }

  async authenticate(token: string, sourceAddress?: string): Promise<Actor | null> {
    if (token.length > 200) return null;
    // The token and its user in one round trip: every API call starts here.
    const [row] = await this.tokens.query<
      Array<
        TokenUse & {
          userId: string;
          email: string;
          roles: DoormanRole[];
          createdById: string | null;
        }
      >
    >(
      `SELECT t.id, t.name, t.last_used_at AS "lastUsedAt", t.created_by_id AS "createdById",
              u.id AS "userId", u.email, u.roles
         FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.deactivated_at IS NULL`,
      [hashToken(token)],
    );
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

  /** Logins with tokens are audited: the first use, then at most once a minute per token. */
  private async recordTokenUse(row: TokenUse, actor: Actor): Promise<void> {
    const now = new Date();
    if (row.lastUsedAt && now.getTime() - row.lastUsedAt.getTime() < 60_000) return;
    const claimed = await this.tokens
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: now })
      .where('id = :id AND (last_used_at IS NULL OR last_used_at < :since)', {
        id: row.id,
        since: new Date(now.getTime() - 60_000),
      })
      .execute();
    // Only the request that moved last_used_at records the login, however many race.
    if (claimed.affected)
      await this.audit.record({
        action: 'token.used',
        actor,
        details: { tokenId: row.id, tokenName: row.name },
      });
  }

  async createUser(
    actor: Actor,
    input: { email: string; name: string; roles: DoormanRole[]; slackUserId?: string },
  ): Promise<UserEntity> {
    const email = input.email.toLowerCase();
    if (await this.users.existsBy({ email }))
      throw DomainError.conflict(`a user with email ${email} exists`);
    return this.savePerson(actor, null, { ...input, email });
  }

  /** PATCH /users/:id: a new name or new roles, under the role rule. */
  async updateUser(
    actor: Actor,
    id: string,
    input: { name?: string; roles?: DoormanRole[] },
  ): Promise<UserEntity> {
    const user = await this.getUser(id);
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
  async savePerson(
    actor: Actor,
    existing: UserEntity | null,
    next: { email: string; name: string; roles: DoormanRole[]; slackUserId?: string },
  ): Promise<UserEntity> {
    const roles = [...new Set(next.roles)].sort();
    await this.assertMayChangeRoles(actor, existing, next.email, roles);
    if (!existing) {
      const user = await this.users.save(
        this.users.create({
          email: next.email,
          name: next.name,
          roles,
          slackUserId: next.slackUserId ?? null,
        }),
      );
      await this.audit.record({
        action: 'user.created',
        actor,
        details: { userId: user.id, email: user.email, roles: user.roles },
      });
      return user;
    }
    const given = changedRoles({ before: existing.roles, after: roles });
    if (existing.name === next.name && given.length === 0) return existing;
    if (given.includes('admin') && !roles.includes('admin') && (await this.activeAdmins()) <= 1)
      throw DomainError.conflict(
        `${existing.email} is the last admin: make someone else admin first`,
      );
    await this.users.update(existing.id, { name: next.name, roles });
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

  private async activeAdmins(): Promise<number> {
    return this.users
      .createQueryBuilder('u')
      .where(`'admin' = ANY(u.roles) AND u.deactivated_at IS NULL`)
      .getCount();
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

  /** A refused role change, from any path: audited, and logged at warn (no secrets in it). */
  async auditRoleRefusal(
    actor: Actor,
    refused: Array<{
      email: string;
      rolesBefore: DoormanRole[] | null;
      roles: DoormanRole[];
      reason: string;
      line?: number | null;
    }>,
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

  /** A person as an actor of the given channel (Slack resolves people itself, then acts as them). */
  actorOf(user: UserEntity, channel: Actor['channel']): Actor {
    // Slack resolves people itself: a deactivated person acts through no channel.
    if (user.deactivatedAt) throw DomainError.forbidden(`${user.email} is deactivated`);
    return { id: user.id, email: user.email, roles: user.roles, channel };
  }

  async findBySlackUserId(slackUserId: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ slackUserId });
  }

  async findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email: email.toLowerCase() });
  }

  async findByIds(ids: string[]): Promise<UserEntity[]> {
    return ids.length ? this.users.findBy({ id: In([...new Set(ids)]) }) : [];
  }

  /**
   * Remembers a person's Slack user id once matched by email. Only a person with none yet
   * is linked, so a Slack account can never take over someone already linked.
   */
  async linkSlackUser(userId: string, slackUserId: string): Promise<boolean> {
    const res = await this.users
      .createQueryBuilder()
      .update()
      .set({ slackUserId })
      .where('id = :userId AND slack_user_id IS NULL', { userId })
      .andWhere('NOT EXISTS (SELECT 1 FROM users u WHERE u.slack_user_id = :slackUserId)', {
        slackUserId,
      })
      .execute();
    const linked = (res.affected ?? 0) > 0;
    if (linked) {
      await this.audit.record({
        action: 'user.slack_linked',
        channel: 'slack',
        details: { userId, slackUserId },
      });
    }
    return linked;
  }

  async getUser(id: string): Promise<UserEntity> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw DomainError.notFound('user', id);
    return user;
  }

  async listUsers(): Promise<UserEntity[]> {
    return this.users.find({ order: { createdAt: 'ASC' }, take: 1000 });
  }

  /** A new token, returned once; only its hash is kept. Admins mint for anyone, people for themselves. */
  async createToken(
    actor: Actor,
    userId: string,
    name: string,
  ): Promise<{ id: string; token: string }> {
    if (actor.id !== userId && !actor.roles.includes('admin')) {
      throw DomainError.forbidden('only an admin may create tokens for another user');
    }
    await this.getUser(userId);
    const token = `dm_${randomBytes(32).toString('base64url')}`;
    const row = await this.tokens.save(
      this.tokens.create({ userId, name, tokenHash: hashToken(token), createdById: actor.id }),
    );
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
    await this.getUser(userId);
    return this.tokens.find({ where: { userId }, order: { createdAt: 'DESC' }, take: 1000 });
  }

  /** A revoked token authenticates nobody from the next call on; revoking twice is a no-op. */
  async revokeToken(actor: Actor, userId: string, tokenId: string): Promise<ApiTokenEntity> {
    this.assertMayManageTokens(actor, userId);
    const token = await this.tokens.findOneBy({ id: tokenId, userId });
    if (!token) throw DomainError.notFound('token', tokenId);
    if (token.revokedAt) return token;
    const revokedAt = new Date();
    await this.tokens.update({ id: tokenId, revokedAt: IsNull() }, { revokedAt });
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

  /**
   * Deactivates (or reactivates) a person: from this moment they authenticate nowhere (REST
   * tokens, Slack). Admin or security; only an admin deactivates an admin; nobody themselves.
   * Ending their grants and requests is the people module's (DeactivationService).
   */
  async setDeactivated(actor: Actor, userId: string, deactivated: boolean): Promise<UserEntity> {
    const user = await this.getUser(userId);
    if (!hasAnyRole(actor, ['admin', 'security']))
      throw DomainError.forbidden('only security or an admin may deactivate people');
    if (user.roles.includes('admin') && !actor.roles.includes('admin'))
      throw DomainError.forbidden('only an admin may deactivate or reactivate an admin');
    if (user.id === actor.id) throw DomainError.forbidden('you cannot deactivate yourself');
    const deactivatedAt = deactivated ? (user.deactivatedAt ?? new Date()) : null;
    if ((user.deactivatedAt === null) === (deactivatedAt === null)) return user;
    await this.users.update(userId, { deactivatedAt });
    await this.audit.record({
      action: deactivated ? 'user.deactivated' : 'user.reactivated',
      actor,
      details: { userId, email: user.email },
    });
    return { ...user, deactivatedAt };
  }

  /**
   * Refuses a deactivated person. Within a transaction the row stays share-locked until it
   * commits, so a deactivation that starts meanwhile waits and then sees what was written.
   */
  async assertActive(userId: string, em?: EntityManager): Promise<void> {
    const [row] = await (em ?? this.users.manager).query<Array<{ deactivatedAt: Date | null }>>(
      `SELECT deactivated_at AS "deactivatedAt" FROM users WHERE id = $1 FOR SHARE`,
      [userId],
    );
    if (!row) throw DomainError.notFound('user', userId);
    if (row.deactivatedAt) throw DomainError.forbidden('this person is deactivated');
  }

  /** Of these people, the ones deactivated now (approver lists leave them out). */
  async deactivatedAmong(ids: readonly string[]): Promise<string[]> {
    if (!ids.length) return [];
    const rows = await this.users.find({
      select: { id: true },
      where: { id: In([...new Set(ids)]), deactivatedAt: Not(IsNull()) },
    });
    return rows.map((r) => r.id);
  }

  async assertUsersExist(ids: string[], what: string): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const found = await this.users.findBy({ id: In(unique) });
    const missing = unique.filter((id) => !found.some((u) => u.id === id));
    if (missing.length)
      throw DomainError.validation(`${what}: unknown user(s) ${missing.join(', ')}`);
  }

  async createGroup(
    actor: Actor,
    input: { name: string; memberIds: string[]; slackUsergroupId?: string | null },
  ): Promise<GroupEntity> {
    const slackUsergroupId = input.slackUsergroupId ?? null;
    if (slackUsergroupId && input.memberIds.length)
      throw DomainError.validation(
        'memberIds: a group that follows a Slack user group takes its members from Slack',
      );
    await this.assertUsersExist(input.memberIds, 'memberIds');
    if (await this.groups.existsBy({ name: input.name }))
      throw DomainError.conflict(`group ${input.name} exists`);
    const group = await this.groups.save(
      this.groups.create({
        name: input.name,
        memberIds: [...new Set(input.memberIds)],
        slackUsergroupId,
      }),
    );
    await this.audit.record({
      action: 'group.created',
      actor,
      details: { groupId: group.id, name: group.name, slackUsergroupId },
    });
    return group;
  }

  /**
   * Renames a group, replaces its members, or links it to (or unlinks it from) a Slack user
   * group; audited with who joined and left. A linked group's members come from Slack only.
   */
  async updateGroup(
    actor: Actor,
    id: string,
    input: { name?: string; memberIds?: string[]; slackUsergroupId?: string | null },
  ): Promise<GroupEntity> {
    const group = await this.getGroup(id);
    const slackUsergroupId =
      input.slackUsergroupId === undefined ? group.slackUsergroupId : input.slackUsergroupId;
    if (slackUsergroupId && input.memberIds)
      throw DomainError.conflict(
        `group ${group.name} follows Slack user group ${slackUsergroupId}: its members come from Slack (unlink it with "slackUsergroupId": null to manage them here)`,
      );
    const memberIds = input.memberIds ? [...new Set(input.memberIds)] : group.memberIds;
    await this.assertUsersExist(memberIds, 'memberIds');
    const name = input.name ?? group.name;
    if (name !== group.name && (await this.groups.existsBy({ name })))
      throw DomainError.conflict(`group ${name} exists`);
    await this.groups.update(id, { name, memberIds, slackUsergroupId });
    await this.audit.record({
      action: 'group.updated',
      actor,
      details: {
        groupId: id,
        name,
        slackUsergroupId,
        added: memberIds.filter((m) => !group.memberIds.includes(m)),
        removed: group.memberIds.filter((m) => !memberIds.includes(m)),
      },
    });
    return { ...group, name, memberIds, slackUsergroupId };
  }

  async getGroup(id: string): Promise<GroupEntity> {
    const group = await this.groups.findOneBy({ id });
    if (!group) throw DomainError.notFound('group', id);
    return group;
  }

  async groupsFollowingSlack(usergroupId?: string): Promise<GroupEntity[]> {
    return this.groups.find({
      where: { slackUsergroupId: usergroupId ?? Not(IsNull()) },
      order: { name: 'ASC' },
    });
  }

  /**
   * Sets a linked group's members to what its Slack user group holds now; audited (as the
   * system, channel slack) only when someone joined or left. Unlinked meanwhile: nothing changes.
   */
  async syncGroupMembers(
    id: string,
    usergroupId: string,
    memberIds: string[],
    unmatchedSlackUserIds: string[],
  ): Promise<{ added: string[]; removed: string[] }> {
    return this.groups.manager.transaction(async (em) => {
      const group = await em
        .getRepository(GroupEntity)
        .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!group || group.slackUsergroupId !== usergroupId) return { added: [], removed: [] };
      const next = [...new Set(memberIds)];
      const added = next.filter((m) => !group.memberIds.includes(m));
      const removed = group.memberIds.filter((m) => !next.includes(m));
      if (!added.length && !removed.length) return { added, removed };
      await em.getRepository(GroupEntity).update(id, { memberIds: next });
      await this.audit.record(
        {
          action: 'group.synced',
          channel: 'slack',
          details: {
            groupId: id,
            name: group.name,
            slackUsergroupId: usergroupId,
            added,
            removed,
            unmatchedSlackUserIds: unmatchedSlackUserIds.slice(0, 100),
          },
        },
        em,
      );
      return { added, removed };
    });
  }

  async listGroups(): Promise<GroupEntity[]> {
    return this.groups.find({ order: { name: 'ASC' } });
  }

  async assertGroupsExist(ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const found = await this.groups.findBy({ id: In(unique) });
    const missing = unique.filter((id) => !found.some((g) => g.id === id));
    if (missing.length)
      throw DomainError.validation(`groupIds: unknown group(s) ${missing.join(', ')}`);
  }

  async groupIdsOf(userId: string): Promise<string[]> {
    const rows = await this.groups
      .createQueryBuilder('g')
      .select('g.id', 'id')
      .where(':userId = ANY(g.member_ids)', { userId })
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }
}
