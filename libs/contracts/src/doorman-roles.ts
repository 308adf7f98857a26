/**
 * Roles a person holds in Doorman itself (not in a target database). They sit with the
 * contracts because the broker's config, its API tokens and policy files all name them, and
 * the config must not depend on the identity feature that checks them.
 */
export const DOORMAN_ROLES = ['admin', 'security', 'approver', 'requester', 'auditor'] as const;
export type DoormanRole = (typeof DOORMAN_ROLES)[number];
