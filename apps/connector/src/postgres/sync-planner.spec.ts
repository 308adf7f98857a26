import { CONTRACT_VERSION, formatRoleComment, type SyncUserJob } from '@doorman/contracts';
import { ConnectorErrorCode } from '../common/connector.error';
import { groupRoleName } from './group-role';
import {
  ABSENT_ROLE,
  EXPIRED,
  planSync,
  withoutGroups,
  type RoleState,
  type ServerContext,
} from './sync-planner';

const PERSON = '7d9f1c1e-7a53-4a4e-9d0f-3a6a1b0c2d11';
const OTHER = '0b2f6f0e-1111-4c4c-8888-999999999999';
const NOW = new Date('2025-03-01T12:00:00.000Z');
const PG15: ServerContext = { now: NOW, serverVersionNum: 150004 };
const PG16: ServerContext = { now: NOW, serverVersionNum: 160002 };

const READ = { database: 'app', schema: 'public', permission: 'read' as const };
const WRITE = { database: 'app', schema: 'sales', permission: 'write' as const };
const gRead = groupRoleName(READ);
const gWrite = groupRoleName(WRITE);

function job(over: Partial<SyncUserJob> = {}): SyncUserJob {
  return {
    v: CONTRACT_VERSION,
    kind: 'sync-user',
    integrationId: '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
    personId: PERSON,
    personEmail: 'alice@example.com',
    username: 'alice_doorman',
    generation: 5,
    login: true,
    groups: [READ],
    validUntil: null,
    startingDurationSeconds: 3600,
    connectionLimit: 5,
    rotatePassword: true,
    ...over,
  };
}

function existing(over: Partial<RoleState> = {}): RoleState {
  return {
    exists: true,
    managed: true,
    comment: formatRoleComment({ person: PERSON, email: 'alice@example.com', gen: 4 }),
    canLogin: true,
    validUntil: new Date('2025-03-01T13:00:00.000Z'),
    connectionLimit: 5,
    doormanGroups: [gRead],
    ...over,
  };
}

function applied(plan: ReturnType<typeof planSync>) {
  if (plan.kind !== 'apply') throw new Error(`expected apply, got ${plan.kind}`);
  return plan;
}

describe('planSync', () => {
  describe('refusals', () => {
    it('refuses a role that exists but is not a member of the marker', () => {
      const plan = planSync(job(), existing({ managed: false, comment: null }), PG15);
      expect(plan).toMatchObject({ kind: 'refuse', code: ConnectorErrorCode.NameClash });
      if (plan.kind === 'refuse') expect(plan.message).toMatch(/unmanaged role/);
    });

    it('refuses an unmanaged role even when only revoking', () => {
      const plan = planSync(job({ login: false, groups: [] }), existing({ managed: false }), PG15);
      expect(plan.kind).toBe('refuse');
    });

    it('refuses a managed role whose comment names another person', () => {
      const comment = formatRoleComment({ person: OTHER, email: 'bob@example.com', gen: 1 });
      const plan = planSync(job(), existing({ comment }), PG15);
      expect(plan).toMatchObject({ kind: 'refuse', code: ConnectorErrorCode.RoleOfAnotherPerson });
    });
  });

  describe('generations', () => {
    it('is stale when the applied generation equals the job', () => {
      const comment = formatRoleComment({ person: PERSON, email: 'a@x.io', gen: 5 });
      expect(planSync(job(), existing({ comment }), PG15)).toEqual({
        kind: 'stale',
        appliedGeneration: 5,
      });
    });

    it('is stale when the applied generation is newer', () => {
      const comment = formatRoleComment({ person: PERSON, email: 'a@x.io', gen: 9 });
      expect(planSync(job({ login: false, groups: [] }), existing({ comment }), PG15).kind).toBe(
        'stale',
      );
    });

    it('applies to a managed role with an unreadable comment, and writes the generation', () => {
      const plan = applied(planSync(job(), existing({ comment: 'hand-edited' }), PG15));
      expect(plan.ops.at(-1)).toEqual({
        op: 'comment',
        text: formatRoleComment({ person: PERSON, email: 'alice@example.com', gen: 5 }),
      });
    });
  });

  describe('a new role', () => {
    it('creates it with login, password, expiry and limit, then grants and comments', () => {
      const plan = applied(planSync(job(), ABSENT_ROLE, PG15));
      const validUntil = new Date('2025-03-01T13:00:00.000Z');
      expect(plan.ops).toEqual([
        { op: 'create-role', validUntil, connectionLimit: 5 },
        { op: 'grant-group', group: gRead, inheritOnly: false },
        {
          op: 'comment',
          text: formatRoleComment({ person: PERSON, email: 'alice@example.com', gen: 5 }),
        },
      ]);
      expect(plan.issuesPassword).toBe(true);
      expect(plan.terminateSessions).toBe(false);
      expect(plan.validUntil).toEqual(validUntil);
    });

    it('issues a password even when rotation was not asked', () => {
      expect(
        applied(planSync(job({ rotatePassword: false }), ABSENT_ROLE, PG15)).issuesPassword,
      ).toBe(true);
    });

    it('grants WITH INHERIT TRUE, SET FALSE on PostgreSQL 16+', () => {
      const plan = applied(planSync(job(), ABSENT_ROLE, PG16));
      expect(plan.ops).toContainEqual({ op: 'grant-group', group: gRead, inheritOnly: true });
    });

    it('does nothing when there is no role and no login is wanted', () => {
      const plan = applied(planSync(job({ login: false, groups: [] }), ABSENT_ROLE, PG15));
      expect(plan.ops).toEqual([]);
      expect(plan.issuesPassword).toBe(false);
      expect(plan.terminateSessions).toBe(false);
    });

    it('deduplicates groups', () => {
      const plan = applied(
        planSync(job({ groups: [READ, { ...READ }, WRITE] }), ABSENT_ROLE, PG15),
      );
      expect(plan.ops.filter((o) => o.op === 'grant-group')).toHaveLength(2);
    });
  });

  describe('VALID UNTIL', () => {
    it('is the later of the active expiry and now + the starting duration', () => {
      const later = '2025-03-02T00:00:00.000Z';
      const plan = applied(planSync(job({ validUntil: later }), ABSENT_ROLE, PG15));
      expect(plan.validUntil).toEqual(new Date(later));
      const sooner = '2025-03-01T12:30:00.000Z';
      expect(applied(planSync(job({ validUntil: sooner }), ABSENT_ROLE, PG15)).validUntil).toEqual(
        new Date('2025-03-01T13:00:00.000Z'),
      );
    });

    it('uses the active expiry alone when nothing starts', () => {
      const plan = applied(
        planSync(
          job({ validUntil: '2025-03-01T15:00:00+01:00', startingDurationSeconds: null }),
          ABSENT_ROLE,
          PG15,
        ),
      );
      expect(plan.validUntil).toEqual(new Date('2025-03-01T14:00:00.000Z'));
    });

    it('is not touched when already right', () => {
      const plan = applied(planSync(job({ rotatePassword: false }), existing(), PG15));
      expect(plan.ops.map((o) => o.op)).toEqual(['comment']);
    });

    it('is moved when different', () => {
      const plan = applied(
        planSync(job(), existing({ validUntil: new Date('2025-03-01T12:10:00Z') }), PG15),
      );
      expect(plan.ops).toContainEqual({
        op: 'set-valid-until',
        validUntil: new Date('2025-03-01T13:00:00.000Z'),
      });
    });

    it('is in the past when login ends', () => {
      const plan = applied(planSync(job({ login: false, groups: [] }), existing(), PG15));
      expect(plan.ops).toContainEqual({ op: 'set-valid-until', validUntil: EXPIRED });
      expect(EXPIRED.getTime()).toBeLessThan(NOW.getTime());
    });
  });

  describe('an existing role', () => {
    it('re-enables login for a returning person with a new password when rotation is due', () => {
      const plan = applied(
        planSync(
          job({ rotatePassword: true }),
          existing({ canLogin: false, validUntil: EXPIRED, doormanGroups: [] }),
          PG15,
        ),
      );
      expect(plan.ops.map((o) => o.op)).toEqual([
        'set-login',
        'set-valid-until',
        'set-password',
        'grant-group',
        'comment',
      ]);
      expect(plan.ops[0]).toEqual({ op: 'set-login', login: true });
      expect(plan.issuesPassword).toBe(true);
    });

    it('keeps the password of an overlapping grant', () => {
      const plan = applied(
        planSync(job({ rotatePassword: false, groups: [READ, WRITE] }), existing(), PG15),
      );
      expect(plan.issuesPassword).toBe(false);
      expect(plan.ops).not.toContainEqual({ op: 'set-password' });
      expect(plan.ops).toContainEqual({ op: 'grant-group', group: gWrite, inheritOnly: false });
      expect(plan.ops.some((o) => o.op === 'revoke-group')).toBe(false);
    });

    it('changes the connection limit', () => {
      const plan = applied(planSync(job({ connectionLimit: 2 }), existing(), PG15));
      expect(plan.ops).toContainEqual({ op: 'set-connection-limit', limit: 2 });
    });

    it('ends one of two grants by revoking only its group, terminating sessions before 16', () => {
      const plan = applied(
        planSync(
          job({ rotatePassword: false, groups: [WRITE] }),
          existing({ doormanGroups: [gRead, gWrite] }),
          PG15,
        ),
      );
      expect(plan.ops).toContainEqual({ op: 'revoke-group', group: gRead });
      expect(plan.ops).not.toContainEqual({ op: 'revoke-group', group: gWrite });
      expect(plan.ops).not.toContainEqual(expect.objectContaining({ op: 'set-login' }));
      expect(plan.terminateSessions).toBe(true);
    });

    it('does not terminate sessions for a revoke on 16+', () => {
      const plan = applied(
        planSync(
          job({ rotatePassword: false, groups: [WRITE] }),
          existing({ doormanGroups: [gRead, gWrite] }),
          PG16,
        ),
      );
      expect(plan.terminateSessions).toBe(false);
    });

    it('on the last grant ending: NOLOGIN, expiry in the past, revoke everything, terminate', () => {
      const plan = applied(
        planSync(job({ login: false, groups: [], rotatePassword: true }), existing(), PG16),
      );
      expect(plan.ops).toEqual([
        { op: 'set-login', login: false },
        { op: 'set-valid-until', validUntil: EXPIRED },
        { op: 'revoke-group', group: gRead },
        {
          op: 'comment',
          text: formatRoleComment({ person: PERSON, email: 'alice@example.com', gen: 5 }),
        },
      ]);
      expect(plan.issuesPassword).toBe(false);
      expect(plan.terminateSessions).toBe(true);
    });

    it('terminates leftover sessions when login is already off', () => {
      const plan = applied(
        planSync(
          job({ login: false, groups: [] }),
          existing({ canLogin: false, validUntil: EXPIRED, doormanGroups: [] }),
          PG16,
        ),
      );
      expect(plan.ops.map((o) => o.op)).toEqual(['comment']);
      expect(plan.terminateSessions).toBe(true);
    });

    it('only ever revokes Doorman groups it was told about by the state', () => {
      // doormanGroups only lists roles commented as Doorman groups; others are not in it.
      const plan = applied(planSync(job({ groups: [] }), existing({ doormanGroups: [] }), PG15));
      expect(plan.ops.some((o) => o.op === 'revoke-group')).toBe(false);
    });
  });
});

describe('withoutGroups', () => {
  const times = job({
    groups: [READ, WRITE],
    validUntil: '2025-03-01T15:00:00.000Z',
    startingDurationSeconds: 7200,
    groupTimes: [
      { ...READ, validUntil: '2025-03-01T13:00:00.000Z', startingDurationSeconds: 600 },
      { ...WRITE, validUntil: '2025-03-01T15:00:00.000Z', startingDurationSeconds: 7200 },
    ],
  });

  it('leaves the job alone when nothing is left out', () => {
    expect(withoutGroups(times, [])).toBe(times);
  });

  it('VALID UNTIL and the starting duration count only the groups kept', () => {
    const kept = withoutGroups(times, [gWrite]);
    expect(kept).toMatchObject({
      login: true,
      groups: [READ],
      validUntil: '2025-03-01T13:00:00.000Z',
      startingDurationSeconds: 600,
    });
    const plan = applied(planSync(kept, ABSENT_ROLE, PG16));
    // The kept group's own expiry (later than now + its 600 s), not the one left out (15:00).
    expect(plan.validUntil).toEqual(new Date('2025-03-01T13:00:00.000Z'));
    expect(plan.ops).not.toContainEqual(expect.objectContaining({ group: gWrite }));
  });

  it('no group kept: no login, and an existing role loses it', () => {
    const none = withoutGroups(times, [gRead, gWrite]);
    expect(none).toMatchObject({
      login: false,
      groups: [],
      validUntil: null,
      startingDurationSeconds: null,
    });
    expect(applied(planSync(none, ABSENT_ROLE, PG16))).toMatchObject({
      ops: [],
      issuesPassword: false,
    });
    const plan = applied(planSync(none, existing(), PG16));
    expect(plan.ops).toContainEqual({ op: 'set-login', login: false });
    expect(plan.ops).toContainEqual({ op: 'set-valid-until', validUntil: EXPIRED });
    expect(plan.issuesPassword).toBe(false);
  });
});
