import { judgeExistingRole, type GrantingAdmin, type RoleFacts } from './existing-role';

const plain = (name: string, over: Partial<RoleFacts> = {}): RoleFacts => ({
  name,
  superuser: false,
  login: false,
  createrole: false,
  createdb: false,
  replication: false,
  bypassrls: false,
  comment: null,
  memberOf: [],
  adminOption: false,
  ...over,
});
const manager: GrantingAdmin = {
  name: 'manager',
  superuser: false,
  createrole: true,
  versionNum: 150004,
};
const superuser: GrantingAdmin = { ...manager, name: 'postgres', superuser: true };

describe('existing roles: what Doorman hands out', () => {
  it('grants a plain NOLOGIN role and predefined roles such as pg_monitor', () => {
    expect(judgeExistingRole('reporting', plain('reporting'), manager)).toEqual({
      grantable: true,
    });
    expect(
      judgeExistingRole(
        'pg_monitor',
        plain('pg_monitor', {
          memberOf: [plain('pg_read_all_stats'), plain('pg_read_all_settings')],
        }),
        manager,
      ),
    ).toEqual({ grantable: true });
  });

  it.each([
    ['superuser', { superuser: true }, 'SUPERUSER'],
    ['login', { login: true }, 'LOGIN'],
    ['replication', { replication: true }, 'REPLICATION'],
    ['bypassrls', { bypassrls: true }, 'BYPASSRLS'],
    ['createrole', { createrole: true }, 'CREATEROLE'],
    ['createdb', { createdb: true }, 'CREATEDB'],
  ])('refuses a role with %s, even for a superuser admin', (_n, attrs, word) => {
    const v = judgeExistingRole('r', plain('r', attrs), superuser);
    expect(v.grantable).toBe(false);
    expect(v.reason).toContain(word);
  });

  it('refuses a role that belongs to a powerful one (SET ROLE would reach it)', () => {
    const v = judgeExistingRole(
      'ops',
      plain('ops', { memberOf: [plain('root_like', { superuser: true })] }),
      superuser,
    );
    expect(v).toEqual({
      grantable: false,
      reason: 'ops is a member of root_like, which has SUPERUSER',
    });
  });

  it.each(['pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'])(
    'refuses file system access: %s, directly or through membership',
    (name) => {
      expect(judgeExistingRole(name, plain(name), superuser).reason).toMatch(/file system/);
      expect(
        judgeExistingRole('etl', plain('etl', { memberOf: [plain(name)] }), superuser).reason,
      ).toBe(`etl is a member of ${name}, which gives access to the server's file system`);
    },
  );

  it("refuses Doorman's own roles and roles that do not exist", () => {
    expect(
      judgeExistingRole('doorman_managed', plain('doorman_managed'), superuser).reason,
    ).toMatch(/Doorman's own/);
    expect(
      judgeExistingRole(
        'x',
        plain('x', { comment: 'doorman:group:v1 {"database":"app"}' }),
        superuser,
      ).grantable,
    ).toBe(false);
    expect(
      judgeExistingRole(
        'alice',
        plain('alice', { memberOf: [plain('doorman_managed')] }),
        superuser,
      ).grantable,
    ).toBe(false);
    expect(judgeExistingRole('ghost', null, superuser)).toEqual({
      grantable: false,
      reason: 'role ghost does not exist',
    });
    expect(
      judgeExistingRole('pg_database_owner', plain('pg_database_owner'), superuser).grantable,
    ).toBe(false);
  });

  it('follows who may grant: CREATEROLE on 15, ADMIN OPTION from 16', () => {
    const pg16 = { ...manager, versionNum: 160002 };
    expect(judgeExistingRole('reporting', plain('reporting'), pg16).reason).toBe(
      'PostgreSQL 16+ lets manager grant only roles it holds ADMIN OPTION on: GRANT "reporting" TO "manager" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE (as a superuser)',
    );
    expect(judgeExistingRole('reporting', plain('reporting', { adminOption: true }), pg16)).toEqual(
      {
        grantable: true,
      },
    );
    expect(
      judgeExistingRole('reporting', plain('reporting'), { ...manager, createrole: false }).reason,
    ).toBe('manager has neither SUPERUSER nor CREATEROLE');
  });
});
