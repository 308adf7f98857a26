import { Initial1763769600000 } from './1763769600000-initial';
import { PasswordPending1763900000000 } from './1763900000000-password-pending';
import { ApprovalWorkflows1763950000000 } from './1763950000000-approval-workflows';

/** Every migration, in order. Reviewed code: entities never synchronise the schema. */
export const MIGRATIONS = [
  Initial1763769600000,
  PasswordPending1763900000000,
  ApprovalWorkflows1763950000000,
];
