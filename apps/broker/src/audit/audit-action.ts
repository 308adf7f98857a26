/**
 * Every action the broker records in the audit trail. The strings are stored and exported
 * (auditors filter on them), so an entry is never renamed; a new one is added here, and the
 * compiler then asks whether Slack tells anyone about it (NOTICE_OF below).
 */
export const AUDIT_ACTIONS = [
  'access_flow.created',
  'access_flow.updated',
  'admin_rotation.failed',
  'admin_rotation.requested',
  'admin_rotation.rotated',
  'break_glass.review_closed',
  'catalog.discovery_failed',
  'catalog.discovery_requested',
  'connector.created',
  'connector.message_refused',
  'credentials.resealed',
  'credentials.reset',
  'credentials.reset_all',
  'credentials.revealed',
  'database_user.cleanup_failed',
  'database_user.cleanup_scheduled',
  'database_user.deleted',
  'decision.refused',
  'extension.requested',
  'grant.activated',
  'grant.expired',
  'grant.extended',
  'grant.first_used',
  'grant.requested',
  'grant.revoke_requested',
  'grant.revoked',
  'group.created',
  'group.synced',
  'group.updated',
  'integration.created',
  'integration.revoke_all',
  'integration.updated',
  'password.lost',
  'policy.applied',
  'reconcile.corrected',
  'reconcile.unknown_role',
  'request.approved',
  'request.auto_approved',
  'request.break_glass',
  'request.cancelled',
  'request.created',
  'request.denied',
  'request.escalated',
  'request.expired',
  'request.step_approved',
  'revoke.alert',
  'revoke.residue',
  'rule_change.applied',
  'scim.provider_created',
  'scim.token_rotated',
  'session.sign_in_refused',
  'session.signed_in',
  'session.signed_out',
  'sync.failed',
  'token.created',
  'token.minted_for_other',
  'token.revoked',
  'token.used',
  'user.access_ended',
  'user.created',
  'user.deactivated',
  'user.reactivated',
  'user.role_change_refused',
  'user.roles_changed',
  'user.slack_linked',
  'user.updated',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}

/** What Slack tells people after an audited change: one kind per way the notifier reacts. */
export type NotificationKind =
  /** A request (or an extension) waits for approval: approvers are asked, the requester told. */
  | 'submitted'
  /** Approved or denied by a person: every approver's copy updated, the requester told. */
  | 'decided'
  /** Approved by the flow itself, nobody asked. */
  | 'auto-approved'
  /** A step's quorum met or its timeout escalated: the next approvers are asked. */
  | 'step-advanced'
  | 'cancelled'
  /** Nobody decided in time. */
  | 'pending-expired'
  | 'access-ready'
  | 'access-extended'
  /** A revoke was asked for, or the grant expired: its DMs lose their buttons at once. */
  | 'access-ending'
  | 'access-ended'
  | 'break-glass'
  | 'break-glass-reviewed'
  /** A sync failed for good: the grants it carried failed, their people are told. */
  | 'grants-failed'
  /** An operator alert for security: a revoke that keeps failing, a failed admin rotation. */
  | 'security-alert'
  /** The rules changed under a request or grant: its requester told what happens to it. */
  | 'rule-changed';

/**
 * Which notification each action is, or null when Slack says nothing about it. A Record, not a
 * list: a new action does not compile until someone decides.
 */
const NOTICE_OF: Record<AuditAction, NotificationKind | null> = {
  'access_flow.created': null,
  'access_flow.updated': null,
  'admin_rotation.failed': 'security-alert',
  'admin_rotation.requested': null,
  'admin_rotation.rotated': null,
  'break_glass.review_closed': 'break-glass-reviewed',
  'catalog.discovery_failed': null,
  'catalog.discovery_requested': null,
  'connector.created': null,
  'connector.message_refused': null,
  'credentials.resealed': null,
  'credentials.reset': null,
  'credentials.reset_all': null,
  'credentials.revealed': null,
  'database_user.cleanup_failed': null,
  'database_user.cleanup_scheduled': null,
  'database_user.deleted': null,
  'decision.refused': null,
  'extension.requested': 'submitted',
  'grant.activated': 'access-ready',
  'grant.expired': 'access-ending',
  'grant.extended': 'access-extended',
  'grant.first_used': null,
  'grant.requested': null,
  'grant.revoke_requested': 'access-ending',
  'grant.revoked': 'access-ended',
  'group.created': null,
  'group.synced': null,
  'group.updated': null,
  'integration.created': null,
  'integration.revoke_all': null,
  'integration.updated': null,
  'password.lost': null,
  'policy.applied': null,
  'reconcile.corrected': null,
  'reconcile.unknown_role': null,
  'request.approved': 'decided',
  'request.auto_approved': 'auto-approved',
  'request.break_glass': 'break-glass',
  'request.cancelled': 'cancelled',
  'request.created': 'submitted',
  'request.denied': 'decided',
  'request.escalated': 'step-advanced',
  'request.expired': 'pending-expired',
  'request.step_approved': 'step-advanced',
  'revoke.alert': 'security-alert',
  'revoke.residue': null,
  'rule_change.applied': 'rule-changed',
  'scim.provider_created': null,
  'scim.token_rotated': null,
  'session.sign_in_refused': null,
  'session.signed_in': null,
  'session.signed_out': null,
  'sync.failed': 'grants-failed',
  'token.created': null,
  'token.minted_for_other': null,
  'token.revoked': null,
  'token.used': null,
  'user.access_ended': null,
  'user.created': null,
  'user.deactivated': null,
  'user.reactivated': null,
  'user.role_change_refused': null,
  'user.roles_changed': null,
  'user.slack_linked': null,
  'user.updated': null,
};

export function notificationOf(action: AuditAction): NotificationKind | null {
  return NOTICE_OF[action] ?? null;
}
