import { desiredState, passwordDue, type HeldGrant, type PasswordFacts } from './desired-state';

const now = new Date('2026-11-21T12:00:00Z');
const facts = (over: Partial<PasswordFacts> = {}): PasswordFacts => ({
  now,
  rotationDays: 0,
  hasSealedPassword: true,
  passwordIssuedAt: new Date('2026-11-21T11:00:00Z'),
  accessEndedAt: null,
  ...over,
});
const grant = (over: Partial<HeldGrant> = {}): HeldGrant => ({
  database: 'app',
  schema: 'public',
  permission: 'read',
  status: 'ACTIVE',
  expiresAt: new Date('2026-11-21T13:00:00Z'),
  durationSeconds: 3600,
  ...over,
});

describe('desiredState', () => {
  it('no grants: no login, no groups', () => {
    expect(desiredState([], facts())).toEqual({
      login: false,
      groups: [],
      validUntil: null,
      startingDurationSeconds: null,
      rotatePassword: false,
      groupTimes: [],
    });
  });

  it("gives each group its own grants' expiry and starting duration", () => {
    const d = desiredState(
      [
        grant({ schema: 'b', expiresAt: new Date('2026-11-21T13:00:00Z') }),
        grant({ schema: 'b', expiresAt: new Date('2026-11-21T14:00:00Z') }),
        grant({ schema: 'b', status: 'GRANTING', expiresAt: null, durationSeconds: 60 }),
        grant({ schema: 'a', status: 'GRANTING', expiresAt: null, durationSeconds: 7200 }),
        grant({ schema: 'a', status: 'GRANTING', expiresAt: null, durationSeconds: 600 }),
      ],
      facts(),
    );
    expect(d.groupTimes).toEqual([
      {
        database: 'app',
        schema: 'a',
        permission: 'read',
        validUntil: null,
        startingDurationSeconds: 7200,
      },
      {
        database: 'app',
        schema: 'b',
        permission: 'read',
        validUntil: new Date('2026-11-21T14:00:00Z'),
        startingDurationSeconds: 60,
      },
    ]);
    expect(
      d.groupTimes?.map(({ database, schema, permission }) => ({ database, schema, permission })),
    ).toEqual(d.groups);
  });

  it('unions groups of overlapping grants, once each, in a stable order', () => {
    const d = desiredState(
      [grant({ schema: 'b' }), grant({ schema: 'a', permission: 'write' }), grant({ schema: 'b' })],
      facts(),
    );
    expect(d.groups).toEqual([
      { database: 'app', schema: 'a', permission: 'write' },
      { database: 'app', schema: 'b', permission: 'read' },
    ]);
    expect(d.login).toBe(true);
  });

  it('VALID UNTIL follows the latest active expiry', () => {
    const d = desiredState(
      [
        grant({ expiresAt: new Date('2026-11-21T13:00:00Z') }),
        grant({ schema: 'x', expiresAt: new Date('2026-11-21T15:00:00Z') }),
      ],
      facts(),
    );
    expect(d.validUntil?.toISOString()).toBe('2026-11-21T15:00:00.000Z');
    expect(d.startingDurationSeconds).toBeNull();
  });

  it('a starting grant contributes its duration, the longest of them', () => {
    const d = desiredState(
      [
        grant({ status: 'GRANTING', expiresAt: null, durationSeconds: 60 }),
        grant({ status: 'GRANTING', expiresAt: null, durationSeconds: 600, schema: 'y' }),
      ],
      facts(),
    );
    expect(d.startingDurationSeconds).toBe(600);
    expect(d.validUntil).toBeNull();
  });

  it('an overlapping grant reuses the current password', () => {
    const d = desiredState(
      [grant(), grant({ status: 'GRANTING', expiresAt: null, schema: 'z' })],
      facts({ passwordIssuedAt: new Date('2020-01-01') }),
    );
    expect(d.rotatePassword).toBe(false);
  });

  it('access beginning again with rotationDays 0 gets a new password', () => {
    const d = desiredState(
      [grant({ status: 'GRANTING', expiresAt: null })],
      facts({
        passwordIssuedAt: new Date('2026-11-21T09:00:00Z'),
        accessEndedAt: new Date('2026-11-21T10:00:00Z'),
      }),
    );
    expect(d.rotatePassword).toBe(true);
  });
});

describe('forceNewPassword', () => {
  it('issues a new password in the middle of access only when forced', () => {
    const active = [grant()];
    expect(desiredState(active, facts()).rotatePassword).toBe(false);
    expect(desiredState(active, facts({ forceNewPassword: true })).rotatePassword).toBe(true);
  });

  it('never for a person with no grant (nobody would be shown it)', () => {
    expect(desiredState([], facts({ forceNewPassword: true })).rotatePassword).toBe(false);
  });
});

describe('passwordDue', () => {
  it('is due when none is held', () => {
    expect(passwordDue(facts({ hasSealedPassword: false }))).toBe(true);
    expect(passwordDue(facts({ passwordIssuedAt: null }))).toBe(true);
  });
  it('rotationDays 0: not due when issued after the last access ended', () => {
    expect(passwordDue(facts({ accessEndedAt: new Date('2026-11-21T10:00:00Z') }))).toBe(false);
  });
  it('rotationDays N: due only once older than N days', () => {
    expect(
      passwordDue(facts({ rotationDays: 7, passwordIssuedAt: new Date('2026-11-15T12:00:00Z') })),
    ).toBe(false);
    expect(
      passwordDue(facts({ rotationDays: 7, passwordIssuedAt: new Date('2026-11-14T12:00:00Z') })),
    ).toBe(true);
  });
});
