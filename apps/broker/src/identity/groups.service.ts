import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { ruleChangeJob } from '../outbox/broker-jobs';
import { OutboxService } from '../outbox/outbox.service';
import type { Actor } from './actor';
import type { GroupEntity } from './group.entity';
import { GroupRepository } from './group.repository';
import { IdentityService } from './identity.service';

/** Groups created, renamed, given members, or kept in step with a Slack user group; audited. */
@Injectable()
export class GroupsService {
  constructor(
    private readonly groups: GroupRepository,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  @Transactional()
  async createGroup(
    actor: Actor,
    input: { name: string; memberIds: string[]; slackUsergroupId?: string | null },
  ): Promise<GroupEntity> {
    const slackUsergroupId = input.slackUsergroupId ?? null;
    if (slackUsergroupId && input.memberIds.length)
      throw DomainError.validation(
        'memberIds: a group that follows a Slack user group takes its members from Slack',
      );
    await this.identity.assertUsersExist(input.memberIds, 'memberIds');
    if (await this.groups.existsNamed(input.name))
      throw DomainError.conflict(`group ${input.name} exists`);
    const group = await this.groups.insert({
      name: input.name,
      memberIds: [...new Set(input.memberIds)],
      slackUsergroupId,
    });
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
  @Transactional()
  async updateGroup(
    actor: Actor,
    id: string,
    input: { name?: string; memberIds?: string[]; slackUsergroupId?: string | null },
  ): Promise<GroupEntity> {
    const group = await this.groups.lockForUpdate(id);
    if (!group) throw DomainError.notFound('group', id);
    const slackUsergroupId =
      input.slackUsergroupId === undefined ? group.slackUsergroupId : input.slackUsergroupId;
    if (slackUsergroupId && input.memberIds)
      throw DomainError.conflict(
        `group ${group.name} follows Slack user group ${slackUsergroupId}: its members come from Slack (unlink it with "slackUsergroupId": null to manage them here)`,
      );
    const memberIds = input.memberIds ? [...new Set(input.memberIds)] : group.memberIds;
    await this.identity.assertUsersExist(memberIds, 'memberIds');
    const name = input.name ?? group.name;
    if (name !== group.name && (await this.groups.existsNamed(name)))
      throw DomainError.conflict(`group ${name} exists`);
    await this.groups.update(id, { name, memberIds, slackUsergroupId });
    const removed = group.memberIds.filter((m) => !memberIds.includes(m));
    if (removed.length)
      await this.outbox.add(
        ruleChangeJob(
          { type: 'membership', groupId: id, removedUserIds: removed },
          { id: actor.id, channel: actor.channel },
        ),
      );
    await this.audit.record({
      action: 'group.updated',
      actor,
      details: {
        groupId: id,
        name,
        slackUsergroupId,
        added: memberIds.filter((m) => !group.memberIds.includes(m)),
        removed,
      },
    });
    return { ...group, name, memberIds, slackUsergroupId };
  }

  /**
   * Sets a linked group's members to what its Slack user group holds now; audited (as the
   * system, channel slack) only when someone joined or left. Unlinked meanwhile: nothing changes.
   */
  @Transactional()
  async syncGroupMembers(
    id: string,
    usergroupId: string,
    memberIds: string[],
    unmatchedSlackUserIds: string[],
  ): Promise<{ added: string[]; removed: string[] }> {
    const group = await this.groups.lockForUpdate(id);
    if (!group || group.slackUsergroupId !== usergroupId) return { added: [], removed: [] };
    const next = [...new Set(memberIds)];
    const added = next.filter((m) => !group.memberIds.includes(m));
    const removed = group.memberIds.filter((m) => !next.includes(m));
    if (!added.length && !removed.length) return { added, removed };
    await this.groups.update(id, { memberIds: next });
    if (removed.length)
      await this.outbox.add(
        ruleChangeJob(
          { type: 'membership', groupId: id, removedUserIds: removed },
          { id: null, channel: 'slack' },
        ),
      );
    await this.audit.record({
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
    });
    return { added, removed };
  }
}
