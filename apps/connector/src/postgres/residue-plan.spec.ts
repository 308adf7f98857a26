import { planResidue, type ResidueRead, type SharedState } from './residue-plan';

/** The residue plan: what counts as left behind after access ended, and how it is removed. */
const NOW = Date.parse('2026-01-01T12:00:00Z');
const shared = (over: Partial<SharedState> = {}): SharedState => ({
  canLogin: false,
  validUntilMs: null,
  attributes: [],
  memberships: [],
  databases: [],
  sessions: [],
  nowMs: NOW,
  ...over,
});
const read = (s: SharedState | null, databases: ResidueRead['databases'] = new Map()) => ({
  username: 'alice_doorman',
  shared: s,
  databases,
});
const ENDED = { login: false, serverVersionNum: 170000 };
const PARTLY = { login: true, serverVersionNum: 170000 };
const session = {
  pid: 42,
  database: 'app',
  applicationName: 'psql',
  clientAddr: '10.0.0.7',
  backendStart: '2026-01-01T11:00:00Z',
};

describe('planResidue', () => {
  it('finds nothing for a role that is gone or holds nothing', () => {
    expect(planResidue(read(null), ENDED)).toEqual({ found: [], fixes: [], endSessions: false });
    expect(planResidue(read(shared()), ENDED).found).toEqual([]);
  });

  it('takes LOGIN away even when VALID UNTIL has passed (certificate and peer logins ignore it)', () => {
    const plan = planResidue(read(shared({ canLogin: true, validUntilMs: NOW - 1 })), ENDED);
    expect(plan.found).toEqual([
      {
        kind: 'login',
        object: 'role "alice_doorman"',
        detail: 'LOGIN with an expired VALID UNTIL (which certificate and peer logins ignore)',
      },
    ]);
    expect(plan.fixes[0].statement.text).toBe('ALTER ROLE "alice_doorman" NOLOGIN');
    // A partial revoke keeps the login.
    expect(planResidue(read(shared({ canLogin: true })), PARTLY).found).toEqual([]);
  });

  it('revokes a membership as its grantor from 16, and ends sessions that may have SET ROLE to it', () => {
    const s = shared({
      canLogin: true,
      memberships: [{ role: 'reporting', grantor: 'ops_admin', adminOption: false }],
      sessions: [session],
    });
    const plan = planResidue(read(s), PARTLY);
    expect(plan.fixes.map((f) => [f.as, f.statement.text])).toEqual([
      ['ops_admin', 'REVOKE "reporting" FROM "alice_doorman" GRANTED BY "ops_admin" CASCADE'],
    ]);
    expect(plan.endSessions).toBe(true);
    expect(plan.found[1]).toEqual({
      kind: 'session',
      object: 'session pid 42',
      detail:
        'open since 2026-01-01T11:00:00Z on database app from 10.0.0.7, application_name "psql"',
    });
    const pg15 = planResidue(read(s), { ...PARTLY, serverVersionNum: 150004 });
    expect(pg15.fixes[0].statement.text).toBe('REVOKE "reporting" FROM "alice_doorman" CASCADE');
  });

  it("says which options a membership was granted with, and revokes each grantor's row (16+)", () => {
    const s = shared({
      canLogin: true,
      memberships: [
        {
          role: 'reporting',
          grantor: 'ops_admin',
          adminOption: true,
          inheritOption: true,
          setOption: true,
        },
        {
          role: 'reporting',
          grantor: 'postgres',
          adminOption: false,
          inheritOption: false,
          setOption: true,
        },
        {
          role: 'pg_maintain',
          grantor: 'postgres',
          adminOption: false,
          inheritOption: true,
          setOption: false,
        },
      ],
    });
    const plan = planResidue(read(s), PARTLY);
    expect(plan.found.map((r) => `${r.object}: ${r.detail}`)).toEqual([
      'role "reporting": member WITH ADMIN OPTION, granted by "ops_admin"',
      'role "reporting": member WITH INHERIT FALSE, granted by "postgres"',
      'role "pg_maintain": member WITH SET FALSE, granted by "postgres"',
    ]);
    expect(plan.fixes.map((f) => [f.as, f.statement.text])).toEqual([
      ['ops_admin', 'REVOKE "reporting" FROM "alice_doorman" GRANTED BY "ops_admin" CASCADE'],
      ['postgres', 'REVOKE "reporting" FROM "alice_doorman" GRANTED BY "postgres" CASCADE'],
      ['postgres', 'REVOKE "pg_maintain" FROM "alice_doorman" GRANTED BY "postgres" CASCADE'],
    ]);
  });

  it('revokes roles made members of the user, which would take on its next access', () => {
    const plan = planResidue(
      read(shared({ members: [{ member: 'bob_app', grantor: 'ops_admin' }] })),
      ENDED,
    );
    expect(plan.found).toEqual([
      {
        kind: 'membership',
        object: 'role "bob_app"',
        detail:
          'a member of "alice_doorman" (it would take on the user\'s next access), granted by "ops_admin"',
      },
    ]);
    expect(plan.fixes.map((f) => [f.as, f.statement.text])).toEqual([
      ['ops_admin', 'REVOKE "alice_doorman" FROM "bob_app" GRANTED BY "ops_admin" CASCADE'],
    ]);
    expect(plan.endSessions).toBe(false);
  });

  it('leaves the sessions of a partly revoked user alone when nothing it could SET ROLE to was found', () => {
    const plan = planResidue(read(shared({ canLogin: true, sessions: [session] })), PARTLY);
    expect(plan).toEqual({ found: [], fixes: [], endSessions: false });
  });

  it('revokes direct privileges as their grantor and reports owned objects without touching them', () => {
    const databases: ResidueRead['databases'] = new Map([
      [
        'app',
        {
          acls: [
            {
              kind: 'table',
              schema: 'shop',
              name: 'orders',
              column: null,
              args: null,
              objtype: null,
              owner: 'app_owner',
              grantor: 'app_owner',
              privileges: ['SELECT', 'UPDATE'],
            },
          ],
          dependents: [{ deptype: 'o' as const, type: 'table', identity: 'work.scratch' }],
        },
      ],
      ['other', { error: 'CONNECTION_FAILED: refused' }],
    ]);
    const plan = planResidue(read(shared(), databases), ENDED);
    expect(plan.found.map((r) => [r.kind, r.object])).toEqual([
      ['privilege', 'table "shop"."orders" in database "app"'],
      ['owned', 'table work.scratch in database "app"'],
      ['unreadable', 'database "other"'],
    ]);
    expect(plan.found[1].detail).toContain('REASSIGN OWNED BY "alice_doorman" TO <role>');
    expect(plan.fixes).toEqual([
      expect.objectContaining({
        database: 'app',
        as: 'app_owner',
        statement: {
          text: 'REVOKE ALL ON TABLE "shop"."orders" FROM "alice_doorman" CASCADE',
          values: [],
        },
      }),
    ]);
  });
});
