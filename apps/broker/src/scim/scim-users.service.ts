import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { DomainError, ErrorCode } from '../common/errors';
import { UserRepository } from '../identity/user.repository';
import { UsersService } from '../identity/users.service';
import { DeactivationService } from '../people/deactivation.service';
import type { ScimCaller } from './scim-caller';
import { ScimLinkRepository, type UserFilter } from './scim-link.repository';
import { patchUser, personName, type UserState } from './scim-patch';
import { type Page, type PatchOperation, scimInvalid } from './scim-protocol';
import type { ScimUserView } from './scim-resources';

const BLANK: UserState = {
  userName: '',
  externalId: null,
  displayName: null,
  givenName: null,
  familyName: null,
  active: true,
};

/** A full User resource (POST, PUT) as what Doorman keeps of it; userName must be an email. */
export function userStateOf(resource: unknown): UserState {
  if (!resource || typeof resource !== 'object' || Array.isArray(resource))
    throw scimInvalid('invalidSyntax', 'a User is a JSON object');
  const s = patchUser(BLANK, [{ op: 'replace', value: resource }]);
  if (!/^[^@\s]+@[^@\s]+$/.test(s.userName))
    throw scimInvalid('invalidValue', 'userName must be the person’s email address');
  return { ...s, userName: s.userName.toLowerCase() };
}

/**
 * SCIM Users as Doorman people: created or adopted by email, renamed, deactivated. Setting a
 * person inactive, or deleting them, ends their access at once through DeactivationService
 * (grants revoked, pending requests cancelled, tokens and sessions dead).
 */
@Injectable()
export class ScimUsersService {
  constructor(
    private readonly links: ScimLinkRepository,
    private readonly people: UserRepository,
    private readonly users: UsersService,
    private readonly deactivation: DeactivationService,
  ) {}

  list(c: ScimCaller, filter: UserFilter, page: Page) {
    return this.links.users(c.providerId, filter, page);
  }

  async get(c: ScimCaller, id: string): Promise<ScimUserView> {
    const u = await this.links.user(c.providerId, id);
    if (!u) throw DomainError.notFound('User', id);
    return u;
  }

  async create(c: ScimCaller, resource: unknown): Promise<ScimUserView> {
    const next = userStateOf(resource);
    const id = await this.saveProfile(c, null, next);
    await this.applyActive(c, id, next.active);
    return this.get(c, id);
  }

  async replace(c: ScimCaller, id: string, resource: unknown): Promise<ScimUserView> {
    const current = await this.get(c, id);
    const next = userStateOf(resource);
    await this.saveProfile(c, current, next);
    await this.applyActive(c, id, next.active);
    return this.get(c, id);
  }

  async patch(c: ScimCaller, id: string, ops: PatchOperation[]): Promise<ScimUserView> {
    const current = await this.get(c, id);
    const next = patchUser(current, ops);
    await this.saveProfile(c, current, { ...next, userName: next.userName.toLowerCase() });
    await this.applyActive(c, id, next.active);
    return this.get(c, id);
  }

  /** Deleted at the provider: access ends as for `active: false`, and the provider lets go. */
  async remove(c: ScimCaller, id: string): Promise<void> {
    await this.get(c, id);
    await this.applyActive(c, id, false);
    await this.links.deleteUserLink(id);
  }

  /**
   * The person's name and the provider's view of them, in one transaction. A new userName is
   * a person Doorman already knows (adopted, unless another provider has them) or a new one.
   */
  @Transactional()
  private async saveProfile(
    c: ScimCaller,
    current: ScimUserView | null,
    next: UserState,
  ): Promise<string> {
    const name = personName(next);
    let userId: string;
    if (current) {
      if (next.userName !== current.userName)
        throw scimInvalid(
          'mutability',
          'userName is the person’s email in Doorman: it cannot change',
        );
      userId = current.id;
      await this.users.updateUser(c.actor, userId, { name });
    } else {
      const known = await this.people.byEmail(next.userName);
      if (known && (await this.links.providerOfUser(known.id)))
        throw new DomainError(ErrorCode.Conflict, `a User with userName ${next.userName} exists`, {
          scimType: 'uniqueness',
        });
      userId = known
        ? (await this.users.updateUser(c.actor, known.id, { name })).id
        : (
            await this.users.createUser(c.actor, {
              email: next.userName,
              name,
              roles: ['requester'],
            })
          ).id;
    }
    await this.links.saveUserLink({
      userId,
      providerId: c.providerId,
      externalId: next.externalId,
      displayName: next.displayName,
      givenName: next.givenName,
      familyName: next.familyName,
    });
    return userId;
  }

  /**
   * Inactive: cut off now, remembered as this provider's doing. Active again: back in only if
   * this provider cut them off; someone security deactivated stays deactivated.
   */
  private async applyActive(c: ScimCaller, userId: string, active: boolean): Promise<void> {
    const person = await this.people.byId(userId);
    if (!person) throw DomainError.notFound('User', userId);
    if (!active && person.deactivatedAt === null) {
      await this.links.setDeactivatedByScim(userId, true);
      await this.deactivation.deactivate(c.actor, userId);
    } else if (active && person.deactivatedAt && (await this.links.deactivatedByScim(userId))) {
      await this.deactivation.reactivate(c.actor, userId);
      await this.links.setDeactivatedByScim(userId, false);
    }
  }
}
