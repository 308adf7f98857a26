import { describeResource, type PermissionLevel } from '@doorman/contracts';
import {
  coversResource,
  mayRequestUnder,
  type FlowRules,
} from '../access-flows/access-flow.policy';
import { formatDuration } from '../common/durations';
import { mayByRole } from '../common/role-rules';

/**
 * Who still qualifies once the rules change: a flow edited, a group losing a member, a person
 * losing a Doorman role. Pure: no Nest, no I/O, the clock passed in.
 *
 * The rule, in one place:
 * - A request not granted yet (PENDING, or APPROVED and waiting for its start) is judged as if
 *   asked now: whatever the new rules refuse cancels it, with the reason.
 * - A grant (GRANTING, ACTIVE) whose person is no longer a requestor of any flow offering its
 *   permission on its resource, or who does not hold the requester role (`role-rules`, the rule
 *   request intake also applies), ends now, whatever the flow says.
 * - A grant the rules narrowed otherwise — its permission or resource no longer offered, its
 *   duration past the new maximum — follows its flow's `onRuleChange`: `endNow` ends it,
 *   `runToExpiry` (the default) keeps it, capped at the new maximum duration when that ends
 *   sooner, and the requester is told. Nothing is kept silently.
 */

export type OnRuleChange = 'endNow' | 'runToExpiry';
export const ON_RULE_CHANGE: readonly OnRuleChange[] = ['endNow', 'runToExpiry'];
export const DEFAULT_ON_RULE_CHANGE: OnRuleChange = 'runToExpiry';

/** An open request or grant as the judge needs it. */
export interface OpenAccess {
  requesterId: string;
  status: string;
  kind: 'access' | 'extension';
  integrationId: string;
  database: string;
  schema: string;
  permission: PermissionLevel;
  durationSeconds: number;
  /**
   * When its clock started: its activation, or its first login under a flow that counts from
   * there; null while it has not (being granted, or waiting for that first login).
   */
  clockStartedAt: Date | null;
  expiresAt: Date | null;
  flowId: string;
  /** Granted at once by break-glass: the flow must still name the person for it. */
  breakGlass: boolean;
}

/** The person as the new rules see them. */
export interface Standing {
  groupIds: readonly string[];
  /** Their Doorman roles now: without `requester` they may not ask, nor keep what they asked. */
  roles: readonly string[];
}

export type RuleVerdict =
  | { outcome: 'keep' }
  /** Not granted yet: cancelled. */
  | { outcome: 'cancel'; reason: string }
  /** Granted: ended now through the revocation path. */
  | { outcome: 'end'; reason: string }
  /**
   * Granted: kept to its expiry, or to `capAt` when the new maximum ends it sooner (a grant
   * whose clock has not started runs at most `maxSeconds` once it does); told.
   */
  | { outcome: 'run'; reason: string; capAt: Date | null; maxSeconds?: number };

const GRANTED = ['GRANTING', 'ACTIVE'];
const NOT_GRANTED_YET = ['PENDING', 'APPROVED'];

/**
 * The verdict on one open request under the integration's flows as they are now. `ownFlow` is
 * the current version of the flow that judged it (its `onRuleChange` applies), if it still exists.
 */
export function judgeOpenAccess(
  access: OpenAccess,
  flows: readonly FlowRules[],
  standing: Standing,
  now: Date,
): RuleVerdict {
  const granted = GRANTED.includes(access.status);
  if (!granted && !NOT_GRANTED_YET.includes(access.status)) return { outcome: 'keep' };
  const what = `${access.permission} on ${describeResource(access)}`;
  const ownFlow = flows.find((f) => f.id === access.flowId);
  const removed = (reason: string): RuleVerdict =>
    granted ? { outcome: 'end', reason } : { outcome: 'cancel', reason };
  const narrowed = (reason: string, cap?: { at: Date | null; maxSeconds: number }): RuleVerdict => {
    if (!granted) return { outcome: 'cancel', reason };
    if ((ownFlow?.onRuleChange ?? DEFAULT_ON_RULE_CHANGE) === 'endNow')
      return { outcome: 'end', reason };
    return cap
      ? { outcome: 'run', reason, capAt: cap.at, maxSeconds: cap.maxSeconds }
      : { outcome: 'run', reason, capAt: null };
  };

  if (!mayByRole(standing.roles, 'ask')) return removed('you no longer have the requester role');
  const covering = flows.filter((f) => coversResource(f, access));
  if (covering.length === 0) return narrowed(`no access flow offers ${what} any more`);
  const allowed = covering.filter((f) =>
    mayRequestUnder(f, access.requesterId, [...standing.groupIds]),
  );
  if (allowed.length === 0)
    return removed(`you are no longer a requestor of any access flow offering ${what}`);
  if (access.breakGlass && !allowed.some((f) => f.breakGlassUserIds.includes(access.requesterId)))
    return removed(`you may no longer use break-glass for ${what}`);
  // An extension's length is the flow's extension rule, judged when it is decided.
  if (access.kind === 'extension') return { outcome: 'keep' };
  const longest = Math.max(...allowed.map((f) => f.maxDurationSeconds));
  const limit = `the longest allowed is now ${formatDuration(longest)}`;
  if (!granted) {
    return access.durationSeconds > longest
      ? { outcome: 'cancel', reason: `${formatDuration(access.durationSeconds)} asked; ${limit}` }
      : { outcome: 'keep' };
  }
  // A grant's length, extensions included: from its clock's start to its expiry.
  const start = access.clockStartedAt;
  const runs =
    start && access.expiresAt
      ? Math.round((access.expiresAt.getTime() - start.getTime()) / 1000)
      : access.durationSeconds;
  if (runs <= longest) return { outcome: 'keep' };
  const capAt = start ? new Date(start.getTime() + longest * 1000) : null;
  // Capped at a moment already past: the new rules end it now.
  if (capAt && capAt <= now) return { outcome: 'end', reason: `it ran past ${limit}` };
  return narrowed(`it runs ${formatDuration(runs)}; ${limit}`, { at: capAt, maxSeconds: longest });
}

/** The reason as a request's status and the requester read it: which flow change caused it. */
export function withCause(reason: string, cause: string | null): string {
  return cause ? `${cause}: ${reason}` : reason;
}
