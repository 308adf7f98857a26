import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as rsql from './residue-sql';
import type { Statement } from './sql';

/**
 * Golden files for the residue check's SQL: the reads and every removal for fixed inputs,
 * with hostile names. Run with UPDATE_GOLDEN=1 to rewrite them after an intended change.
 */
const GOLDEN_DIR = join(__dirname, '__golden__');

function golden(name: string, statements: readonly Statement[]): void {
  const actual =
    statements
      .map((s) =>
        s.values.length ? `${s.text};\n-- values: ${JSON.stringify(s.values)}` : `${s.text};`,
      )
      .join('\n\n') + '\n';
  const file = join(GOLDEN_DIR, `${name}.sql`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const USER = 'o\'brien"; DROP ROLE x; --';
const SCHEMA = 'Ünïcode "Sales" Ω';
const base: rsql.AclObject = {
  kind: 'table',
  schema: SCHEMA,
  name: 'or"ders',
  column: null,
  args: null,
  objtype: null,
  owner: 'app "owner"',
};

describe('residue SQL', () => {
  it('reads with every value bound', () => {
    golden('residue-reads', [
      rsql.readResidueShared(USER, ['doorman_managed', 'doorman_g_1']),
      rsql.readSharedAcls(USER),
      rsql.readDatabaseAcls(USER),
      rsql.readOwnedAndOther(USER, true),
    ]);
  });

  it('removes every kind of grant with quoted identifiers', () => {
    golden('residue-removals', [
      rsql.revokeAcl({ ...base, kind: 'schema', name: null }, USER),
      rsql.revokeAcl(base, USER),
      rsql.revokeAcl({ ...base, kind: 'sequence' }, USER),
      rsql.revokeAcl({ ...base, kind: 'column', column: 'co"st' }, USER),
      rsql.revokeAcl(
        { ...base, kind: 'routine', name: 'total', args: 'a integer, "b c" text' },
        USER,
      ),
      rsql.revokeAcl({ ...base, kind: 'type', name: 'mood' }, USER),
      rsql.revokeAcl({ ...base, kind: 'language', schema: null, name: 'plpgsql' }, USER),
      rsql.revokeAcl(
        { ...base, kind: 'foreign-data-wrapper', schema: null, name: 'postgres_fdw' },
        USER,
      ),
      rsql.revokeAcl({ ...base, kind: 'foreign-server', schema: null, name: 'rem"ote' }, USER),
      rsql.revokeAcl({ ...base, kind: 'large-object', schema: null, name: '424242' }, USER),
      rsql.revokeAcl({ ...base, kind: 'database', schema: null, name: 'a"pp' }, USER),
      rsql.revokeAcl({ ...base, kind: 'tablespace', schema: null, name: 'fast' }, USER),
      rsql.revokeAcl(
        { ...base, kind: 'parameter', schema: null, name: 'plpgsql.extra_warnings' },
        USER,
      ),
      rsql.revokeAcl({ ...base, kind: 'default', name: null, objtype: 'r' }, USER),
      rsql.revokeAcl({ ...base, kind: 'default', schema: null, name: null, objtype: 'f' }, USER),
      rsql.revokeMembershipGrantedBy('report"ing', USER, 'ops "admin"'),
      rsql.revokeMembershipGrantedBy('reporting', USER, null),
      rsql.dropRoleAttributes(USER, ['SUPERUSER', 'BYPASSRLS']),
      rsql.setLocalRole('ops "admin"'),
    ]);
  });

  it('refuses what it cannot render safely', () => {
    expect(() => rsql.revokeAcl({ ...base, kind: 'large-object', name: '1; DROP' }, USER)).toThrow(
      RangeError,
    );
    expect(() => rsql.revokeAcl({ ...base, kind: 'default', objtype: 'x' }, USER)).toThrow(
      RangeError,
    );
    expect(() => rsql.revokeAcl({ ...base, kind: 'policy' }, USER)).toThrow(RangeError);
    expect(() => rsql.dropRoleAttributes(USER, ['LOGIN' as rsql.RoleAttribute])).toThrow(
      RangeError,
    );
  });
});
