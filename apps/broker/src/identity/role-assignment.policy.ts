import type { DoormanRole } from './doorman-roles';

/**
 * Who may give or take which Doorman role: the one rule every path that creates a
 * person or changes roles applies — REST, the policy file, POLICY_FILE at boot, later SCIM.
 * Nobody grants or removes a role they could not grant directly; only admins create, promote
 * or demote admins, or change anything about an admin's roles; security may assign the other
 * roles to people who are not admins; nobody else changes roles. Pure, no Nest imports.
 */
export const SECURITY_ASSIGNABLE: readonly DoormanRole[] = [
  'security',
  'approver',
  'requester',
  'auditor',
];

export interface RoleChange {
  /** The person's roles now, or null when the change creates the person. */
  before: readonly DoormanRole[] | null;
  after: readonly DoormanRole[];
}

/** The roles given plus the roles taken away. */
export function changedRoles({ before, after }: RoleChange): DoormanRole[] {
  const was = new Set(before ?? []);
  const will = new Set(after);
  return [...new Set([...after, ...(before ?? [])])].filter((r) => was.has(r) !== will.has(r));
}

/** Why the change is refused to someone holding `actorRoles`, or null when it is allowed. */
export function roleChangeRefusal(
  actorRoles: readonly DoormanRole[],
  change: RoleChange,
): string | null {
  const changed = changedRoles(change);
  if (changed.length === 0) return null;
  if (actorRoles.includes('admin')) return null;
  if (!actorRoles.includes('security'))
    return `only admin or security may change roles (${changed.join(', ')})`;
  if (change.before?.includes('admin')) return 'only an admin may change the roles of an admin';
  const forbidden = changed.filter((r) => !SECURITY_ASSIGNABLE.includes(r));
  if (forbidden.length) return `only an admin may grant or remove ${forbidden.join(', ')}`;
  return null;
}
