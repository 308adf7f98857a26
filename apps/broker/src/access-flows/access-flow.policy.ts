import { describeResource, type PermissionLevel } from '@doorman/contracts';
import { formatDuration } from '../common/durations';
import type { StepRule } from './approval.policy';
import type { AutoApproveRule } from './time-window';

/** What the rules need to know about a flow: plain data, no entities (STYLE §1). */
export interface FlowRules {
  id: string;
  version: number;
  name: string;
  integrationId: string;
  requestorUserIds: string[];
  requestorGroupIds: string[];
  resources: Array<{ database: string; schema: string; ownerIds: string[] }>;
  permissions: PermissionLevel[];
  /** Ordered approval steps; none means auto-approval only. */
  steps: StepRule[];
  autoApprove: AutoApproveRule | null;
  allowSelfApproval: boolean;
  defaultDurationSeconds: number;
  maxDurationSeconds: number;
  justificationRequired: boolean;
  pendingTtlSeconds: number;
  extensions: { maxCount: number; maxDurationSeconds: number; auto: boolean };
  /** People who may grant themselves access at once, flagged and reviewed. */
  breakGlassUserIds: string[];
  /** Where approval requests are posted in Slack; absent or null: each approver's DMs. */
  slackChannel?: string | null;
}

export interface RequestAsk {
  requesterId: string;
  requesterGroupIds: string[];
  integrationId: string;
  database: string;
  schema: string;
  permission: PermissionLevel;
  durationSeconds: number | null;
  justification: string | null;
}

export type FlowDecision =
  | { ok: true; flow: FlowRules; durationSeconds: number }
  | { ok: false; kind: 'forbidden' | 'invalid'; reason: string };

export function mayRequestUnder(flow: FlowRules, requesterId: string, groupIds: string[]): boolean {
  return (
    flow.requestorUserIds.includes(requesterId) ||
    flow.requestorGroupIds.some((g) => groupIds.includes(g))
  );
}

export function coversResource(
  flow: FlowRules,
  ask: Pick<RequestAsk, 'integrationId' | 'database' | 'schema' | 'permission'>,
): boolean {
  return (
    flow.integrationId === ask.integrationId &&
    flow.permissions.includes(ask.permission) &&
    flow.resources.some((r) => r.database === ask.database && r.schema === ask.schema)
  );
}

/**
 * Judges a request against the flows of its integration: which flow applies, whether the
 * requester may ask, and how long the access may last. Among several matching flows the
 * one allowing the longest access is chosen, so a request is refused only if no flow fits.
 */
export function judgeRequest(flows: FlowRules[], ask: RequestAsk): FlowDecision {
  const covering = flows.filter((f) => coversResource(f, ask));
  if (covering.length === 0) {
    return {
      ok: false,
      kind: 'forbidden',
      reason: `no access flow offers ${ask.permission} on ${describeResource(ask)} of this integration`,
    };
  }
  const allowed = covering
    .filter((f) => mayRequestUnder(f, ask.requesterId, ask.requesterGroupIds))
    .sort((a, b) => b.maxDurationSeconds - a.maxDurationSeconds);
  if (allowed.length === 0) {
    return {
      ok: false,
      kind: 'forbidden',
      reason: 'you are not a requestor of any access flow covering this resource',
    };
  }
  const flow = allowed[0];
  const duration = ask.durationSeconds ?? flow.defaultDurationSeconds;
  if (duration > flow.maxDurationSeconds) {
    return {
      ok: false,
      kind: 'invalid',
      reason: `duration ${formatDuration(duration)} exceeds the maximum of ${formatDuration(flow.maxDurationSeconds)} set by flow "${flow.name}"`,
    };
  }
  if (flow.justificationRequired && !ask.justification?.trim()) {
    return { ok: false, kind: 'invalid', reason: `flow "${flow.name}" requires a justification` };
  }
  return { ok: true, flow, durationSeconds: duration };
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Revoke now: the requester, any approver of the flow, security or admin (DESIGN §2). */
export function mayRevoke(
  approverIds: readonly string[],
  requesterId: string,
  actor: { id: string; roles: string[] },
): Verdict {
  if (actor.id === requesterId || approverIds.includes(actor.id)) return { ok: true };
  if (actor.roles.includes('admin') || actor.roles.includes('security')) return { ok: true };
  return {
    ok: false,
    reason: 'only the requester, an approver of the flow, security or an admin may revoke',
  };
}

/** Cancelling is the requester's own act. */
/** A break-glass grant's follow-up review is closed by security or an admin, whatever the channel. */
export function mayCloseReview(actor: { roles: string[] }): Verdict {
  if (actor.roles.includes('admin') || actor.roles.includes('security')) return { ok: true };
  return { ok: false, reason: 'only security or an admin may close a break-glass review' };
}

export function mayCancel(requesterId: string, actorId: string): Verdict {
  return actorId === requesterId
    ? { ok: true }
    : { ok: false, reason: 'only the requester may cancel a request' };
}

export interface ExtensionAsk {
  status: string;
  extensionCount: number;
  durationSeconds: number;
}

/** Extensions: the flow says how many and how long each; only ACTIVE access is extended. */
export function mayExtend(flow: Pick<FlowRules, 'extensions'>, grant: ExtensionAsk): Verdict {
  if (grant.status !== 'ACTIVE')
    return {
      ok: false,
      reason: `only ACTIVE access can be extended; this request is ${grant.status}`,
    };
  if (flow.extensions.maxCount === 0)
    return { ok: false, reason: 'this access flow allows no extensions' };
  if (grant.extensionCount >= flow.extensions.maxCount) {
    return {
      ok: false,
      reason: `this access was already extended ${grant.extensionCount} time(s), the flow's maximum`,
    };
  }
  if (grant.durationSeconds > flow.extensions.maxDurationSeconds) {
    return {
      ok: false,
      reason: `an extension may last at most ${formatDuration(flow.extensions.maxDurationSeconds)}`,
    };
  }
  return { ok: true };
}
