import {
  anyApprover,
  eligibleApprovers,
  mayDecideStep,
  type ApproverContext,
  type StepRule,
} from './approval.policy';

/** Issue 18: a deactivated person approves nothing, however they are named on a step. */
describe('approval rules leave deactivated people out', () => {
  const step: StepRule = {
    approvers: {
      userIds: ['bob', 'carol'],
      groupIds: ['leads'],
      integrationOwners: true,
      resourceOwners: true,
    },
    quorum: 1,
    timeoutSeconds: 60,
    onTimeout: 'escalate',
    fallback: { userIds: ['erin'], groupIds: [], integrationOwners: false, resourceOwners: false },
  };
  const ctx = (deactivated: string[]): ApproverContext => ({
    groupMembers: new Map([['leads', ['dave', 'carol']]]),
    integrationOwnerIds: ['olga'],
    resourceOwnerIds: ['rita'],
    deactivatedIds: new Set(deactivated),
  });

  it('by name, through a group, as an owner or as a fallback', () => {
    expect(eligibleApprovers(step, true, ctx([]))).toEqual([
      'bob',
      'carol',
      'dave',
      'erin',
      'olga',
      'rita',
    ]);
    expect(eligibleApprovers(step, true, ctx(['carol', 'olga', 'rita', 'erin']))).toEqual([
      'bob',
      'dave',
    ]);
    expect(anyApprover([step], ctx(['bob', 'carol', 'dave']))).toEqual(['erin', 'olga', 'rita']);
  });

  it('may not decide the step', () => {
    const state = { requesterId: 'alice', currentStep: 0, escalated: false };
    expect(mayDecideStep([step], state, [], 'carol', false, ctx([])).ok).toBe(true);
    expect(mayDecideStep([step], state, [], 'carol', false, ctx(['carol']))).toEqual({
      ok: false,
      reason: 'you are not an approver of step 1 of this access flow',
    });
  });
});
