import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { nextStatus } from '../access-requests/request-transitions';
import { AuditService } from '../audit/audit.service';
import { RevocationService } from '../grants/revocation.service';
import { IdentityService } from '../identity/identity.service';
import { GrantCapService } from './grant-cap.service';
import { causeDetails, type RuleChange } from './rule-change-cause';
import { judgeOpenAccess, type RuleVerdict } from './rule-change.policy';
import { RuleChangeRepository } from './rule-change.repository';

export type Outcome = 'ended' | 'kept' | 'cancelled' | 'unchanged';

/**
 * One open request under rules that changed, in one transaction under its row lock: judged
 * (`judgeOpenAccess`), then cancelled, ended through the revocation path, or kept (capped at
 * a shorter maximum) — each audited with the change that caused it, which tells the requester.
 */
@Injectable()
export class RuleVerdictsService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly marks: RuleChangeRepository,
    private readonly flows: AccessFlowsService,
    private readonly identity: IdentityService,
    private readonly revocation: RevocationService,
    private readonly caps: GrantCapService,
    private readonly audit: AuditService,
  ) {}

  @Transactional()
  async judge(change: RuleChange, requestId: string, now = new Date()): Promise<Outcome> {
    const req = await this.requests.lockForUpdate(requestId);
    if (!req || (await this.marks.alreadyJudged(change.changeId, req.id))) return 'unchanged';
    const flows = await this.flows.forIntegration(req.integrationId);
    // The roles as they are now: the same rule request intake applies (role-rules).
    const [requester] = await this.identity.findByIds([req.requesterId]);
    // Under a flow that counts from the first login, the clock starts there (usage/).
    const judgedUnder = await this.flows.getVersion(req.flowId, req.flowVersion);
    const clockStartedAt =
      judgedUnder.durationStartsAt === 'firstLogin' ? req.firstUsedAt : req.grantedAt;
    const verdict = judgeOpenAccess(
      { ...req, clockStartedAt },
      flows,
      {
        groupIds: await this.identity.groupIdsOf(req.requesterId),
        roles: requester?.roles ?? [],
      },
      now,
    );
    if (verdict.outcome === 'keep') return 'unchanged';
    const own = flows.find((f) => f.id === req.flowId);
    const by = own ? `flow "${own.name}" v${own.version}` : `flow "${req.flowName ?? req.flowId}"`;
    const reason = `no longer allowed by ${by}: ${verdict.reason}`;
    // Kept and already told so (a periodic review meeting it again): nothing new to say.
    if (
      verdict.outcome === 'run' &&
      verdict.capAt === null &&
      (verdict.maxSeconds ?? req.durationSeconds) >= req.durationSeconds &&
      (await this.marks.alreadyTold(req.id, reason))
    )
      return 'unchanged';
    return this.apply(change, req, verdict, reason);
  }

  private async apply(
    change: RuleChange,
    req: AccessRequestEntity,
    verdict: Exclude<RuleVerdict, { outcome: 'keep' }>,
    reason: string,
  ): Promise<Outcome> {
    const record = (outcome: Outcome, extra: Record<string, unknown> = {}) =>
      this.audit.record({
        action: 'rule_change.applied',
        actor: change.changedBy,
        channel: change.channel,
        requestId: req.id,
        integrationId: req.integrationId,
        details: { ...causeDetails(change), outcome, reason, ...extra },
      });
    switch (verdict.outcome) {
      case 'cancel':
        await this.requests.update(req.id, {
          status: nextStatus(req, 'cancel'),
          statusReason: reason,
          endedAt: new Date(),
          endedBy: change.changedBy?.id ?? null,
        });
        // The cancellation as any other (its approvers' copies follow), then why.
        await this.audit.record({
          action: 'request.cancelled',
          actor: change.changedBy,
          channel: change.channel,
          requestId: req.id,
          integrationId: req.integrationId,
          details: { reason, ruleChangeId: change.changeId },
        });
        await record('cancelled');
        return 'cancelled';
      case 'end':
        await this.revocation.revokeDisallowed(req.id, reason, change.changedBy, change.channel);
        await record('ended');
        return 'ended';
      case 'run': {
        const capped =
          verdict.capAt !== null &&
          req.status === 'ACTIVE' &&
          req.expiresAt !== null &&
          verdict.capAt < req.expiresAt;
        if (capped) await this.caps.capAt(req, verdict.capAt!);
        // Its clock has not started: it runs at most the new maximum once it does.
        if (
          verdict.capAt === null &&
          verdict.maxSeconds &&
          verdict.maxSeconds < req.durationSeconds
        )
          await this.requests.update(req.id, { durationSeconds: verdict.maxSeconds });
        const expiresAt = capped ? verdict.capAt : req.expiresAt;
        await record('kept', {
          expiresAt: expiresAt?.toISOString() ?? null,
          ...(capped ? { cappedFrom: req.expiresAt!.toISOString() } : {}),
        });
        return 'kept';
      }
    }
  }
}
