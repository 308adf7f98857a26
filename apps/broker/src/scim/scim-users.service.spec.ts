import { Test } from '@nestjs/testing';
import { ClsPluginTransactional, NoOpTransactionalAdapter } from '@nestjs-cls/transactional';
import { ClsModule } from 'nestjs-cls';
import type { Actor } from '../common/actor';
import { UserRepository } from '../identity/user.repository';
import { UsersService } from '../identity/users.service';
import { DeactivationService } from '../people/deactivation.service';
import type { ScimCaller } from './scim-caller';
import { ScimLinkRepository } from './scim-link.repository';
import type { ScimUserView } from './scim-resources';
import type { ScimUserEntity } from './scim-user.entity';
import { ScimUsersService } from './scim-users.service';

interface Person {
  id: string;
  email: string;
  name: string;
  deactivatedAt: Date | null;
}
type Link = Pick<
  ScimUserEntity,
  'userId' | 'providerId' | 'externalId' | 'displayName' | 'givenName' | 'familyName'
> & { deactivatedByScim: boolean };

/** People, their links, and what deactivation did: our repositories and services as maps. */
class World {
  readonly people = new Map<string, Person>();
  readonly links = new Map<string, Link>();
  readonly cutOff: string[] = [];
  private next = 1;

  person(email: string, deactivatedAt: Date | null = null): Person {
    const p = { id: `u${this.next++}`, email, name: email, deactivatedAt };
    this.people.set(p.id, p);
    return p;
  }

  readonly userRepository = {
    byEmail: async (email: string) =>
      [...this.people.values()].find((p) => p.email === email) ?? null,
    byId: async (id: string) => this.people.get(id) ?? null,
  };

  readonly usersService = {
    createUser: async (_a: Actor, input: { email: string; name: string }) => {
      const p = this.person(input.email);
      p.name = input.name;
      return p;
    },
    updateUser: async (_a: Actor, id: string, input: { name?: string }) => {
      const p = this.people.get(id)!;
      p.name = input.name ?? p.name;
      return p;
    },
  };

  readonly deactivation = {
    deactivate: async (_a: Actor, id: string) => {
      this.people.get(id)!.deactivatedAt = new Date();
      this.cutOff.push(id);
    },
    reactivate: async (_a: Actor, id: string) => {
      this.people.get(id)!.deactivatedAt = null;
    },
  };

  readonly linkRepository = {
    user: async (providerId: string, id: string): Promise<ScimUserView | null> => {
      const l = this.links.get(id);
      const p = this.people.get(id);
      if (!l || !p || l.providerId !== providerId) return null;
      const { userId, providerId: _provider, deactivatedByScim: _by, ...rest } = l;
      return {
        ...rest,
        id: userId,
        userName: p.email,
        active: p.deactivatedAt === null,
        created: new Date(0),
        lastModified: new Date(0),
      };
    },
    providerOfUser: async (id: string) => this.links.get(id)?.providerId ?? null,
    saveUserLink: async (l: Omit<Link, 'deactivatedByScim'>) => {
      this.links.set(l.userId, { deactivatedByScim: false, ...this.links.get(l.userId), ...l });
    },
    setDeactivatedByScim: async (id: string, by: boolean) => {
      this.links.get(id)!.deactivatedByScim = by;
    },
    deactivatedByScim: async (id: string) => this.links.get(id)?.deactivatedByScim ?? false,
    deleteUserLink: async (id: string) => {
      this.links.delete(id);
    },
  };
}

const caller = (providerId: string): ScimCaller => ({
  providerId,
  actor: { id: providerId, email: `scim:${providerId}`, roles: ['admin'], channel: 'scim' },
});
const okta = caller('okta');
const user = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  ...extra,
});
const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: { code?: string; details?: { scimType?: string } }) =>
      `${e.code}${e.details?.scimType ? `/${e.details.scimType}` : ''}`,
  );

describe('ScimUsersService', () => {
  let w: World;
  let service: ScimUsersService;

  beforeEach(async () => {
    w = new World();
    const module = await Test.createTestingModule({
      imports: [
        ClsModule.forRoot({
          plugins: [
            new ClsPluginTransactional({
              adapter: new NoOpTransactionalAdapter({ tx: {}, disableWarning: true }),
            }),
          ],
        }),
      ],
      providers: [
        ScimUsersService,
        { provide: ScimLinkRepository, useValue: w.linkRepository },
        { provide: UserRepository, useValue: w.userRepository },
        { provide: UsersService, useValue: w.usersService },
        { provide: DeactivationService, useValue: w.deactivation },
      ],
    }).compile();
    service = module.get(ScimUsersService);
  });

  it('creates a person named from the SCIM name, or adopts the one Doorman knows by email', async () => {
    const created = await service.create(
      okta,
      user('New@Example.com', { name: { givenName: 'Ada', familyName: 'Lovelace' } }),
    );
    expect(w.people.get(created.id)).toMatchObject({
      email: 'new@example.com',
      name: 'Ada Lovelace',
    });
    const known = w.person('known@example.com');
    const adopted = await service.create(okta, user('known@example.com', { displayName: 'K' }));
    expect(adopted.id).toBe(known.id);
    expect(w.people.get(known.id)?.name).toBe('K');
  });

  it('refuses a userName another provider (or this one) already has, and one that is no email', async () => {
    const p = w.person('taken@example.com');
    await w.linkRepository.saveUserLink({
      userId: p.id,
      providerId: 'entra',
      externalId: null,
      displayName: null,
      givenName: null,
      familyName: null,
    });
    expect(await codeOf(service.create(okta, user('taken@example.com')))).toBe(
      'CONFLICT/uniqueness',
    );
    expect(await codeOf(service.create(okta, user('not-an-email')))).toBe(
      'VALIDATION/invalidValue',
    );
    expect(await codeOf(service.get(okta, p.id))).toBe('NOT_FOUND');
  });

  it('active false cuts the person off once; active true brings back only whom it cut off', async () => {
    const { id } = await service.create(okta, user('a@example.com'));
    const ops = (active: unknown) => [{ op: 'replace' as const, path: 'active', value: active }];
    await service.patch(okta, id, ops('False'));
    await service.patch(okta, id, ops(false));
    expect(w.cutOff).toEqual([id]);
    expect((await service.patch(okta, id, ops('True'))).active).toBe(true);

    w.people.get(id)!.deactivatedAt = new Date(); // security, by hand
    expect((await service.patch(okta, id, ops(true))).active).toBe(false);
  });

  it('a new userName is refused: it is the person’s email in Doorman', async () => {
    const { id } = await service.create(okta, user('b@example.com'));
    expect(await codeOf(service.replace(okta, id, user('c@example.com')))).toBe(
      'VALIDATION/mutability',
    );
    expect(
      (await service.replace(okta, id, user('B@example.com', { active: true }))).userName,
    ).toBe('b@example.com');
  });

  it('DELETE cuts the person off and lets go of them', async () => {
    const { id } = await service.create(okta, user('d@example.com'));
    await service.remove(okta, id);
    expect(w.cutOff).toEqual([id]);
    expect(await codeOf(service.get(okta, id))).toBe('NOT_FOUND');
    expect(w.people.get(id)?.deactivatedAt).toEqual(expect.any(Date));
  });
});
