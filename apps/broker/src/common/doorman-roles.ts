import type { DoormanRole } from '@doorman/contracts';

export { DOORMAN_ROLES, type DoormanRole } from '@doorman/contracts';

/** Who may manage connectors, integrations and access flows. */
export const MANAGERS: readonly DoormanRole[] = ['admin', 'security'];
/** Who may read every audit event. */
export const AUDIT_READERS: readonly DoormanRole[] = ['admin', 'security', 'auditor'];
