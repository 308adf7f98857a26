import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../common/errors';
import type { GroupEntity } from '../identity/group.entity';
import { GroupsService } from '../identity/groups.service';
import { IdentityService } from '../identity/identity.service';
import { SLACK_CLIENT, type SlackClient } from './slack-client';
import { SlackPeopleService } from './slack-people.service';

export interface GroupSyncResult {
  groupId: string;
  slackUsergroupId: string;
  added: string[];
  removed: string[];
  /** Slack members Doorman does not know (no user with that Slack id or email): left out. */
  unmatchedSlackUserIds: string[];
}

/**
 * Keeps groups linked to a Slack user group in step with it: when Slack says the user group
 * changed (`subteam_members_changed`), on demand, and every SLACK_USERGROUP_SYNC_MS (the
 * `slack-group-sync` schedule). A Slack
 * call that fails changes nothing: a group is never emptied because Slack could not be asked.
 */
@Injectable()
export class SlackGroupSyncService {
  private readonly logger = new Logger(SlackGroupSyncService.name);
  private running = false;

  constructor(
    @Inject(SLACK_CLIENT) private readonly slack: SlackClient,
    private readonly identity: IdentityService,
    private readonly groups: GroupsService,
    private readonly people: SlackPeopleService,
  ) {}

  /** Every linked group, one after the other; one group's failure does not stop the rest. */
  async syncAll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const group of await this.identity.groupsFollowingSlack()) {
        await this.syncGroup(group).catch((err: unknown) =>
          this.logger.error({ err, groupId: group.id }, 'could not sync a group from Slack'),
        );
      }
    } catch (err) {
      this.logger.error({ err }, 'Slack user group sync failed');
    } finally {
      this.running = false;
    }
  }

  /** Slack told us a user group changed: the groups that follow it catch up at once. */
  async onUsergroupChanged(usergroupId: string): Promise<void> {
    for (const group of await this.identity.groupsFollowingSlack(usergroupId)) {
      await this.syncGroup(group).catch((err: unknown) =>
        this.logger.error({ err, groupId: group.id }, 'could not sync a group from Slack'),
      );
    }
  }

  /** On demand (REST): refused with the reason when Slack is off or the group is not linked. */
  async syncById(groupId: string): Promise<GroupSyncResult> {
    if (!this.slack) throw DomainError.conflict('Slack is not configured on this broker');
    const group = await this.identity.getGroup(groupId);
    if (!group.slackUsergroupId)
      throw DomainError.conflict(
        `group ${group.name} does not follow a Slack user group (set slackUsergroupId first)`,
      );
    return this.syncGroup(group);
  }

  private async syncGroup(group: GroupEntity): Promise<GroupSyncResult> {
    const usergroup = group.slackUsergroupId!;
    const res = await this.people.client.usergroups.users
      .list({ usergroup, include_disabled: false })
      .catch((err: { data?: { error?: string } }) => {
        throw DomainError.conflict(
          `Slack could not list user group ${usergroup}: ${err.data?.error ?? 'request failed'}`,
        );
      });
    const memberIds: string[] = [];
    const unmatched: string[] = [];
    for (const slackUserId of res.users ?? []) {
      const user = await this.people.resolve(slackUserId);
      if (user) memberIds.push(user.id);
      else unmatched.push(slackUserId);
    }
    const { added, removed } = await this.groups.syncGroupMembers(
      group.id,
      usergroup,
      memberIds,
      unmatched,
    );
    if (added.length || removed.length)
      this.logger.log(
        { groupId: group.id, added: added.length, removed: removed.length },
        'group synced from Slack',
      );
    return {
      groupId: group.id,
      slackUsergroupId: usergroup,
      added,
      removed,
      unmatchedSlackUserIds: unmatched,
    };
  }
}
