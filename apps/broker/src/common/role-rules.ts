import type { DoormanRole } from '@doorman/contracts';

/**
 * What the `requester` and `approver` roles mean, in one place: asking for access (and extending
 * it) needs `requester`, deciding a request needs `approver` — on top of the flow naming the
 * person. Request intake, approval eligibility and the rule-change judge all ask these. Pure.
 */
export const ROLE_FOR = { ask: 'requester', approve: 'approver' } as const satisfies Record<
  string,
  DoormanRole
>;

export type RoleAction = keyof typeof ROLE_FOR;

export function mayByRole(roles: readonly string[], action: RoleAction): boolean {
  return roles.includes(ROLE_FOR[action]);
}

/** Why a person without the role is refused, naming it; null when they have it. */
export function missingRole(roles: readonly string[], action: RoleAction): string | null {
  if (mayByRole(roles, action)) return null;
  const what = action === 'ask' ? 'asking for access' : 'approving or denying a request';
  return `${what} needs the ${ROLE_FOR[action]} role, which you do not have`;
}
