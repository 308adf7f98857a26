import { Injectable } from '@nestjs/common';
import { canonicalJson } from '../common/canonical-json';
import { GroupRepository } from '../identity/group.repository';
import { roleChangeRefusal } from '../identity/role-assignment.policy';
import type { UserEntity } from '../identity/user.entity';
import { UserRepository } from '../identity/user.repository';
import { UsersService } from '../identity/users.service';
import { PolicyFileError, PolicyRefusedError } from './policy-file';
import type { PolicyRun } from './policy-run';

/** The people and groups of a policy file. */
@Injectable()
export class PolicyPeopleApplier {
  constructor(
    private readonly users: UserRepository,
    private readonly groups: GroupRepository,
    private readonly people: UsersService,
  ) {}

  async apply(run: PolicyRun): Promise<void> {
    await this.applyUsers(run);
    await this.applyGroups(run);
  }

  /**
   * The role rule is checked for the whole file before anything is written, so a file that
   * grants what its author could not grant directly changes nothing at all.
   */
  private async applyUsers(run: PolicyRun): Promise<void> {
    const known = new Map<string, UserEntity>();
    for (const u of await this.users.all()) {
      run.userIds.set(u.email, u.id);
      known.set(u.email, u);
      if (u.deactivatedAt) run.inactiveUserIds.add(u.id);
    }
    await this.assertRoleChangesAllowed(run, known);
    for (const u of run.policy.users) {
      const existing = known.get(u.email) ?? null;
      const roles = [...new Set(u.roles)].sort();
      if (!existing) {
        run.changes.push(`create user ${u.email} (${roles.join(', ')})`);
        if (!run.dryRun) {
          const row = await this.people.savePerson(run.actor, null, { ...u, roles });
          run.userIds.set(u.email, row.id);
        } else run.userIds.set(u.email, run.placeholder('user', u.email));
      } else if (
        existing.name !== u.name ||
        canonicalJson([...existing.roles].sort()) !== canonicalJson(roles)
      ) {
        run.changes.push(`update user ${u.email}`);
        if (!run.dryRun) await this.people.savePerson(run.actor, existing, { ...u, roles });
      }
    }
  }

  /** Every user entry of the file against the role rule; a refusal is audited with its lines. */
  private async assertRoleChangesAllowed(
    run: PolicyRun,
    known: ReadonlyMap<string, UserEntity>,
  ): Promise<void> {
    const refused = run.policy.users.flatMap((u, i) => {
      const before = known.get(u.email)?.roles ?? null;
      const reason = roleChangeRefusal(run.actor.roles, { before, after: u.roles });
      return reason ? [{ u, i, before, reason }] : [];
    });
    if (!refused.length) return this.assertAnAdminRemains(run, known);
    const errors = refused.map(({ u, i, reason }) =>
      run.source.error(['users', i, 'roles'], `${u.email}: ${reason}`),
    );
    await this.people.auditRoleRefusal(
      run.actor,
      refused.map(({ u, before, reason }, n) => ({
        email: u.email,
        rolesBefore: before,
        roles: u.roles,
        reason,
        line: errors[n].line,
      })),
      'policy',
    );
    throw new PolicyRefusedError(errors);
  }

  /** A file may not demote every active admin (checked whole, like the role rule). */
  private assertAnAdminRemains(run: PolicyRun, known: ReadonlyMap<string, UserEntity>): void {
    const entry = new Map(run.policy.users.map((u, i) => [u.email, { roles: u.roles, i }]));
    const admins = [...known.values()].filter((u) => u.roles.includes('admin') && !u.deactivatedAt);
    const kept = admins.filter((u) => entry.get(u.email)?.roles.includes('admin') ?? true);
    const added = run.policy.users.filter((u) => !known.has(u.email) && u.roles.includes('admin'));
    if (!admins.length || kept.length || added.length) return;
    throw new PolicyFileError(
      admins.map((u) =>
        run.source.error(
          ['users', entry.get(u.email)!.i, 'roles'],
          `${u.email} is the last admin: keep admin on someone`,
        ),
      ),
    );
  }

  private async applyGroups(run: PolicyRun): Promise<void> {
    for (const g of await this.groups.list()) {
      run.groupIds.set(g.name, g.id);
      run.membersBefore.set(g.id, g.memberIds);
      run.membersAfter.set(g.id, g.memberIds);
    }
    for (const [i, g] of run.policy.groups.entries()) {
      const members = run.resolveUsers(g.members, ['groups', i, 'members']);
      const slackUsergroupId = g.slackUsergroup ?? null;
      const existing = await this.groups.byName(g.name);
      const linkedMembers = existing && slackUsergroupId ? existing.memberIds : null;
      if (!existing) {
        run.changes.push(`create group ${g.name}`);
        run.groupIds.set(
          g.name,
          run.dryRun
            ? run.placeholder('group', g.name)
            : (await this.groups.insert({ name: g.name, memberIds: members, slackUsergroupId })).id,
        );
      } else if (existing.slackUsergroupId !== slackUsergroupId) {
        run.changes.push(
          slackUsergroupId
            ? `link group ${g.name} to Slack user group ${slackUsergroupId}`
            : `unlink group ${g.name} from Slack user group ${existing.slackUsergroupId}`,
        );
        if (!run.dryRun)
          await this.groups.update(existing.id, {
            slackUsergroupId,
            ...(slackUsergroupId ? {} : { memberIds: members }),
          });
      } else if (
        // A linked group's members come from Slack: the file does not fight the sync.
        !slackUsergroupId &&
        canonicalJson([...existing.memberIds].sort()) !== canonicalJson([...members].sort())
      ) {
        run.changes.push(`update group ${g.name} members`);
        if (!run.dryRun) await this.groups.update(existing.id, { memberIds: members });
      }
      run.membersAfter.set(run.groupIds.get(g.name)!, linkedMembers ?? members);
    }
  }
}
