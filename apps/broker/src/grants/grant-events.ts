import { jobIds, type FailedGroup, type GroupGrant, type SyncUserResult } from '@doorman/contracts';
import type { AuditAction } from '../audit/audit-action';
import type { AuditInput } from '../audit/audit.service';
import type { OutboxJob } from '../outbox/outbox.service';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import type { DatabaseUserEntity } from './database-user.entity';

/**
 * What a connector's result writes for a grant, whether recorded one by one
 * (SyncResultsService) or in a batch (SyncResultsRecorder): one shape of audit event and
 * expiry timer for both.
 */

type GrantRow = Pick<
  AccessRequestEntity,
  'id' | 'integrationId' | 'decidedAt' | 'statusReason' | 'endedAt' | 'expiresAt'
>;

const groupKey = (g: GroupGrant) => `${g.database}\u0000${g.schema}\u0000${g.permission}`;

/**
 * The group of this grant the connector could not apply, if it reported one: the
 * grant fails with that group's own error, and the person's other grants are unaffected.
 */
export function failedGroupOf(
  req: Pick<AccessRequestEntity, 'database' | 'schema' | 'permission'>,
  r: Pick<SyncUserResult, 'failedGroups'>,
): FailedGroup | undefined {
  const key = groupKey(req);
  return r.failedGroups?.find((g) => groupKey(g) === key);
}

/** How a failed group reads in a request's last error and status reason. */
export function failedGroupText(g: FailedGroup): string {
  return `${g.error.code}: ${g.error.message}`;
}

/**
 * When, by the target's clock, the result's sync finished: its `appliedAt`, or — from a
 * connector too old to report it — the transaction's start.
 */
export function appliedAtOf(r: Pick<SyncUserResult, 'appliedAt' | 'startedAt'>): Date | null {
  const at = r.appliedAt ?? r.startedAt;
  return at ? new Date(at) : null;
}

export function laterOf(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

/** An event the connector's result caused on a grant: who, which sync, and what else. */
function grantEvent(
  action: AuditAction,
  req: GrantRow,
  r: SyncUserResult,
  details: Record<string, unknown>,
): AuditInput {
  return {
    action,
    actorType: 'connector',
    channel: 'connector',
    requestId: req.id,
    integrationId: req.integrationId,
    details: { username: r.username, generation: r.generation, ...details },
  };
}

/** A grant the connector left out of the person's sync because it cannot be applied. */
export function grantFailedEvent(req: GrantRow, r: SyncUserResult, g: FailedGroup): AuditInput {
  return grantEvent('sync.failed', req, r, {
    attempt: r.attempt,
    error: g.error,
    group: { database: g.database, schema: g.schema, permission: g.permission },
  });
}

/** The timer that ends a grant at its expiry (the sweeper catches it if the timer is lost). */
export function expiryTimer(requestId: string, expiresAt: Date): OutboxJob {
  return {
    job: { kind: 'expire-grant', requestId },
    jobId: jobIds.expire(requestId, expiresAt.getTime()),
    runAt: expiresAt,
  };
}

/** The timer that deletes an inactive database user when its cleanup is due. */
export function cleanupTimer(databaseUserId: string, dueAt: Date): OutboxJob {
  return {
    job: { kind: 'cleanup-due', databaseUserId },
    jobId: jobIds.cleanupDue(databaseUserId, dueAt.getTime()),
    runAt: dueAt,
  };
}

/**
 * The password this generation asked for was issued, but its result was lost (a crash between
 * commit and report): the retry finds the generation applied and cannot know the password.
 * Nobody holds it, so another one must be issued at once.
 */
export function passwordLost(
  r: SyncUserResult,
  du: Pick<DatabaseUserEntity, 'passwordPendingGeneration'>,
): boolean {
  return (
    r.status === 'stale' &&
    !r.sealedPassword &&
    du.passwordPendingGeneration !== null &&
    r.generation >= du.passwordPendingGeneration
  );
}

export function grantActivatedEvent(
  req: GrantRow,
  r: SyncUserResult,
  grantedAt: Date,
  expiresAt: Date,
): AuditInput {
  return grantEvent('grant.activated', req, r, {
    decidedAt: req.decidedAt?.toISOString() ?? null,
    grantedAt: grantedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    validUntil: r.validUntil ?? null,
    passwordIssued: Boolean(r.sealedPassword),
    effects: r.effects,
  });
}

export function grantRevokedEvent(req: GrantRow, r: SyncUserResult): AuditInput {
  return grantEvent('grant.revoked', req, r, {
    sessionsTerminated: r.sessionsTerminated,
    effects: r.effects,
    reason: req.statusReason,
    endedAt: req.endedAt?.toISOString() ?? null,
    expiresAt: req.expiresAt?.toISOString() ?? null,
    // The connector's check of the target after this revoke, clean or not: the grant's receipt says it.
    ...(r.verification ? { verification: r.verification } : {}),
  });
}
