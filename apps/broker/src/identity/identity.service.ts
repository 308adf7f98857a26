import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import type { Actor } from './actor';
import type { GroupEntity } from './group.entity';
import { GroupRepository } from './group.repository';
import type { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

/**
 * Who is who, for every other feature: people and groups looked up, checked to exist or to
 * be active. Changing them is the users, groups and tokens services' work.
 */
@Injectable()
export class IdentityService {
  constructor(
    private readonly users: UserRepository,
    private readonly groups: GroupRepository,
    private readonly audit: AuditService,
  ) {}

  /** A person as an actor of the given channel (Slack resolves people itself, then acts as them). */
  actorOf(user: UserEntity, channel: Actor['channel']): Actor {
    // Slack resolves people itself: a deactivated person acts through no channel.
    if (user.deactivatedAt) throw DomainError.forbidden(`${user.email} is deactivated`);
    return { id: user.id, email: user.email, roles: user.roles, channel };
  }

  async findBySlackUserId(slackUserId: string): Promise<UserEntity | null> {
    return this.users.bySlackUserId(slackUserId);
  }

  async findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.byEmail(email.toLowerCase());
  }

  async findByIds(ids: string[]): Promise<UserEntity[]> {
    return this.users.byIds(ids);
  }

  /**
   * Remembers a person's Slack user id once matched by email. Only a person with none yet
   * is linked, so a Slack account can never take over someone already linked.
   */
  @Transactional()
  async linkSlackUser(userId: string, slackUserId: string): Promise<boolean> {
    const linked = await this.users.linkSlackUser(userId, slackUserId);
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
    const user = await this.users.byId(id);
    if (!user) throw DomainError.notFound('user', id);
    return user;
  }

  async listUsers(): Promise<UserEntity[]> {
    return this.users.list(1000);
  }

  /**
   * Refuses a deactivated person. Within a transaction the row stays share-locked until it
   * commits, so a deactivation that starts meanwhile waits and then sees what was written.
   */
  async assertActive(userId: string): Promise<void> {
    const row = await this.users.lockActiveState(userId);
    if (!row) throw DomainError.notFound('user', userId);
    if (row.deactivatedAt) throw DomainError.forbidden('this person is deactivated');
  }

  /** Of these people, the ones deactivated now (approver lists leave them out). */
  async deactivatedAmong(ids: readonly string[]): Promise<string[]> {
    return this.users.deactivatedAmong(ids);
  }

  async assertUsersExist(ids: string[], what: string): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const found = await this.users.byIds(unique);
    const missing = unique.filter((id) => !found.some((u) => u.id === id));
    if (missing.length)
      throw DomainError.validation(`${what}: unknown user(s) ${missing.join(', ')}`);
  }

  async getGroup(id: string): Promise<GroupEntity> {
    const group = await this.groups.byId(id);
    if (!group) throw DomainError.notFound('group', id);
    return group;
  }

  async groupsById(ids: readonly string[]): Promise<GroupEntity[]> {
    return this.groups.byIds(ids);
  }

  async groupsFollowingSlack(usergroupId?: string): Promise<GroupEntity[]> {
    return this.groups.followingSlack(usergroupId);
  }

  async listGroups(): Promise<GroupEntity[]> {
    return this.groups.list();
  }

  async assertGroupsExist(ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const found = await this.groups.byIds(unique);
    const missing = unique.filter((id) => !found.some((g) => g.id === id));
    if (missing.length)
      throw DomainError.validation(`groupIds: unknown group(s) ${missing.join(', ')}`);
  }

  async groupIdsOf(userId: string): Promise<string[]> {
    return this.groups.idsWithMember(userId);
  }
}
