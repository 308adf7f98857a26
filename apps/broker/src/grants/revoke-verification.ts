import type { Residue, RevokeVerification, SyncUserResult } from '@doorman/contracts';
import type { AuditInput } from '../audit/audit.service';

/**
 * Pure: what the broker records from the connector's proof that access ended — the check of
 * the target's own catalogs after a sync that took groups away or ended logins. Stored with
 * the database user (the latest check), told in the audit trail when anything was found
 * (`revoke.residue`: what was found, what the connector removed, what is left), and counted.
 */

const sameThing = (r: Residue) => `${r.kind}\u0000${r.object}`;

/** What the check found and the connector could not (or would not: owned objects) remove. */
export function residueLeft(v: RevokeVerification): Residue[] {
  const fixed = new Set(v.fixed.map(sameThing));
  return v.found.filter((r) => !fixed.has(sameThing(r)));
}

export interface ResidueCounts {
  found: number;
  fixed: number;
  left: number;
}

export function residueCounts(v: RevokeVerification): ResidueCounts {
  return { found: v.found.length, fixed: v.fixed.length, left: residueLeft(v).length };
}

/** The columns of the database user that hold its latest check; nothing when none came. */
export function verificationColumns(
  r: Pick<SyncUserResult, 'verification'>,
): { revokeVerification: RevokeVerification; revokeVerifiedAt: Date } | Record<string, never> {
  const v = r.verification;
  return v ? { revokeVerification: v, revokeVerifiedAt: new Date(v.checkedAt) } : {};
}

/**
 * The audit event of a check that found something, or null for a clean one (the grant's own
 * `grant.revoked` says the revoke happened). `requestIds`: the grants this sync ended.
 */
export function residueEvent(r: SyncUserResult, requestIds: readonly string[]): AuditInput | null {
  const v = r.verification;
  if (!v || v.clean) return null;
  const left = residueLeft(v);
  return {
    action: 'revoke.residue',
    actorType: 'connector',
    channel: 'connector',
    integrationId: r.integrationId,
    requestId: requestIds.length === 1 ? requestIds[0] : null,
    details: {
      username: r.username,
      generation: r.generation,
      checkedAt: v.checkedAt,
      requestIds: [...requestIds],
      found: v.found,
      fixed: v.fixed,
      left,
      counts: residueCounts(v),
    },
  };
}
