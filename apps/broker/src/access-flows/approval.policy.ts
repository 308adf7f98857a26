/**
 * Who approves, in which order, how many of them, and what happens when nobody answers.
 * Pure: no Nest, no I/O, a clock passed in. The same rules hold for REST and
 * Slack because both call the services that call these.
 */
export interface ApproverSpec {
  userIds: string[];
  groupIds: string[];
  /** The integration's owners. */
  integrationOwners: boolean;
  /** The owners of the requested resource (database/schema). */
  resourceOwners: boolean;
}

export interface StepRule {
  approvers: ApproverSpec;
  /** How many distinct approvers this step needs. */
  quorum: number;
  /** Seconds after the step starts before `onTimeout` applies; null = waits for ever (up to the pending TTL). */
  timeoutSeconds: number | null;
  onTimeout: 'escalate' | 'deny';
  /** Approvers added when the step escalates. */
  fallback: ApproverSpec | null;
}

/** Facts the rules resolve approver specs against. */
export interface ApproverContext {
  groupMembers: ReadonlyMap<string, readonly string[]>;
  integrationOwnerIds: readonly string[];
  resourceOwnerIds: readonly string[];
  /** People deactivated now: named or not, they approve nothing. */
  deactivatedIds?: ReadonlySet<string>;
}

export interface Approval {
  step: number;
  approverId: string;
  decision: 'approve' | 'deny';
}

export interface ApprovalState {
  requesterId: string;
  currentStep: number;
  escalated: boolean;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

export function resolveApprovers(spec: ApproverSpec | null, ctx: ApproverContext): string[] {
  if (!spec) return [];
  const ids = new Set(spec.userIds);
  for (const g of spec.groupIds) for (const m of ctx.groupMembers.get(g) ?? []) ids.add(m);
  if (spec.integrationOwners) for (const o of ctx.integrationOwnerIds) ids.add(o);
  if (spec.resourceOwners) for (const o of ctx.resourceOwnerIds) ids.add(o);
  return [...ids].filter((id) => !ctx.deactivatedIds?.has(id)).sort();
}

/** Everyone who may decide the step now: its approvers, plus the fallback once escalated. */
export function eligibleApprovers(
  step: StepRule,
  escalated: boolean,
  ctx: ApproverContext,
): string[] {
  const ids = new Set(resolveApprovers(step.approvers, ctx));
  if (escalated) for (const id of resolveApprovers(step.fallback, ctx)) ids.add(id);
  return [...ids].sort();
}

/** Anyone who could ever decide some step of the flow (for visibility and revoke rights). */
export function anyApprover(steps: readonly StepRule[], ctx: ApproverContext): string[] {
  const ids = new Set<string>();
  for (const s of steps) for (const id of eligibleApprovers(s, true, ctx)) ids.add(id);
  return [...ids].sort();
}

/**
 * May `actorId` approve or deny the current step? Self-approval is forbidden unless the flow
 * allows it, and even then never when the requester is the only possible approver of the
 * step; nobody counts twice toward one step's quorum.
 */
export function mayDecideStep(
  steps: readonly StepRule[],
  state: ApprovalState,
  approvals: readonly Approval[],
  actorId: string,
  allowSelfApproval: boolean,
  ctx: ApproverContext,
): Verdict {
  const step = steps[state.currentStep];
  if (!step) return { ok: false, reason: 'this request has no approval step waiting' };
  const eligible = eligibleApprovers(step, state.escalated, ctx);
  if (!eligible.includes(actorId)) {
    return {
      ok: false,
      reason: `you are not an approver of step ${state.currentStep + 1} of this access flow`,
    };
  }
  if (actorId === state.requesterId) {
    if (!allowSelfApproval)
      return { ok: false, reason: 'you cannot approve or deny your own request' };
    if (eligible.every((id) => id === actorId)) {
      return {
        ok: false,
        reason:
          'you cannot approve your own request when you are the only possible approver of the step',
      };
    }
  }
  if (approvals.some((a) => a.step === state.currentStep && a.approverId === actorId)) {
    return { ok: false, reason: `you have already decided step ${state.currentStep + 1}` };
  }
  return { ok: true };
}

export type StepOutcome =
  | { outcome: 'denied' }
  | { outcome: 'approved' }
  | { outcome: 'pending'; currentStep: number; advanced: boolean };

/**
 * Where a request stands after its approvals: a deny ends it; each step completes when its
 * quorum of distinct approvers is met, in order; the last completed step approves it.
 */
export function evaluateApprovals(
  steps: readonly StepRule[],
  state: ApprovalState,
  approvals: readonly Approval[],
): StepOutcome {
  if (approvals.some((a) => a.decision === 'deny')) return { outcome: 'denied' };
  let step = state.currentStep;
  while (step < steps.length) {
    const distinct = new Set(
      approvals.filter((a) => a.step === step && a.decision === 'approve').map((a) => a.approverId),
    );
    if (distinct.size < steps[step].quorum) break;
    step++;
  }
  if (step >= steps.length) return { outcome: 'approved' };
  return { outcome: 'pending', currentStep: step, advanced: step !== state.currentStep };
}

/** When the current step's timeout passes: escalate to the fallback once, or deny. */
export function onStepTimeout(
  step: StepRule,
  state: ApprovalState,
): 'escalate' | 'deny' | 'nothing' {
  if (step.timeoutSeconds === null) return 'nothing';
  if (step.onTimeout === 'deny') return 'deny';
  if (state.escalated) return 'nothing';
  return 'escalate';
}

/** A step's timeout that has passed by `now` and what it does, or null (none, not yet, or spent). */
export function dueStepTimeout(
  step: StepRule | undefined,
  state: ApprovalState & { stepStartedAt: Date | null },
  now: Date,
): { what: 'escalate' | 'deny'; at: Date } | null {
  if (!step?.timeoutSeconds || !state.stepStartedAt) return null;
  const at = new Date(state.stepStartedAt.getTime() + step.timeoutSeconds * 1000);
  if (at > now) return null;
  const what = onStepTimeout(step, state);
  return what === 'nothing' ? null : { what, at };
}

/**
 * What a decision taken at `now` must apply first: the pending TTL or a step
 * timeout that denies, whichever passed first, ends the request and the decision is refused;
 * a step timeout that escalates widens who may decide, and the decision is judged after it.
 */
export function deadlineBeforeDecision(
  step: StepRule | undefined,
  state: ApprovalState & { stepStartedAt: Date | null; pendingExpiresAt: Date | null },
  now: Date,
): { what: 'escalate' | 'deny' | 'expire'; at: Date } | null {
  const due = dueStepTimeout(step, state, now);
  const ttl =
    state.pendingExpiresAt && state.pendingExpiresAt <= now ? state.pendingExpiresAt : null;
  if (due?.what === 'deny' && (!ttl || due.at < ttl)) return due;
  if (ttl) return { what: 'expire', at: ttl };
  return due;
}

/** Problems with a flow's steps that would make it impossible to satisfy. */
export function validateSteps(
  steps: readonly StepRule[],
  requestorIds: readonly string[],
  allowSelfApproval: boolean,
  ctx: ApproverContext,
): string[] {
  const problems: string[] = [];
  steps.forEach((s, i) => {
    const eligible = eligibleApprovers(s, true, ctx);
    if (s.quorum < 1) problems.push(`steps[${i}].quorum: must be at least 1`);
    if (eligible.length === 0 && !s.approvers.integrationOwners && !s.approvers.resourceOwners) {
      problems.push(`steps[${i}].approvers: names nobody`);
    } else if (eligible.length > 0 && s.quorum > eligible.length) {
      problems.push(
        `steps[${i}].quorum: ${s.quorum} exceeds the ${eligible.length} possible approver(s)`,
      );
    }
    if (s.onTimeout === 'escalate' && s.timeoutSeconds !== null && !s.fallback) {
      problems.push(`steps[${i}].fallback: a step that escalates needs fallback approvers`);
    }
    if (
      !allowSelfApproval &&
      requestorIds.length === 1 &&
      eligible.length === 1 &&
      eligible[0] === requestorIds[0]
    ) {
      problems.push(
        `steps[${i}].approvers: the only approver is the only requestor, and self-approval is off`,
      );
    }
  });
  return problems;
}
