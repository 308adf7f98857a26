/** Roles a person holds in Doorman itself (DESIGN §2). */
export const DOORMAN_ROLES = ['admin', 'security', 'approver', 'requester', 'auditor'] as const;
export type DoormanRole = (typeof DOORMAN_ROLES)[number];

/** Who may manage connectors, integrations and access flows. */
export const MANAGERS: readonly DoormanRole[] = ['admin', 'security'];
/** Who may read every audit event. */
export const AUDIT_READERS: readonly DoormanRole[] = ['admin', 'security', 'auditor'];
