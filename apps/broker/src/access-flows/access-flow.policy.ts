import type { PermissionLevel } from '@doorman/contracts';
import { formatDuration } from '../common/durations';

/** What the rules need to know about a flow: plain data, no entities (STYLE §1). */
export interface FlowRules {
  id: string;
  name: string;
  integrationId: string;
  requestorUserIds: string[];
  requestorGroupIds: string[];
  resources: Array<{ database: string; schema: string }>;
  permissions: PermissionLevel[];
  approverUserIds: string[];
  defaultDurationSeconds: number;
  maxDurationSeconds: number;
  justificationRequired: boolean;
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
      reason: `no access flow offers ${ask.permission} on ${ask.database}.${ask.schema} of this integration`,
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

/** Only the flow's approvers approve or deny, and never their own request (no flow allows it yet). */
export function mayDecide(
  flow: Pick<FlowRules, 'approverUserIds'>,
  requesterId: string,
  actorId: string,
): Verdict {
  if (actorId === requesterId)
    return { ok: false, reason: 'you cannot approve or deny your own request' };
  if (!flow.approverUserIds.includes(actorId))
    return { ok: false, reason: 'you are not an approver of this access flow' };
  return { ok: true };
}

/** Revoke now: the requester, any approver of the flow, security or admin (DESIGN §2). */
export function mayRevoke(
  flow: Pick<FlowRules, 'approverUserIds'>,
  requesterId: string,
  actor: { id: string; roles: string[] },
): Verdict {
  if (actor.id === requesterId || flow.approverUserIds.includes(actor.id)) return { ok: true };
  if (actor.roles.includes('admin') || actor.roles.includes('security')) return { ok: true };
  return {
    ok: false,
    reason: 'only the requester, an approver of the flow, security or an admin may revoke',
  };
}

/** Cancelling is the requester's own act. */
export function mayCancel(requesterId: string, actorId: string): Verdict {
  return actorId === requesterId
    ? { ok: true }
    : { ok: false, reason: 'only the requester may cancel a request' };
}
