import { describeResource, EVERYTHING, type PermissionLevel } from '@doorman/contracts';
import { formatDuration } from '../common/durations';
import type { StepRule } from './approval.policy';
import type { AuthenticationRule } from './step-up.policy';
import type { AutoApproveRule } from './time-window';

/** What the rules need to know about a flow: plain data, no entities, so the rules test without a database. */
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
  /**
   * Present when the duration counts from the first login (absent: from approval), which may
   * wait this long before the access ends as unused (usage/first-login.policy.ts).
   */
  durationStartsAt?: 'firstLogin';
  maxWaitForFirstLoginSeconds?: number;
  extensions: { maxCount: number; maxDurationSeconds: number; auto: boolean };
  /** People who may grant themselves access at once, flagged and reviewed. */
  breakGlassUserIds: string[];
  /** Where approval requests are posted in Slack; absent or null: each approver's DMs. */
  slackChannel?: string | null;
  /** Breaks a tie between flows matching a resource equally closely; higher wins, absent is 0. */
  priority?: number;
  /** A recent or strong sign-in at the identity provider, required to approve; absent: none. */
  approverAuthentication?: AuthenticationRule;
  /** The same, required to request under the flow. */
  requesterAuthentication?: AuthenticationRule;
  /**
   * What a grant the rules narrowed (permission or resource removed, shorter maximum) does once
   * the flow changes: ends now, or runs to its expiry, told (absent: runToExpiry). A person
   * removed from the requestors loses the grant now either way (rule-changes/).
   */
  onRuleChange?: 'endNow' | 'runToExpiry';
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

/** A flow as a refusal names it: enough to pick it with `flowId`. */
export interface FlowRef {
  id: string;
  name: string;
  version: number;
}

export type FlowDecision =
  | { ok: true; flow: FlowRules; durationSeconds: number }
  | { ok: false; kind: 'forbidden' | 'invalid'; reason: string }
  | { ok: false; kind: 'ambiguous'; reason: string; candidates: FlowRef[] };

export type FlowChoice = { ok: true; flow: FlowRules } | Exclude<FlowDecision, { ok: true }>;

export function mayRequestUnder(flow: FlowRules, requesterId: string, groupIds: string[]): boolean {
  return (
    flow.requestorUserIds.includes(requesterId) ||
    flow.requestorGroupIds.some((g) => groupIds.includes(g))
  );
}

type Resource = { database: string; schema: string };

/**
 * How closely a flow's resource names the asked one, most specific first: the very schema
 * (or the very existing role, or everything "*"."*", which only match exactly), then a whole
 * database (`schema: "*"` under a named database). Flows name no tables and nothing wider than
 * a database that is not everything, so these two levels are all there are.
 */
export const MATCH_LEVELS = ['schema', 'database'] as const;
export type MatchLevel = (typeof MATCH_LEVELS)[number];

export function resourceMatch(r: Resource, ask: Resource): MatchLevel | null {
  if (r.database === ask.database && r.schema === ask.schema) return 'schema';
  const wholeDatabase = r.schema === EVERYTHING && r.database !== EVERYTHING;
  if (wholeDatabase && r.database === ask.database && ask.schema !== EVERYTHING) return 'database';
  return null;
}

/** The flow's resource that names the asked one most closely, and how closely, or null. */
export function matchedResource<R extends Resource>(
  flow: { resources: R[] },
  ask: Resource,
): { resource: R; level: MatchLevel } | null {
  let best: { resource: R; level: MatchLevel } | null = null;
  for (const resource of flow.resources) {
    const level = resourceMatch(resource, ask);
    if (level && (!best || MATCH_LEVELS.indexOf(level) < MATCH_LEVELS.indexOf(best.level)))
      best = { resource, level };
  }
  return best;
}

export function coversResource(
  flow: FlowRules,
  ask: Pick<RequestAsk, 'integrationId' | 'database' | 'schema' | 'permission'>,
): boolean {
  return (
    flow.integrationId === ask.integrationId &&
    flow.permissions.includes(ask.permission) &&
    matchedResource(flow, ask) !== null
  );
}

const refOf = (f: FlowRules): FlowRef => ({ id: f.id, name: f.name, version: f.version });
const named = (fs: FlowRules[]) => fs.map((f) => `"${f.name}" (${f.id})`).join(', ');

/**
 * Which flow judges a request (its approvers, durations and TTLs). Among the flows that offer
 * the permission on the resource and let the person ask: the most specific resource match
 * wins, then the higher `priority`; flows still tied are named and the requester picks one
 * with `flowId`. A `flowId` must name a flow the person may use for the resource, and one
 * of those the rules leave tied: it never passes over a more specific or higher-priority flow.
 */
export function chooseFlow(
  flows: FlowRules[],
  ask: Omit<RequestAsk, 'durationSeconds' | 'justification'>,
  flowId?: string | null,
): FlowChoice {
  const covering = flows.filter((f) => coversResource(f, ask));
  if (covering.length === 0) {
    return {
      ok: false,
      kind: 'forbidden',
      reason: `no access flow offers ${ask.permission} on ${describeResource(ask)} of this integration`,
    };
  }
  const allowed = covering.filter((f) =>
    mayRequestUnder(f, ask.requesterId, ask.requesterGroupIds),
  );
  if (allowed.length === 0) {
    return {
      ok: false,
      kind: 'forbidden',
      reason: 'you are not a requestor of any access flow covering this resource',
    };
  }
  const picked = flowId ? allowed.find((f) => f.id === flowId) : undefined;
  if (flowId && !picked) {
    return {
      ok: false,
      kind: 'forbidden',
      reason: `flowId: ${flowId} is not an access flow you may use for ${ask.permission} on ${describeResource(ask)}`,
    };
  }
  const specificity = (f: FlowRules) => MATCH_LEVELS.indexOf(matchedResource(f, ask)!.level);
  const closest = Math.min(...allowed.map(specificity));
  const specific = allowed.filter((f) => specificity(f) === closest);
  const highest = Math.max(...specific.map((f) => f.priority ?? 0));
  const top = specific.filter((f) => (f.priority ?? 0) === highest);
  if (picked) {
    if (top.includes(picked)) return { ok: true, flow: picked };
    const why = specific.includes(picked) ? 'a higher priority' : 'a more specific resource match';
    return {
      ok: false,
      kind: 'forbidden',
      reason: `flowId: flow "${picked.name}" does not judge this request; ${named(top)} ${top.length > 1 ? 'have' : 'has'} ${why}`,
    };
  }
  if (top.length === 1) return { ok: true, flow: top[0] };
  return {
    ok: false,
    kind: 'ambiguous',
    reason: `access flows ${named(top)} all offer ${ask.permission} on ${describeResource(ask)} as closely and with the same priority: choose one with flowId`,
    candidates: top.map(refOf),
  };
}

/**
 * Judges a request against the flows of its integration: which flow applies (`chooseFlow`),
 * then whether the duration and justification meet that flow's rules.
 */
export function judgeRequest(
  flows: FlowRules[],
  ask: RequestAsk,
  flowId?: string | null,
): FlowDecision {
  const choice = chooseFlow(flows, ask, flowId);
  if (!choice.ok) return choice;
  const flow = choice.flow;
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

/** Revoke now: the requester, any approver of the flow, security or admin. */
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
