import { patchGroup, patchUser, personName, type UserState } from './scim-patch';
import { memberPathFilter, pageOf, parseEqFilter, parsePatch, scimBoolean } from './scim-protocol';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const user: UserState = {
  userName: 'bjensen@example.com',
  externalId: null,
  displayName: null,
  givenName: 'Barbara',
  familyName: 'Jensen',
  active: true,
};
const scimTypeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { details?: { scimType?: string } }).details?.scimType;
  }
  return 'no error';
};

describe('SCIM filters (RFC 7644 §3.4.2.2, the eq subset providers send)', () => {
  const aliases = { username: 'userName', externalid: 'externalId' } as const;

  it('reads attribute eq "value", names and operator in any case, escapes decoded', () => {
    expect(parseEqFilter('userName eq "bjensen@example.com"', aliases)).toEqual({
      attribute: 'userName',
      value: 'bjensen@example.com',
    });
    expect(parseEqFilter('USERNAME EQ "a\\"b"', aliases)).toEqual({
      attribute: 'userName',
      value: 'a"b',
    });
    expect(
      parseEqFilter('urn:ietf:params:scim:schemas:core:2.0:User:externalId eq "x"', aliases),
    ).toEqual({ attribute: 'externalId', value: 'x' });
    expect(parseEqFilter(undefined, aliases)).toBeNull();
  });

  it('refuses what it would misread: other operators, logic, unknown attributes', () => {
    for (const f of ['userName co "b"', 'userName eq "a" or userName eq "b"', 'title eq "x"'])
      expect(scimTypeOf(() => parseEqFilter(f, aliases))).toBe('invalidFilter');
  });
});

describe('SCIM paging', () => {
  it('is 1-based, caps count, treats a negative count as 0', () => {
    expect(pageOf({})).toEqual({ startIndex: 1, count: 200 });
    expect(pageOf({ startIndex: '0', count: '5' })).toEqual({ startIndex: 1, count: 5 });
    expect(pageOf({ startIndex: '3', count: '-1' })).toEqual({ startIndex: 3, count: 0 });
    expect(pageOf({ count: '10000' }).count).toBe(200);
    expect(scimTypeOf(() => pageOf({ count: 'ten' }))).toBe('invalidValue');
  });
});

describe('SCIM PATCH of a User', () => {
  it('Okta: a pathless replace of active', () => {
    const ops = parsePatch({
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(patchUser(user, ops).active).toBe(false);
  });

  it('Entra: capitalised verbs, string booleans, paths, attributes Doorman does not keep', () => {
    const ops = parsePatch({
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Add', path: 'displayName', value: 'Babs' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'x@example.com' },
        { op: 'Replace', path: 'name.familyName', value: 'Jensen-Smith' },
        { op: 'Remove', path: 'externalId' },
      ],
    });
    expect(patchUser({ ...user, externalId: 'e1' }, ops)).toEqual({
      ...user,
      active: false,
      displayName: 'Babs',
      familyName: 'Jensen-Smith',
      externalId: null,
    });
    expect(scimBoolean('true', 'a')).toBe(true);
    expect(scimTypeOf(() => scimBoolean('yes', 'active'))).toBe('invalidValue');
  });

  it('names the person by displayName, else given and family name, else the userName', () => {
    expect(personName(user)).toBe('Barbara Jensen');
    expect(personName({ ...user, displayName: 'Babs' })).toBe('Babs');
    expect(personName({ ...user, givenName: null, familyName: null })).toBe(user.userName);
  });

  it('refuses a body that is not a PatchOp', () => {
    expect(scimTypeOf(() => parsePatch({ Operations: [{ op: 'move' }] }))).toBe('invalidSyntax');
    expect(scimTypeOf(() => parsePatch({ schemas: ['x'], Operations: [] }))).toBe('invalidSyntax');
    expect(scimTypeOf(() => parsePatch({ Operations: [{ op: 'remove' }] }))).toBe('noTarget');
  });
});

describe('SCIM PATCH of a Group', () => {
  const group = { displayName: 'dba', externalId: null, memberIds: ['a', 'b'] };

  it('adds, removes by path filter, removes listed values (Entra), replaces, removes all', () => {
    const patch = (...Operations: unknown[]) =>
      patchGroup(group, parsePatch({ schemas: [PATCH_OP], Operations }));
    expect(
      patch({ op: 'add', path: 'members', value: [{ value: 'c' }, { value: 'a' }] }).memberIds,
    ).toEqual(['a', 'b', 'c']);
    expect(patch({ op: 'remove', path: 'members[value eq "a"]' }).memberIds).toEqual(['b']);
    expect(patch({ op: 'Remove', path: 'members', value: [{ value: 'b' }] }).memberIds).toEqual([
      'a',
    ]);
    expect(patch({ op: 'replace', path: 'members', value: [{ value: 'z' }] }).memberIds).toEqual([
      'z',
    ]);
    expect(patch({ op: 'remove', path: 'members' }).memberIds).toEqual([]);
    expect(patch({ op: 'replace', value: { id: 'g1', displayName: 'dbas' } })).toEqual({
      ...group,
      displayName: 'dbas',
    });
  });

  it('refuses a path it does not know and a member without a value', () => {
    const patch =
      (...Operations: unknown[]) =>
      () =>
        patchGroup(group, parsePatch({ schemas: [PATCH_OP], Operations }));
    expect(scimTypeOf(patch({ op: 'add', path: 'owners', value: 'x' }))).toBe('invalidPath');
    expect(scimTypeOf(patch({ op: 'add', path: 'members', value: [{ id: 'x' }] }))).toBe(
      'invalidValue',
    );
    expect(memberPathFilter('members[value eq "x\\"y"]')).toBe('x"y');
  });
});
