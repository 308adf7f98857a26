import { PERMISSION_LEVELS } from '@doorman/contracts';
import {
  formatGroupComment,
  groupRoleName,
  isGroupComment,
  sanitizeForRoleName,
} from './group-role';

describe('group role names', () => {
  it('is readable, prefixed and hashed', () => {
    expect(groupRoleName({ database: 'app', schema: 'public', permission: 'read' })).toMatch(
      /^doorman_read_app_public_[0-9a-f]{10}$/,
    );
  });

  it('stays within 63 bytes for long and non-ASCII names', () => {
    const long = 'ü'.repeat(31);
    const name = groupRoleName({ database: long, schema: `${long}"x y`, permission: 'admin' });
    expect(Buffer.byteLength(name, 'utf8')).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^doorman_[a-z0-9_]+_[0-9a-f]{10}$/);
  });

  it('never gives two triples the same name, even when they sanitize alike', () => {
    const names = new Set<string>();
    for (const schema of ['a b', 'a_b', 'A B', 'a-b', 'á b', 'a"b'])
      for (const database of ['app', 'App'])
        for (const permission of PERMISSION_LEVELS)
          names.add(groupRoleName({ database, schema, permission }));
    expect(names.size).toBe(6 * 2 * PERMISSION_LEVELS.length);
  });

  it('is deterministic', () => {
    const g = { database: 'd', schema: 's', permission: 'write' as const };
    expect(groupRoleName(g)).toBe(groupRoleName({ ...g }));
  });

  it('sanitizes to lower-case ASCII', () => {
    expect(sanitizeForRoleName('Ünïcode "Schema" name')).toBe('unicode_schema_name');
  });

  it('marks its comment', () => {
    expect(
      isGroupComment(formatGroupComment({ database: 'd', schema: 's', permission: 'read' })),
    ).toBe(true);
    expect(isGroupComment('something else')).toBe(false);
    expect(isGroupComment(null)).toBe(false);
  });
});
