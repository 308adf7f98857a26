import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { DomainError, ErrorCode } from '../common/errors';
import { GroupRepository } from '../identity/group.repository';
import { GroupsService } from '../identity/groups.service';
import type { ScimCaller } from './scim-caller';
import { type GroupFilter, ScimLinkRepository } from './scim-link.repository';
import { memberIdsOf, patchGroup, type GroupState } from './scim-patch';
import { type Page, type PatchOperation, scimInvalid, stripSchema } from './scim-protocol';
import type { ScimGroupView } from './scim-resources';

/** A full Group resource (POST, PUT): its name, the provider's id for it, its members. */
export function groupStateOf(resource: unknown): GroupState {
  if (!resource || typeof resource !== 'object' || Array.isArray(resource))
    throw scimInvalid('invalidSyntax', 'a Group is a JSON object');
  const fields = Object.fromEntries(
    Object.entries(resource).map(([k, v]) => [stripSchema(k).toLowerCase(), v as unknown]),
  );
  const { displayname: displayName, externalid: externalId, members } = fields;
  if (typeof displayName !== 'string' || !displayName.trim())
    throw scimInvalid('invalidValue', 'a Group has a displayName');
  if (externalId !== undefined && externalId !== null && typeof externalId !== 'string')
    throw scimInvalid('invalidValue', 'externalId must be a string');
  return {
    displayName,
    externalId: externalId ?? null,
    memberIds: members === undefined || members === null ? [] : [...new Set(memberIdsOf(members))],
  };
}

/**
 * SCIM Groups as Doorman groups. Access flows name groups as their requestors and approvers,
 * so a member added or removed here asks and approves (or no longer does) from the next call.
 * A group deleted at the provider is emptied, not dropped: flows still name it.
 */
@Injectable()
export class ScimGroupsService {
  constructor(
    private readonly links: ScimLinkRepository,
    private readonly groupRows: GroupRepository,
    private readonly groups: GroupsService,
  ) {}

  list(c: ScimCaller, filter: GroupFilter, page: Page) {
    return this.links.groups(c.providerId, filter, page);
  }

  async get(c: ScimCaller, id: string): Promise<ScimGroupView> {
    const g = await this.links.group(c.providerId, id);
    if (!g) throw DomainError.notFound('Group', id);
    return g;
  }

  /** A new group, or the Doorman group of that name when no provider has it yet (adopted). */
  @Transactional()
  async create(c: ScimCaller, resource: unknown): Promise<ScimGroupView> {
    const next = groupStateOf(resource);
    const known = await this.groupRows.byName(next.displayName);
    if (known && (await this.links.providerOfGroup(known.id)))
      throw new DomainError(ErrorCode.Conflict, `a Group named ${next.displayName} exists`, {
        scimType: 'uniqueness',
      });
    const groupId = known
      ? (await this.groups.updateGroup(c.actor, known.id, { memberIds: next.memberIds })).id
      : (
          await this.groups.createGroup(c.actor, {
            name: next.displayName,
            memberIds: next.memberIds,
          })
        ).id;
    await this.links.saveGroupLink({
      groupId,
      providerId: c.providerId,
      externalId: next.externalId,
    });
    return this.get(c, groupId);
  }

  @Transactional()
  async replace(c: ScimCaller, id: string, resource: unknown): Promise<ScimGroupView> {
    return this.save(c, await this.get(c, id), groupStateOf(resource));
  }

  @Transactional()
  async patch(c: ScimCaller, id: string, ops: PatchOperation[]): Promise<ScimGroupView> {
    const current = await this.get(c, id);
    return this.save(c, current, patchGroup(current, ops));
  }

  /** Emptied (whatever it gave its members ends with them) and let go by the provider. */
  @Transactional()
  async remove(c: ScimCaller, id: string): Promise<void> {
    await this.get(c, id);
    await this.groups.updateGroup(c.actor, id, { memberIds: [] });
    await this.links.deleteGroupLink(id);
  }

  private async save(c: ScimCaller, current: ScimGroupView, next: GroupState) {
    const sameMembers =
      next.memberIds.length === current.memberIds.length &&
      next.memberIds.every((m) => current.memberIds.includes(m));
    if (!sameMembers || next.displayName !== current.displayName) {
      await this.groups.updateGroup(c.actor, current.id, {
        name: next.displayName,
        ...(sameMembers ? {} : { memberIds: next.memberIds }),
      });
      await this.links.touchGroupLink(current.id);
    }
    if (next.externalId !== current.externalId)
      await this.links.saveGroupLink({
        groupId: current.id,
        providerId: c.providerId,
        externalId: next.externalId,
      });
    return this.get(c, current.id);
  }
}
