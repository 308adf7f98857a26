import { Test } from '@nestjs/testing';
import { ClsPluginTransactional, NoOpTransactionalAdapter } from '@nestjs-cls/transactional';
import { ClsModule } from 'nestjs-cls';
import { AuditService, type AuditInput } from '../audit/audit.service';
import { DomainError, ErrorCode } from '../common/errors';
import type { Actor } from './actor';
import type { DoormanRole } from './doorman-roles';
import type { UserEntity } from './user.entity';
import { UserRepository, type NewUser } from './user.repository';
import { OutboxService } from '../outbox/outbox.service';
import { UsersService } from './users.service';

/** Our user repository as a map: what the service wrote is what a later read sees. */
class FakeUsers {
  readonly rows = new Map<string, UserEntity>();
  private next = 1;

  add(email: string, roles: DoormanRole[], deactivatedAt: Date | null = null): UserEntity {
    const user = {
      id: `u${this.next++}`,
      email,
      name: email,
      roles,
      slackUserId: null,
      createdAt: new Date(),
      deactivatedAt,
    };
    this.rows.set(user.id, user);
    return { ...user };
  }
  async insert(u: NewUser) {
    return this.add(u.email, u.roles);
  }
  async existsWithEmail(email: string) {
    return [...this.rows.values()].some((u) => u.email === email);
  }
  async byId(id: string) {
    const u = this.rows.get(id);
    return u ? { ...u } : null;
  }
  async updateProfile(id: string, p: { name: string; roles: DoormanRole[] }) {
    Object.assign(this.rows.get(id)!, p);
  }
  async setDeactivatedAt(id: string, at: Date | null) {
    this.rows.get(id)!.deactivatedAt = at;
  }
  async countActiveAdmins() {
    return [...this.rows.values()].filter((u) => u.roles.includes('admin') && !u.deactivatedAt)
      .length;
  }
}

describe('UsersService', () => {
  let users: FakeUsers;
  let events: AuditInput[];
  let service: UsersService;
  const admin: Actor = { id: 'a', email: 'admin@x.io', roles: ['admin'], channel: 'api' };
  const security: Actor = { id: 's', email: 'sec@x.io', roles: ['security'], channel: 'api' };

  beforeEach(async () => {
    users = new FakeUsers();
    events = [];
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
        UsersService,
        { provide: UserRepository, useValue: users },
        { provide: AuditService, useValue: { record: async (e: AuditInput) => events.push(e) } },
        { provide: OutboxService, useValue: { add: async () => undefined } },
      ],
    }).compile();
    service = module.get(UsersService);
  });

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: unknown) => (e instanceof DomainError ? e.code : e),
    );

  it('refuses security making an admin: the refusal audited, nobody created', async () => {
    const code = await refusal(
      service.createUser(security, { email: 'Eve@x.io', name: 'Eve', roles: ['admin'] }),
    );
    expect(code).toBe(ErrorCode.Forbidden);
    expect(users.rows.size).toBe(0);
    expect(events).toEqual([
      expect.objectContaining({
        action: 'user.role_change_refused',
        details: {
          via: 'api',
          refused: [expect.objectContaining({ email: 'eve@x.io', roles: ['admin'] })],
        },
      }),
    ]);
  });

  it('creates a person with roles sorted and deduplicated, audited', async () => {
    const u = await service.createUser(admin, {
      email: 'Dan@x.io',
      name: 'Dan',
      roles: ['requester', 'approver', 'requester'],
    });
    expect(u).toMatchObject({ email: 'dan@x.io', roles: ['approver', 'requester'] });
    expect(events.map((e) => e.action)).toEqual(['user.created']);
    expect(
      await refusal(service.createUser(admin, { email: u.email, name: u.name, roles: [] })),
    ).toBe(ErrorCode.Conflict);
  });

  it('keeps the last active admin: demoting them is refused, demoting one of two is not', async () => {
    const only = users.add('one@x.io', ['admin']);
    users.add('gone@x.io', ['admin'], new Date()); // deactivated: does not count
    expect(await refusal(service.updateUser(admin, only.id, { roles: ['security'] }))).toBe(
      ErrorCode.Conflict,
    );
    expect(users.rows.get(only.id)!.roles).toEqual(['admin']);
    users.add('two@x.io', ['admin']);
    await service.updateUser(admin, only.id, { roles: ['security'] });
    expect(users.rows.get(only.id)!.roles).toEqual(['security']);
    expect(events.at(-1)).toMatchObject({
      action: 'user.roles_changed',
      details: { rolesBefore: ['admin'], roles: ['security'] },
    });
  });

  it('an update that changes nothing writes and audits nothing', async () => {
    const u = users.add('same@x.io', ['requester']);
    await service.updateUser(admin, u.id, { name: u.name, roles: ['requester'] });
    expect(events).toEqual([]);
  });

  it('deactivates under its rules: not yourself, an admin only by an admin; twice is once', async () => {
    const boss = users.add('boss@x.io', ['admin']);
    const alice = users.add('alice@x.io', ['requester']);
    expect(
      await refusal(service.setDeactivated({ ...security, id: alice.id }, alice.id, true)),
    ).toBe(ErrorCode.Forbidden);
    expect(await refusal(service.setDeactivated(security, boss.id, true))).toBe(
      ErrorCode.Forbidden,
    );
    const first = await service.setDeactivated(security, alice.id, true);
    const again = await service.setDeactivated(security, alice.id, true);
    expect(again.deactivatedAt).toEqual(first.deactivatedAt);
    expect(events.map((e) => e.action)).toEqual(['user.deactivated']);
    await service.setDeactivated(security, alice.id, false);
    expect(users.rows.get(alice.id)!.deactivatedAt).toBeNull();
    expect(events.map((e) => e.action)).toEqual(['user.deactivated', 'user.reactivated']);
  });
});
