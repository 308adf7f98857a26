import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  databaseAclHealthLines,
  leftBehindLine,
  readDatabaseAclHealth,
  readLeftBehindRoles,
} from './acl-health';

const GOLDEN = join(__dirname, '__golden__', 'acl-health.sql');

describe("the doctor's ACL health", () => {
  it('reads with every value bound (golden; UPDATE_GOLDEN=1 rewrites it)', () => {
    const actual =
      [readDatabaseAclHealth('doorman_managed'), readLeftBehindRoles('doorman_managed')]
        .map((s) => `${s.text};\n-- values: ${JSON.stringify(s.values)}`)
        .join('\n\n') + '\n';
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(join(__dirname, '__golden__'), { recursive: true });
      writeFileSync(GOLDEN, actual);
      return;
    }
    expect(actual).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('is ok when nothing piles up', () => {
    const lines = databaseAclHealthLines('app', {
      crowded: [],
      directUsers: [],
      directUserCount: 0,
    });
    expect(lines.map((l) => [l.check, l.status, l.fix])).toEqual([
      ['crowded ACLs app', 'ok', undefined],
      ['direct grants app', 'ok', undefined],
    ]);
    expect(leftBehindLine([]).status).toBe('ok');
  });

  it('lists crowded objects and direct grants with quoted fix-it SQL, clipped', () => {
    const [crowded, direct] = databaseAclHealthLines('a"pp', {
      crowded: [{ kind: 'table', schema: 'shop', name: 'or"ders', users: 40 }],
      directUsers: Array.from({ length: 25 }, (_, i) => ({
        name: `u${i}`,
        objects: 25 - i,
        schemas: ['shop'],
      })),
      directUserCount: 25,
    });
    expect(crowded.status).toBe('warn');
    expect(crowded.detail).toContain('"shop"."or""ders" (40 users)');
    expect(crowded.fix).toMatch(/^-- in "a""pp", per object:/);
    expect(direct.detail).toMatch(/^25 login role\(s\).*u19 \(6 object\(s\)\) and 5 more$/);
    expect(direct.fix).toContain('REVOKE ALL ON ALL TABLES IN SCHEMA "shop" FROM "u0";');
    expect(direct.fix).not.toContain('"u5"');
  });

  it('names roles left behind and why, with the clean-up SQL', () => {
    const line = leftBehindLine([
      {
        name: 'v-token-ro-AAAAAAAAAAAAAAAAAAAA-1700000000',
        expired: true,
        vaultLike: true,
        dependents: 2,
      },
      { name: 'old"contractor', expired: true, vaultLike: false, dependents: 0 },
    ]);
    expect(line.status).toBe('warn');
    expect(line.detail).toContain('old"contractor (expired)');
    expect(line.detail).toContain('(expired, Vault-style name, 2 grant(s) or object(s))');
    expect(line.fix).toContain(
      'REASSIGN OWNED BY "old""contractor" TO <owner>; DROP OWNED BY "old""contractor"; DROP ROLE "old""contractor";',
    );
  });
});
