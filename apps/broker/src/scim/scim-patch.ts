import {
  memberPathFilter,
  type PatchOperation,
  scimBoolean,
  scimInvalid,
  stripSchema,
} from './scim-protocol';

/** What a provider may set on a person: the rest of a SCIM User is accepted and not kept. */
export interface UserState {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  active: boolean;
}

/** The name a person carries in Doorman, from what the provider sent. */
export function personName(s: Omit<UserState, 'active' | 'externalId'>): string {
  const parts = [s.givenName, s.familyName].filter((p): p is string => !!p?.trim()).join(' ');
  return s.displayName?.trim() || parts || s.userName;
}

const text = (value: unknown, attribute: string): string | null => {
  if (value === null) return null;
  if (typeof value !== 'string') throw scimInvalid('invalidValue', `${attribute} must be a string`);
  return value;
};

/** One attribute of a User set (add, replace) or cleared (remove); unknown attributes ignored. */
function setUserAttribute(s: UserState, rawPath: string, value: unknown, remove: boolean): void {
  const path = stripSchema(rawPath).toLowerCase();
  const v = remove ? null : value;
  switch (path) {
    case 'active':
      if (remove) throw scimInvalid('mutability', 'active cannot be removed');
      s.active = scimBoolean(value, 'active');
      return;
    case 'username': {
      const userName = text(v, 'userName');
      if (!userName) throw scimInvalid('mutability', 'userName cannot be removed');
      s.userName = userName;
      return;
    }
    case 'externalid':
      s.externalId = text(v, 'externalId');
      return;
    case 'displayname':
    case 'name.formatted':
      s.displayName = text(v, rawPath);
      return;
    case 'name.givenname':
      s.givenName = text(v, rawPath);
      return;
    case 'name.familyname':
      s.familyName = text(v, rawPath);
      return;
    case 'name':
      if (remove || v === null) {
        s.givenName = s.familyName = null;
        return;
      }
      if (typeof v !== 'object') throw scimInvalid('invalidValue', 'name must be an object');
      for (const [k, sub] of Object.entries(v)) setUserAttribute(s, `name.${k}`, sub, false);
      return;
    default:
      // emails, title, the enterprise extension…: Doorman keeps none of them.
      return;
  }
}

/** A User after a PatchOp: add and replace set, remove clears; a pathless op sets each key. */
export function patchUser(current: UserState, ops: readonly PatchOperation[]): UserState {
  const s = { ...current };
  for (const o of ops) {
    if (o.path) {
      setUserAttribute(s, o.path, o.value, o.op === 'remove');
      continue;
    }
    if (!o.value || typeof o.value !== 'object' || Array.isArray(o.value))
      throw scimInvalid('invalidValue', `${o.op} without a path needs an object value`);
    for (const [k, v] of Object.entries(o.value)) setUserAttribute(s, k, v, false);
  }
  return s;
}

export interface GroupState {
  displayName: string;
  externalId: string | null;
  memberIds: string[];
}

/** `[{ value: id }, …]` (or one such object) as ids. */
export function memberIdsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((m: unknown) => {
    const id = (m as { value?: unknown } | null)?.value;
    if (typeof id !== 'string' || !id)
      throw scimInvalid('invalidValue', 'members are objects with a value (the user id)');
    return id;
  });
}

function setGroupAttribute(s: GroupState, op: PatchOperation['op'], path: string, value: unknown) {
  const member = memberPathFilter(path);
  if (member !== null) {
    if (op !== 'remove') throw scimInvalid('invalidPath', `${op} on ${path}: only remove`);
    s.memberIds = s.memberIds.filter((m) => m !== member);
    return;
  }
  switch (stripSchema(path).toLowerCase()) {
    case 'members': {
      if (op === 'remove') {
        // No value: every member goes (RFC 7644 §3.5.2.2); with one (Entra): those listed.
        const gone = value === undefined ? s.memberIds : memberIdsOf(value);
        s.memberIds = s.memberIds.filter((m) => !gone.includes(m));
      } else {
        const ids = memberIdsOf(value);
        s.memberIds = [...new Set([...(op === 'add' ? s.memberIds : []), ...ids])];
      }
      return;
    }
    case 'displayname': {
      const name = op === 'remove' ? null : text(value, 'displayName');
      if (!name?.trim()) throw scimInvalid('mutability', 'a group keeps a displayName');
      s.displayName = name;
      return;
    }
    case 'externalid':
      s.externalId = op === 'remove' ? null : text(value, 'externalId');
      return;
    case 'id':
      // Okta repeats the id in a pathless replace: it never changes.
      return;
    default:
      throw scimInvalid('invalidPath', `a group has no attribute ${path}`);
  }
}

/** A Group after a PatchOp: members added, removed (by value or by path filter) or replaced. */
export function patchGroup(current: GroupState, ops: readonly PatchOperation[]): GroupState {
  const s = { ...current, memberIds: [...current.memberIds] };
  for (const o of ops) {
    if (o.path) {
      setGroupAttribute(s, o.op, o.path, o.value);
      continue;
    }
    if (!o.value || typeof o.value !== 'object' || Array.isArray(o.value))
      throw scimInvalid('invalidValue', `${o.op} without a path needs an object value`);
    for (const [k, v] of Object.entries(o.value)) setGroupAttribute(s, o.op, k, v);
  }
  return s;
}
