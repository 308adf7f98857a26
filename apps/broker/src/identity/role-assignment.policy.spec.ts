import { DOORMAN_ROLES, type DoormanRole } from './doorman-roles';
import { changedRoles, roleChangeRefusal } from './role-assignment.policy';

/** Every caller's roles × a target's roles before × after, against the rule written plainly. */
describe('role assignment rule', () => {
  const subsets = (xs: readonly DoormanRole[]): DoormanRole[][] =>
    xs.reduce<DoormanRole[][]>((acc, x) => [...acc, ...acc.map((s) => [...s, x])], [[]]);
  const all = subsets(DOORMAN_ROLES);

  /** The rule restated independently of the implementation. */
  function expected(actor: DoormanRole[], before: DoormanRole[] | null, after: DoormanRole[]) {
    const was = before ?? [];
    const changed = DOORMAN_ROLES.filter((r) => was.includes(r) !== after.includes(r));
    if (changed.length === 0) return true;
    if (actor.includes('admin')) return true;
    if (!actor.includes('security')) return false;
    return !was.includes('admin') && !changed.includes('admin');
  }

  it('matches the table for every caller, every target before (or new) and every target after', () => {
    const wrong: string[] = [];
    for (const actor of all)
      for (const before of [null, ...all])
        for (const after of all) {
          const allowed = roleChangeRefusal(actor, { before, after }) === null;
          if (allowed !== expected(actor, before, after))
            wrong.push(`${actor.join('+')}: ${before?.join('+') ?? 'new'} → ${after.join('+')}`);
        }
    expect(wrong).toEqual([]);
  });

  it.each<[string, DoormanRole[], DoormanRole[] | null, DoormanRole[], boolean]>([
    ['security makes itself admin', ['security'], ['security'], ['security', 'admin'], false],
    ['security creates an admin', ['security'], null, ['admin'], false],
    ['security demotes an admin', ['security'], ['admin'], ['requester'], false],
    ['security adds approver to an admin', ['security'], ['admin'], ['admin', 'approver'], false],
    ['security assigns approver', ['security'], ['requester'], ['requester', 'approver'], true],
    ['security makes another security', ['security'], ['requester'], ['security'], true],
    ['security takes every role away', ['security'], ['approver', 'auditor'], [], true],
    ['admin promotes to admin', ['admin'], ['requester'], ['admin'], true],
    ['admin demotes an admin', ['admin'], ['admin'], ['security'], true],
    ['approver assigns requester', ['approver'], null, ['requester'], false],
    ['auditor removes a role', ['auditor'], ['requester'], [], false],
    ['anyone leaves an admin’s roles as they are', ['requester'], ['admin'], ['admin'], true],
    [
      'a role listed twice or reordered is no change',
      ['approver'],
      ['approver', 'requester'],
      ['requester', 'requester', 'approver'],
      true,
    ],
  ])('%s', (_name, actor, before, after, allowed) => {
    const refusal = roleChangeRefusal(actor, { before, after });
    expect(refusal === null).toBe(allowed);
    if (!allowed) expect(refusal).toMatch(/only/);
  });

  it('names what changed, given and taken', () => {
    expect(changedRoles({ before: ['security', 'auditor'], after: ['auditor', 'admin'] })).toEqual([
      'admin',
      'security',
    ]);
    expect(changedRoles({ before: null, after: ['requester'] })).toEqual(['requester']);
  });
});
