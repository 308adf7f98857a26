import { DomainError, ErrorCode } from '../common/errors';
import type { Actor } from '../identity/actor';
import type { UsersService } from '../identity/users.service';
import type { UserEntity } from '../identity/user.entity';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import type { RequestsService } from '../requests/requests.service';
import type { AuditService } from '../audit/audit.service';
import { DeactivationService } from './deactivation.service';

/** The rounds of DeactivationService: what moved meanwhile is ended in the next round. */
describe('DeactivationService', () => {
  const actor: Actor = { id: 'sec', email: 'sec@x.io', roles: ['security'], channel: 'api' };
  const user = { id: 'alice', email: 'alice@x.io', deactivatedAt: new Date() } as UserEntity;

  /** A person's requests as a little state machine the fake service methods move. */
  function world(initial: Record<string, string>, onCancel: (id: string) => boolean) {
    const status = new Map(Object.entries(initial));
    const events: Array<{ action: string; details?: Record<string, unknown> }> = [];
    const requests = {
      openRequestsOf: jest.fn(async () =>
        [...status]
          .filter(([, s]) => ['PENDING', 'APPROVED', 'GRANTING', 'ACTIVE'].includes(s))
          .map(([id, s]) => ({ id, status: s }) as AccessRequestEntity),
      ),
      cancelForDeactivated: jest.fn(async (_a: Actor, id: string) => {
        if (!onCancel(id)) {
          status.set(id, 'APPROVED'); // approved by someone between the listing and the cancel
          return false;
        }
        status.set(id, 'CANCELLED');
        return true;
      }),
      revoke: jest.fn(async (_a: Actor, id: string) => {
        if (status.get(id) === 'REVOKING')
          throw new DomainError(ErrorCode.IllegalTransition, 'already ending');
        status.set(id, status.get(id) === 'APPROVED' ? 'REVOKED' : 'REVOKING');
        return {} as AccessRequestEntity;
      }),
    };
    const users = { setDeactivated: jest.fn(async () => user) };
    const audit = { record: jest.fn(async (e: (typeof events)[number]) => void events.push(e)) };
    const service = new DeactivationService(
      users as unknown as UsersService,
      requests as unknown as RequestsService,
      audit as unknown as AuditService,
    );
    return { service, status, events, users };
  }

  it('deactivates first, then cancels what is pending and revokes what is held', async () => {
    const w = world({ p: 'PENDING', a: 'ACTIVE', g: 'GRANTING', d: 'DENIED' }, () => true);
    const r = await w.service.deactivate(actor, 'alice');
    expect(w.users.setDeactivated).toHaveBeenCalledWith(actor, 'alice', true);
    expect(r).toMatchObject({ cancelled: ['p'], revoked: ['a', 'g'] });
    expect(Object.fromEntries(w.status)).toEqual({
      p: 'CANCELLED',
      a: 'REVOKING',
      g: 'REVOKING',
      d: 'DENIED',
    });
    expect(w.events).toEqual([
      {
        action: 'user.access_ended',
        actor,
        details: { userId: 'alice', revoked: ['a', 'g'], cancelled: ['p'], stillOpen: [] },
      },
    ]);
  });

  it('a pending request approved meanwhile is revoked in the next round', async () => {
    const w = world({ p: 'PENDING' }, () => false);
    const r = await w.service.deactivate(actor, 'alice');
    expect(r).toMatchObject({ cancelled: [], revoked: ['p'] });
    expect(w.status.get('p')).toBe('REVOKED');
  });
});
