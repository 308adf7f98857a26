import { Injectable } from '@nestjs/common';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import { APPROVE_IN_CONSOLE } from '../access-flows/step-up.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { IdentityService } from '../identity/identity.service';
import type { UserEntity } from '../identity/user.entity';
import { RequestsService } from '../requests/requests.service';
import { askRound, SlackMessagesRepository } from './slack-messages.repository';
import { SlackPeopleService } from './slack-people.service';
import { SlackPostsService, type NoticeRun } from './slack-posts.service';
import { mention } from './views/format';
import {
  approvalMessage,
  decidedMessage,
  pendingExpiredMessage,
  submittedMessage,
  type ApprovalView,
  type Decision,
} from './views/messages.view';

const OUTCOME: Record<string, string> = {
  APPROVED: 'approved',
  GRANTING: 'approved',
  ACTIVE: 'approved',
  REVOKING: 'approved',
  REVOKED: 'approved',
  FAILED: 'approved',
  APPLIED: 'approved',
  DENIED: 'denied',
  CANCELLED: 'cancelled',
  EXPIRED: 'expired',
};

/**
 * A pending request in Slack: its approvers asked (in the flow's channel, or by DM), every copy
 * of the ask kept up to date as steps are approved and the request is decided, and the
 * requester told where it went.
 */
@Injectable()
export class ApprovalNoticesService {
  constructor(
    private readonly posts: SlackPostsService,
    private readonly people: SlackPeopleService,
    private readonly identity: IdentityService,
    private readonly requests: RequestsService,
    private readonly messages: SlackMessagesRepository,
    private readonly flows: AccessFlowsService,
  ) {}

  /** A request (or extension) waits: its approvers are asked, the requester told who. */
  async submitted(run: NoticeRun, requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    // Auto-approved and break-glass requests are decided before anyone could be asked.
    if (req.status !== 'PENDING') return;
    const asked = await this.askApprovers(run, req);
    const [requester] = await this.identity.findByIds([req.requesterId]);
    // Re-read: approvers found in Slack by email were linked while being messaged.
    const named = await this.identity.findByIds(asked);
    if (requester)
      await this.posts.dmOnce(
        run,
        req.id,
        'submitted',
        requester,
        submittedMessage(await this.people.view(req), named.map(mention)),
        'could not tell the requester their request was submitted',
      );
  }

  async decided(run: NoticeRun, requestId: string, automatic: boolean): Promise<void> {
    await this.refreshApprovals(requestId);
    await this.refreshSubmitted(requestId);
    await this.tellRequesterDecision(run, requestId, automatic);
  }

  /** A step's quorum met, or its timeout escalated: whoever decides now is asked. */
  async stepAdvanced(run: NoticeRun, requestId: string): Promise<void> {
    await this.refreshApprovals(requestId);
    await this.askApprovers(run, await this.requests.get(requestId));
  }

  async cancelled(requestId: string): Promise<void> {
    await this.refreshApprovals(requestId);
    await this.refreshSubmitted(requestId);
  }

  async pendingExpired(run: NoticeRun, requestId: string): Promise<void> {
    await this.refreshApprovals(requestId);
    await this.refreshSubmitted(requestId);
    const req = await this.requests.get(requestId);
    const [requester] = await this.identity.findByIds([req.requesterId]);
    if (requester)
      await this.posts.dmOnceByKey(
        run,
        'pending-expired',
        requester,
        pendingExpiredMessage(await this.people.view(req)),
        'could not tell the requester nobody decided in time',
      );
  }

  /**
   * The requester's "submitted" DM once the request left PENDING: its Cancel button goes, and
   * it says where the request went.
   */
  private async refreshSubmitted(requestId: string): Promise<void> {
    const [posted] = await this.messages.postedFor(requestId, 'submitted');
    if (!posted) return;
    const req = await this.requests.get(requestId);
    if (req.status === 'PENDING') return;
    const approvers = await this.identity.findByIds(
      (await this.requests.currentApproverIds(req)).filter((id) => id !== req.requesterId),
    );
    await this.posts.update(
      posted,
      submittedMessage(await this.people.view(req), approvers.map(mention)),
      requestId,
      'could not update a submitted message',
    );
  }

  /**
   * Asks whoever may decide the current step (a later step's approvers once it is reached, the
   * fallback once escalated): in the flow's Slack channel when it has one, else by DM. Each
   * approver (or the channel, per step) gets one message per request, kept up to date.
   */
  private async askApprovers(run: NoticeRun, req: AccessRequestEntity): Promise<string[]> {
    const ids = (await this.requests.currentApproverIds(req)).filter(
      (id) => id !== req.requesterId,
    );
    const approvers = await this.identity.findByIds(ids);
    const flow = await this.flows.getVersion(req.flowId, req.flowVersion).catch(() => null);
    // A channel Doorman cannot post to (archived, bot not invited) must not leave nobody asked.
    const inChannel =
      flow?.slackChannel && (await this.askInChannel(run, req, flow.slackChannel, ids));
    if (!inChannel) await this.askByDm(run, req, approvers);
    // A decision may have landed while the messages were being posted.
    const now = await this.requests.get(req.id);
    if (now.status !== 'PENDING') await this.refreshApprovals(req.id);
    return approvers.map((a) => a.id);
  }

  private async askByDm(
    run: NoticeRun,
    req: AccessRequestEntity,
    approvers: UserEntity[],
  ): Promise<void> {
    if (!approvers.length) return;
    const message = approvalMessage(await this.askView(req), null, await this.progressOf(req));
    for (const approver of approvers)
      await this.posts.dmOnce(
        run,
        req.id,
        'approval',
        approver,
        message,
        'could not message an approver',
      );
  }

  /**
   * One post in the flow's channel per step (and per escalation), naming who may decide it, so
   * they are notified; anyone else's click is refused by the same rules as everywhere.
   */
  private async askInChannel(
    run: NoticeRun,
    req: AccessRequestEntity,
    channel: string,
    approverIds: string[],
  ): Promise<boolean> {
    return this.posts.postOnce(
      run,
      req.id,
      'approval',
      askRound(req),
      channel,
      async () => {
        // Links approvers found in Slack by email, so the mentions below reach them.
        for (const a of await this.identity.findByIds(approverIds)) await this.people.slackIdOf(a);
        const named = (await this.identity.findByIds(approverIds)).map(mention);
        return approvalMessage(await this.askView(req), null, await this.progressOf(req), named);
      },
      'could not post to the flow channel; asking approvers by DM',
    );
  }

  /** The request as its approvers see it: in the console when its flow asks for a fresh sign-in. */
  private async askView(req: AccessRequestEntity): Promise<ApprovalView> {
    const flow = await this.flows.getVersion(req.flowId, req.flowVersion);
    const inConsole = flow.approverAuthentication
      ? this.people.brokerUrl(APPROVE_IN_CONSOLE)
      : null;
    return { ...(await this.people.view(req)), approveInConsole: inConsole };
  }

  private async decisionOf(req: AccessRequestEntity): Promise<Decision | null> {
    if (req.status === 'PENDING') return null;
    const outcome = OUTCOME[req.status] ?? req.status.toLowerCase();
    const byId = outcome === 'approved' || outcome === 'denied' ? req.decidedBy : req.endedBy;
    return {
      outcome,
      by: outcome === 'expired' ? null : await this.people.mentionOf(byId),
      at: req.decidedAt ?? req.endedAt ?? new Date(),
      reason: outcome === 'denied' ? req.statusReason : null,
    };
  }

  /** Every approver's copy shows the current state, so nobody acts on a stale request. */
  private async refreshApprovals(requestId: string): Promise<void> {
    const posted = await this.messages.postedFor(requestId, 'approval');
    if (!posted.length) return;
    const req = await this.requests.get(requestId);
    const message = approvalMessage(
      await this.askView(req),
      await this.decisionOf(req),
      await this.progressOf(req),
    );
    for (const m of posted)
      await this.posts.update(m, message, requestId, 'could not update an approval message');
  }

  /** Approvals so far on a multi-step request: "approved by X (step 1)". */
  private async progressOf(req: AccessRequestEntity): Promise<string[]> {
    if (req.status !== 'PENDING') return [];
    const approvals = await this.requests.approvalsOf(req.id);
    const out: string[] = [];
    for (const a of approvals) {
      if (a.decision !== 'approve') continue;
      out.push(
        `:white_check_mark: approved by ${await this.people.mentionOf(a.approverId)} (step ${a.step + 1})`,
      );
    }
    return out;
  }

  private async tellRequesterDecision(
    run: NoticeRun,
    requestId: string,
    automatic: boolean,
  ): Promise<void> {
    const req = await this.requests.get(requestId);
    const decision = await this.decisionOf(req);
    if (!decision || (decision.outcome !== 'approved' && decision.outcome !== 'denied')) return;
    if (automatic) decision.by = 'the flow’s automatic approval';
    else if (req.breakGlass) decision.by = 'break-glass (security reviews it afterwards)';
    const [requester] = await this.identity.findByIds([req.requesterId]);
    if (requester)
      await this.posts.dmOnceByKey(
        run,
        'decided',
        requester,
        decidedMessage(await this.people.view(req), decision),
        'could not tell the requester the decision',
      );
  }
}
