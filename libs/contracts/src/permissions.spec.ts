import {
  describeResource,
  everythingLevels,
  isEverything,
  isRoleResource,
  resourceProblem,
  roleResource,
} from './permissions';

describe('resources and levels', () => {
  it('writes an existing role as database "*", schema the role name', () => {
    expect(roleResource('pg_monitor')).toEqual({ database: '*', schema: 'pg_monitor' });
    expect(isRoleResource(roleResource('pg_monitor'))).toBe(true);
    expect(isEverything(roleResource('pg_monitor'))).toBe(false);
    expect(isRoleResource({ database: '*', schema: '*' })).toBe(false);
    expect(isRoleResource({ database: 'app', schema: 'pg_monitor' })).toBe(false);
  });

  it('refuses "*" (everything) and the empty string as a role name', () => {
    expect(() => roleResource('*')).toThrow(RangeError);
    expect(() => roleResource('')).toThrow(RangeError);
  });

  it('pairs member with roles only, and read / write / admin with schemas only', () => {
    expect(
      resourceProblem({ database: '*', schema: 'pg_monitor', permission: 'member' }),
    ).toBeNull();
    expect(resourceProblem({ database: 'app', schema: 'sales', permission: 'admin' })).toBeNull();
    expect(resourceProblem({ database: '*', schema: '*', permission: 'write' })).toBeNull();
    for (const permission of ['read', 'write', 'admin'] as const)
      expect(resourceProblem({ database: '*', schema: 'pg_monitor', permission })).toMatch(
        /member only/,
      );
    expect(resourceProblem({ database: 'app', schema: 'sales', permission: 'member' })).toMatch(
      /existing role/,
    );
    expect(resourceProblem({ database: '*', schema: '*', permission: 'member' })).toMatch(
      /read .* or write/,
    );
    expect(resourceProblem({ database: '*', schema: '*', permission: 'admin' })).not.toBeNull();
    expect(resourceProblem({ database: 'app', schema: '*', permission: 'read' })).toMatch(
      /needs "\*" as database/,
    );
  });

  it('never offers member on everything', () => {
    expect(everythingLevels(['pg_read_all_data', 'pg_write_all_data'])).toEqual(['read', 'write']);
  });

  it('describes resources for people', () => {
    expect(describeResource(roleResource('pg_monitor'))).toBe('role pg_monitor');
    expect(describeResource({ database: '*', schema: '*' })).toBe('everything');
    expect(describeResource({ database: 'app', schema: 'sales' })).toBe('app.sales');
  });
});
