import type { InventoryRole } from '@doorman/contracts';
import type { DesiredState } from './desired-state';
import { inventoryPredates, roleDrift } from './reconcile.policy';

const now = new Date('2026-11-21T12:00:00Z');
const expiry = new Date('2026-11-21T13:00:00Z');
const read = { database: 'app', schema: 'public', permission: 'read' as const };
const active: DesiredState = {
  login: true,
  groups: [read],
  validUntil: expiry,
  startingDurationSeconds: null,
  rotatePassword: false,
};
const ended: DesiredState = { ...active, login: false, groups: [], validUntil: null };
const role = (over: Partial<InventoryRole> = {}): InventoryRole => ({
  name: 'alice_doorman',
  person: '00000000-0000-4000-8000-000000000001',
  generation: 3,
  canLogin: true,
  validUntil: expiry.toISOString(),
  groups: [read],
  ...over,
});
const revokedRole = role({
  canLogin: false,
  groups: [],
  validUntil: '1970-01-01T00:00:00.000Z',
});

describe('roleDrift', () => {
  it('a role matching its desired state has no drift', () => {
    expect(roleDrift(active, role(), now)).toEqual([]);
    expect(roleDrift(ended, revokedRole, now)).toEqual([]);
    expect(roleDrift(ended, null, now)).toEqual([]);
  });

  it('VALID UNTIL within a second (microsecond rounding) is the same', () => {
    const v = new Date(expiry.getTime() + 999).toISOString();
    expect(roleDrift(active, role({ validUntil: v }), now)).toEqual([]);
  });

  it('an orphan: can log in with no active grant', () => {
    expect(roleDrift(ended, { ...revokedRole, canLogin: true }, now)).toEqual([
      'can log in without an active grant',
    ]);
  });

  it('a missing and an unexpected membership', () => {
    const other = { database: 'app', schema: 'audit', permission: 'write' };
    expect(roleDrift(active, role({ groups: [other] }), now)).toEqual([
      'missing membership read app.public',
      'unexpected membership write app.audit',
    ]);
  });

  it('a stale VALID UNTIL, and one reopened on a role that must not log in', () => {
    expect(roleDrift(active, role({ validUntil: null }), now)).toEqual([
      `VALID UNTIL infinity, expected ${expiry.toISOString()}`,
    ]);
    expect(roleDrift(ended, { ...revokedRole, validUntil: null }, now)).toEqual([
      'VALID UNTIL infinity on a role that must not log in',
    ]);
  });

  it('a role that vanished while a grant is active', () => {
    expect(roleDrift(active, null, now)).toEqual(['role missing while a grant is active']);
  });
});

describe('inventoryPredates', () => {
  const appliedAt = new Date('2026-11-21T12:00:00.500Z');
  const applied = { generation: 3, at: appliedAt };
  const before = new Date(appliedAt.getTime() - 1);
  const after = new Date(appliedAt.getTime() + 1);

  it('an inventory read before the newest applied sync finished is not judged, role missing or not', () => {
    expect(inventoryPredates(null, before, applied)).toBe(true);
    expect(inventoryPredates(role(), before, applied)).toBe(true);
    // Read in the same millisecond: it may not have seen the commit.
    expect(inventoryPredates(null, appliedAt, applied)).toBe(true);
  });

  it('an inventory read after it is judged: a role missing then is missing', () => {
    expect(inventoryPredates(null, after, applied)).toBe(false);
    expect(roleDrift(active, null, after)).toEqual(['role missing while a grant is active']);
    expect(inventoryPredates(role(), after, applied)).toBe(false);
  });

  it('a role reported at an older generation than the one applied is not judged, whenever read', () => {
    expect(inventoryPredates(role({ generation: 2 }), after, applied)).toBe(true);
    expect(inventoryPredates(role({ generation: 3 }), after, applied)).toBe(false);
  });

  it('without a known apply time (results from before it was recorded) only generations count', () => {
    expect(inventoryPredates(null, before, { generation: 3, at: null })).toBe(false);
    expect(inventoryPredates(role({ generation: 2 }), before, { generation: 3, at: null })).toBe(
      true,
    );
  });
});
