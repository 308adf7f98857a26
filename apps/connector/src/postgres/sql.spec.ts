import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACT_VERSION, formatRoleComment, type SyncUserJob } from '@doorman/contracts';
import { formatGroupComment, groupRoleName } from './group-role';
import { renderRoleOps } from './role-ops';
import * as sql from './sql';
import { ABSENT_ROLE, planSync } from './sync-planner';

/**
 * Golden files: the SQL every builder produces for fixed inputs. Run with
 * UPDATE_GOLDEN=1 to rewrite them after an intended change, then review the diff.
 */
const GOLDEN_DIR = join(__dirname, '__golden__');

function render(statements: readonly sql.Statement[]): string {
  return (
    statements
      .map((s) =>
        s.values.length ? `${s.text};\n-- values: ${JSON.stringify(s.values)}` : `${s.text};`,
      )
      .join('\n\n') + '\n'
  );
}

function golden(name: string, statements: readonly sql.Statement[]): void {
  const file = join(GOLDEN_DIR, `${name}.sql`);
  const actual = render(statements);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

// A schema name with a double quote, spaces and non-ASCII characters, and a hostile user name.
const NASTY_SCHEMA = 'Ünïcode "Sales" Ω schema';
const NASTY_USER = 'o\'brien"; DROP ROLE x; --';
const VERIFIER = 'SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVk:c2VydmVy';
const PERSON = '7d9f1c1e-7a53-4a4e-9d0f-3a6a1b0c2d11';

const baseJob: SyncUserJob = {
  v: CONTRACT_VERSION,
  kind: 'sync-user',
  integrationId: '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  personId: PERSON,
  personEmail: 'alice@example.com',
  username: NASTY_USER,
  generation: 3,
  login: true,
  groups: [
    { database: 'app', schema: 'public', permission: 'read' },
    { database: 'app', schema: NASTY_SCHEMA, permission: 'write' },
  ],
  validUntil: '2025-03-01T18:00:00Z',
  startingDurationSeconds: 3600,
  connectionLimit: 4,
  rotatePassword: true,
};

describe('SQL builders (golden)', () => {
  it('transaction preamble', () => {
    golden('preamble', [
      sql.setLocals(15000, 'doorman:sync-user:abc123'),
      sql.advisoryXactLock(-1234567890123456789n),
      sql.savepoint('doorman_group'),
      sql.releaseSavepoint('doorman_group'),
      sql.rollbackToSavepoint('doorman_group'),
      sql.readClock(),
    ]);
  });

  it('role statements', () => {
    golden('roles', [
      sql.createNologinRole('doorman_managed'),
      sql.createLoginRole({
        username: NASTY_USER,
        verifier: VERIFIER,
        validUntil: new Date('2025-03-01T18:00:00Z'),
        connectionLimit: 4,
        marker: 'doorman_managed',
      }),
      sql.alterRoleLogin(NASTY_USER, true),
      sql.alterRoleLogin(NASTY_USER, false),
      sql.alterRoleValidUntil(NASTY_USER, 'infinity'),
      sql.alterRoleConnectionLimit(NASTY_USER, -1),
      sql.alterRolePassword(NASTY_USER, VERIFIER),
      sql.alterCurrentUserPassword(VERIFIER),
      sql.grantMembership('doorman_read_app_public_0123456789', NASTY_USER, false),
      sql.grantMembership('doorman_read_app_public_0123456789', NASTY_USER, true),
      sql.revokeMembership('doorman_read_app_public_0123456789', NASTY_USER),
      sql.commentOnRole(
        NASTY_USER,
        formatRoleComment({ person: PERSON, email: "o'brien@example.com", gen: 7 }),
      ),
      sql.commentOnRole(
        'doorman_x',
        formatGroupComment({ database: 'app', schema: NASTY_SCHEMA, permission: 'admin' }),
      ),
      sql.reassignOwned(NASTY_USER, 'doorman_inheritor'),
      sql.dropOwned(NASTY_USER),
      sql.dropRole(NASTY_USER),
    ]);
  });

  it.each(['read', 'write', 'admin'] as const)('group privileges: %s', (permission) => {
    const grant = { database: 'app db', schema: NASTY_SCHEMA, permission };
    golden(
      `group-${permission}`,
      sql.schemaGrantStatements({
        ...grant,
        group: groupRoleName(grant),
        owners: ['app_owner', 'Migrations "Bot"', 'app_owner'],
      }),
    );
  });

  it('read and write on everything: the predefined roles, granted to the group', () => {
    const grant = { database: '*', schema: '*', permission: 'write' as const };
    golden('group-everything-write', [
      ...sql.everythingGrantStatements(groupRoleName(grant), [
        'pg_read_all_data',
        'pg_write_all_data',
      ]),
      sql.readPredefinedDrift(groupRoleName(grant), ['pg_read_all_data', 'pg_write_all_data']),
    ]);
  });

  it('an existing role: the group becomes a member of it, and what decides whether it may', () => {
    const grant = { database: '*', schema: 'Reporting "Role"', permission: 'member' as const };
    const group = groupRoleName(grant);
    golden('group-existing-role', [
      sql.commentOnRole(group, formatGroupComment(grant)),
      sql.existingRoleGrant(group, grant.schema),
      sql.readPredefinedDrift(group, [grant.schema]),
      sql.readRoleFacts([grant.schema]),
      sql.readRoleFacts(null),
    ]);
  });

  it('queries bind every value', () => {
    golden('queries', [
      sql.readServerClock(),
      sql.readRoleState(NASTY_USER, 'doorman_managed', 'doorman:group:v1 '),
      sql.readRoles(['doorman_managed', 'doorman_inheritor']),
      sql.readSchemaOwners(NASTY_SCHEMA),
      sql.readGroupDrift('doorman_x', NASTY_SCHEMA),
      sql.signalSessions([NASTY_USER]),
      sql.liveBackends([4242, 4243]),
      sql.listOwnedObjects(NASTY_USER, true),
      sql.serverVersion(),
      sql.readInventory('doorman_managed', 'doorman:group:v1 '),
    ]);
  });

  it('queries over several users bind every value', () => {
    golden('queries-batch', [
      sql.advisoryXactLocks([-3n, 7n]),
      sql.readRoleStates([NASTY_USER, 'bob_doorman'], 'doorman_managed', 'doorman:group:v1 '),
    ]);
  });

  it('a planned first sync on PostgreSQL 15 and 16', () => {
    const now = new Date('2025-03-01T12:00:00Z');
    for (const [name, serverVersionNum] of [
      ['plan-create-pg15', 150004],
      ['plan-create-pg16', 160002],
    ] as const) {
      const plan = planSync(baseJob, ABSENT_ROLE, { now, serverVersionNum });
      if (plan.kind !== 'apply') throw new Error('expected apply');
      golden(name, renderRoleOps(baseJob.username, plan.ops, VERIFIER));
    }
  });

  it('refuses to render a password operation without a verifier', () => {
    expect(() => renderRoleOps('u', [{ op: 'set-password' }])).toThrow(/verifier/);
  });

  it('rejects an invalid connection limit', () => {
    expect(() => sql.alterRoleConnectionLimit('u', -2)).toThrow(RangeError);
  });
});
