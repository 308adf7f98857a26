import {
  anyApprover,
  deadlineBeforeDecision,
  dueStepTimeout,
  eligibleApprovers,
  evaluateApprovals,
  mayDecideStep,
  onStepTimeout,
  resolveApprovers,
  validateSteps,
  type Approval,
  type ApproverContext,
  type ApproverSpec,
  type StepRule,
} from './approval.policy';

const ctx: ApproverContext = {
  groupMembers: new Map([
    ['dba', ['dora', 'dan']],
    ['sre', ['sam', 'sue', 'alice']],
  ]),
  integrationOwnerIds: ['owen'],
  resourceOwnerIds: ['rita'],
};
const spec = (over: Partial<ApproverSpec> = {}): ApproverSpec => ({
  userIds: [],
  groupIds: [],
  integrationOwners: false,
  resourceOwners: false,
  ...over,
});
const step = (over: Partial<StepRule> = {}): StepRule => ({
  approvers: spec({ userIds: ['bob', 'carol'] }),
  quorum: 1,
  timeoutSeconds: null,
  onTimeout: 'deny',
  fallback: null,
  ...over,
});
const state = (currentStep = 0, escalated = false) => ({
  requesterId: 'alice',
  currentStep,
  escalated,
});
const ok = { ok: true };

describe('resolving approvers', () => {
  it('unions users, group members, integration and resource owners, once each', () => {
    expect(
      resolveApprovers(
        spec({
          userIds: ['bob', 'dan'],
          groupIds: ['dba'],
          integrationOwners: true,
          resourceOwners: true,
        }),
        ctx,
      ),
    ).toEqual(['bob', 'dan', 'dora', 'owen', 'rita']);
  });
  it('adds the fallback only once escalated', () => {
    const s = step({ fallback: spec({ userIds: ['frank'] }) });
    expect(eligibleApprovers(s, false, ctx)).toEqual(['bob', 'carol']);
    expect(eligibleApprovers(s, true, ctx)).toEqual(['bob', 'carol', 'frank']);
    expect(anyApprover([s, step({ approvers: spec({ groupIds: ['dba'] }) })], ctx)).toEqual([
      'bob',
      'carol',
      'dan',
      'dora',
      'frank',
    ]);
  });
});

describe('quorum and step order', () => {
  const twoSteps = [step({ quorum: 2 }), step({ approvers: spec({ groupIds: ['dba'] }) })];
  const a = (
    approverId: string,
    stepNo = 0,
    decision: Approval['decision'] = 'approve',
  ): Approval => ({ step: stepNo, approverId, decision });

  it('waits until the quorum of distinct approvers is met', () => {
    expect(evaluateApprovals(twoSteps, state(), [a('bob')])).toEqual({
      outcome: 'pending',
      currentStep: 0,
      advanced: false,
    });
  });
  it('the same person twice does not make a quorum of two', () => {
    expect(evaluateApprovals(twoSteps, state(), [a('bob'), a('bob')])).toMatchObject({
      outcome: 'pending',
      currentStep: 0,
    });
  });
  it('moves to the next step when the quorum is met, and approves after the last', () => {
    expect(evaluateApprovals(twoSteps, state(), [a('bob'), a('carol')])).toEqual({
      outcome: 'pending',
      currentStep: 1,
      advanced: true,
    });
    expect(evaluateApprovals(twoSteps, state(1), [a('bob'), a('carol'), a('dora', 1)])).toEqual({
      outcome: 'approved',
    });
  });
  it('does not count an approval given for another step', () => {
    expect(
      evaluateApprovals(twoSteps, state(1), [a('bob'), a('carol'), a('dora', 0)]),
    ).toMatchObject({ outcome: 'pending', currentStep: 1 });
  });
  it('one deny denies, whatever else was approved', () => {
    expect(
      evaluateApprovals(twoSteps, state(1), [a('bob'), a('carol'), a('dan', 1, 'deny')]),
    ).toEqual({ outcome: 'denied' });
  });
});

describe('who may decide a step', () => {
  const steps = [step({ quorum: 2 }), step({ approvers: spec({ groupIds: ['sre'] }) })];

  it('an approver of the current step may', () => {
    expect(mayDecideStep(steps, state(), [], 'bob', false, ctx)).toEqual(ok);
  });
  it('an approver of a later step may not decide the current one', () => {
    expect(mayDecideStep(steps, state(), [], 'sam', false, ctx)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('step 1'),
    });
  });
  it('nobody counts twice toward one quorum', () => {
    expect(
      mayDecideStep(
        steps,
        state(),
        [{ step: 0, approverId: 'bob', decision: 'approve' }],
        'bob',
        false,
        ctx,
      ),
    ).toMatchObject({ ok: false });
  });
  it('self-approval is forbidden by default, even for a member of the approver group', () => {
    expect(mayDecideStep(steps, state(1), [], 'alice', false, ctx)).toMatchObject({
      ok: false,
      reason: 'you cannot approve or deny your own request',
    });
  });
  it('a flow may allow self-approval', () => {
    expect(mayDecideStep(steps, state(1), [], 'alice', true, ctx)).toEqual(ok);
  });
  it('never when the requester is the only possible approver of the step', () => {
    const solo = [step({ approvers: spec({ userIds: ['alice'] }) })];
    expect(mayDecideStep(solo, state(), [], 'alice', true, ctx)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('only possible approver'),
    });
  });
  it('fallback approvers may decide only after escalation', () => {
    const s = [
      step({ timeoutSeconds: 60, onTimeout: 'escalate', fallback: spec({ userIds: ['frank'] }) }),
    ];
    expect(mayDecideStep(s, state(0, false), [], 'frank', false, ctx).ok).toBe(false);
    expect(mayDecideStep(s, state(0, true), [], 'frank', false, ctx).ok).toBe(true);
  });
});

describe('step timeouts', () => {
  it('escalate once, then wait', () => {
    const s = step({
      timeoutSeconds: 60,
      onTimeout: 'escalate',
      fallback: spec({ userIds: ['frank'] }),
    });
    expect(onStepTimeout(s, state(0, false))).toBe('escalate');
    expect(onStepTimeout(s, state(0, true))).toBe('nothing');
  });
  it('or deny', () => {
    expect(onStepTimeout(step({ timeoutSeconds: 60, onTimeout: 'deny' }), state())).toBe('deny');
  });
  it('a step without a timeout waits', () => {
    expect(onStepTimeout(step(), state())).toBe('nothing');
  });
});

describe('a step timeout judged at a given moment', () => {
  const started = new Date('2026-12-03T12:00:00.000Z');
  const at = (s: number) => new Date(started.getTime() + s * 1000);
  const timed = (s: ReturnType<typeof state>) => ({ ...s, stepStartedAt: started });
  const escalating = step({
    timeoutSeconds: 60,
    onTimeout: 'escalate',
    fallback: spec({ userIds: ['frank'] }),
  });

  it('is due from the step start plus its timeout, with what the flow says', () => {
    expect(dueStepTimeout(escalating, timed(state()), at(59.999))).toBeNull();
    expect(dueStepTimeout(escalating, timed(state()), at(60))).toEqual({
      what: 'escalate',
      at: at(60),
    });
    expect(
      dueStepTimeout(step({ timeoutSeconds: 60, onTimeout: 'deny' }), timed(state()), at(3600)),
    ).toEqual({ what: 'deny', at: at(60) });
  });

  it('is spent once escalated, and absent without a timeout, a start or a step', () => {
    expect(dueStepTimeout(escalating, timed(state(0, true)), at(3600))).toBeNull();
    expect(dueStepTimeout(step(), timed(state()), at(3600))).toBeNull();
    expect(dueStepTimeout(escalating, { ...state(), stepStartedAt: null }, at(3600))).toBeNull();
    expect(dueStepTimeout(undefined, timed(state()), at(3600))).toBeNull();
  });
});

describe('deadlineBeforeDecision: what a late decision applies first', () => {
  const started = new Date('2026-12-03T12:00:00.000Z');
  const at = (s: number) => new Date(started.getTime() + s * 1000);
  const denying = step({ timeoutSeconds: 60, onTimeout: 'deny' });
  const escalating = step({
    timeoutSeconds: 60,
    onTimeout: 'escalate',
    fallback: spec({ userIds: ['frank'] }),
  });
  const req = (ttl: number, escalated = false) => ({
    ...state(0, escalated),
    stepStartedAt: started,
    pendingExpiresAt: at(ttl),
  });

  it('owes nothing before any deadline', () => {
    expect(deadlineBeforeDecision(denying, req(120), at(59))).toBeNull();
    expect(deadlineBeforeDecision(step(), req(120), at(119))).toBeNull();
  });

  it('expires at the pending TTL, with or without step timeouts', () => {
    expect(deadlineBeforeDecision(step(), req(120), at(120))).toEqual({
      what: 'expire',
      at: at(120),
    });
    expect(deadlineBeforeDecision(escalating, req(120, true), at(500))).toEqual({
      what: 'expire',
      at: at(120),
    });
  });

  it('applies whichever ending deadline passed first', () => {
    expect(deadlineBeforeDecision(denying, req(120), at(500))).toEqual({
      what: 'deny',
      at: at(60),
    });
    expect(deadlineBeforeDecision(denying, req(30), at(500))).toEqual({
      what: 'expire',
      at: at(30),
    });
  });

  it('escalates before the TTL, and expires rather than escalates after it', () => {
    expect(deadlineBeforeDecision(escalating, req(120), at(90))).toEqual({
      what: 'escalate',
      at: at(60),
    });
    expect(deadlineBeforeDecision(escalating, req(120), at(120))).toEqual({
      what: 'expire',
      at: at(120),
    });
  });
});

describe('validating steps', () => {
  it('refuses a quorum larger than the possible approvers', () => {
    expect(validateSteps([step({ quorum: 3 })], ['alice'], false, ctx)).toEqual([
      'steps[0].quorum: 3 exceeds the 2 possible approver(s)',
    ]);
  });
  it('refuses an escalating step without fallback', () => {
    expect(
      validateSteps([step({ timeoutSeconds: 5, onTimeout: 'escalate' })], ['alice'], false, ctx)[0],
    ).toContain('fallback');
  });
  it('refuses a flow where the only requestor is the only approver', () => {
    expect(
      validateSteps([step({ approvers: spec({ userIds: ['alice'] }) })], ['alice'], false, ctx),
    ).toHaveLength(1);
  });
  it('accepts a sound two-step flow', () => {
    expect(
      validateSteps(
        [step({ quorum: 2 }), step({ approvers: spec({ groupIds: ['dba'] }) })],
        ['alice'],
        false,
        ctx,
      ),
    ).toEqual([]);
  });
});
