import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/errors';
import { ApproverPruningService } from './approver-pruning.service';
import type { RuleChange } from './rule-change-cause';
import { RuleChangeRepository } from './rule-change.repository';
import { RuleVerdictsService } from './rule-verdicts.service';

export interface RuleChangeOutcome {
  ended: string[];
  kept: string[];
  cancelled: string[];
  /** Pending requests that lost approvers. */
  pruned: string[];
}

/**
 * Applies one rule change to the access it touches, right after the change committed (its
 * outbox job): a flow's new version judges every open request of that flow; members leaving a
 * group, or a person losing the requester role, judge their open requests; those and a lost
 * approver role prune the approvers of pending requests. Each request is its own transaction,
 * so a job run again finishes what a stopped broker left and repeats nothing. The periodic
 * review (`review`) is the same judging over every candidate, for a change whose job was lost.
 */
@Injectable()
export class RuleChangesService {
  private readonly logger = new Logger(RuleChangesService.name);

  constructor(
    private readonly finder: RuleChangeRepository,
    private readonly verdicts: RuleVerdictsService,
    private readonly pruning: ApproverPruningService,
  ) {}

  /** Every open request and pending approver list judged again ("periodic review"). */
  review(): Promise<RuleChangeOutcome> {
    return this.apply(reviewChange());
  }

  async apply(change: RuleChange): Promise<RuleChangeOutcome> {
    const out: RuleChangeOutcome = { ended: [], kept: [], cancelled: [], pruned: [] };
    const c = change.cause;
    const judged =
      c.type === 'flow'
        ? await this.finder.openUnderFlow(c.flowId)
        : c.type === 'membership'
          ? await this.finder.openOf(c.removedUserIds)
          : c.type === 'roles' && c.removedRoles.includes('requester')
            ? await this.finder.openOf([c.userId])
            : c.type === 'review'
              ? await this.finder.reviewCandidates()
              : [];
    for (const id of judged) {
      const outcome = await this.retryMoved(() => this.verdicts.judge(change, id));
      if (outcome && outcome !== 'unchanged') out[outcome].push(id);
    }
    // Approvers resolve against the request's own flow version: a flow edit changes none.
    const leaving =
      c.type === 'membership'
        ? await this.finder.pendingNaming(c.removedUserIds)
        : c.type === 'roles' && c.removedRoles.includes('approver')
          ? await this.finder.pendingNaming([c.userId])
          : c.type === 'review'
            ? await this.finder.pendingNamingWithoutApproverRole()
            : [];
    for (const id of leaving) {
      const removed = await this.retryMoved(() => this.pruning.prune(change, id));
      if (removed?.length) out.pruned.push(id);
    }
    this.logger.log({ changeId: change.changeId, cause: c.type, ...counts(out) }, 'rule change');
    return out;
  }

  /** A request that moved on meanwhile (approved, expired) is judged again where it now is. */
  private async retryMoved<T>(run: () => Promise<T>): Promise<T | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await run();
      } catch (e) {
        if (!(e instanceof DomainError && e.code === ErrorCode.IllegalTransition)) throw e;
      }
    }
    return null;
  }
}

/** The periodic review's change: no one made it; each run its own id. */
export function reviewChange(): RuleChange {
  return { changeId: randomUUID(), cause: { type: 'review' }, changedBy: null, channel: 'system' };
}

const counts = (o: RuleChangeOutcome) => ({
  ended: o.ended.length,
  kept: o.kept.length,
  cancelled: o.cancelled.length,
  pruned: o.pruned.length,
});
