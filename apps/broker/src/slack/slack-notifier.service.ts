import type { SlackMessage } from './views/messages.view';
import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import { DomainEventBus, type DomainEvent } from '../common/domain-events';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import type { UserEntity } from '../identity/user.entity';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { RequestsService } from '../requests/requests.service';
import { SLACK_CLIENT, type SlackClient } from './slack-client';
import type { SlackMessageKind } from './slack-message.entity';
import { askRound, SlackMessagesRepository } from './slack-messages.repository';
import { SlackPeopleService } from './slack-people.service';
import { accessEndedInPlace } from './views/answers.view';
import { mention } from './views/format';
import {
  approvalMessage,
  breakGlassMessage,
  failedMessage,
  pendingExpiredMessage,
  decidedMessage,
  endedMessage,
  extendedMessage,
  readyMessage,
  submittedMessage,
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
 * Tells people in Slack what happened, driven by committed domain events (never from inside
 * a transaction): the requester at each step, every approver's copy updated in place.
 */
@Injectable()
export class SlackNotifierService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SlackNotifierService.name);
  private unsubscribe: (() => void) | null = null;
  /** Events of one request are handled in order (submitted before approved before ready). */
  private readonly queues = new Map<string, Promise<void>>();
  private catchingUp = false;

  constructor(
    @Inject(SLACK_CLIENT) private readonly slack: SlackClient,
    private readonly bus: DomainEventBus,
    private readonly people: SlackPeopleService,
    private readonly identity: IdentityService,
    private readonly requests: RequestsService,
    private readonly messages: SlackMessagesRepository,
    private readonly integrations: IntegrationsService,
    private readonly flows: AccessFlowsService,
  ) {}

  onModuleInit(): void {
    if (!this.slack) return;
    this.unsubscribe = this.bus.subscribe((e) => this.inOrder(e));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /**
   * Events are handled in-process after the commit, so a broker that stops in between loses
   * them. What matters most is caught up here: approvers never asked for a pending request
   * (by any replica) are asked now, at most one interval late: every SLACK_CATCH_UP_MS, by the
   * `slack-catch-up` schedule.
   */
  async catchUp(graceMs: number): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      const before = new Date(Date.now() - graceMs);
      // A claim never followed by its post: the replica that made it stopped in between.
      await this.messages.releaseStaleClaims('approval', before);
      for (const req of await this.messages.unasked(before)) {
        await this.askApprovers(req).catch((err: unknown) =>
          this.logger.error({ err, requestId: req.id }, 'could not catch up on an approval'),
        );
      }
    } catch (err) {
      this.logger.error({ err }, 'Slack catch-up failed');
    } finally {
      this.catchingUp = false;
    }
  }

  private inOrder(e: DomainEvent): Promise<void> {
    const key = e.requestId ?? e.integrationId ?? '';
    const run = (this.queues.get(key) ?? Promise.resolve()).then(() => this.handle(e));
    const settled = run.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return run;
  }

  async handle(e: DomainEvent): Promise<void> {
    // A sync failing for good fails every grant it carried; the event names one request at most.
    if (e.action === 'sync.failed' && e.integrationId) return this.onSyncFailed(e.integrationId);
    // Operator alerts go to security (issue 5): a revoke that keeps failing, a failed admin rotation.
    if (e.action === 'revoke.alert' || e.action === 'admin_rotation.failed')
      return this.alertSecurity(e);
    if (!e.requestId) return;
    switch (e.action) {
      case 'request.created':
      case 'extension.requested':
        return this.onCreated(e.requestId);
      case 'request.approved':
      case 'request.auto_approved':
      case 'request.denied':
        await this.refreshApprovals(e.requestId);
        await this.refreshSubmitted(e.requestId);
        return this.tellRequesterDecision(e.requestId, e.action === 'request.auto_approved');
      case 'grant.activated':
        return this.onReady(e.requestId);
      case 'grant.extended':
        await this.messages.forget(e.requestId, 'expiry_warning');
        return this.onExtended(e.requestId);
      case 'grant.revoked':
        return this.onEnded(e.requestId);
      case 'grant.revoke_requested':
      case 'grant.expired':
        return this.onEnding(e.requestId);
      case 'request.expired':
        await this.refreshApprovals(e.requestId);
        await this.refreshSubmitted(e.requestId);
        return this.onPendingExpired(e.requestId);
      case 'request.cancelled':
        await this.refreshApprovals(e.requestId);
        return this.refreshSubmitted(e.requestId);
      case 'request.break_glass':
        return this.onBreakGlass(e.requestId);
      case 'break_glass.review_closed':
        return this.refreshBreakGlass(e.requestId);
      case 'request.step_approved':
      case 'request.escalated':
        await this.refreshApprovals(e.requestId);
        await this.askApprovers(await this.requests.get(e.requestId));
        return;
      default:
        // Cancellations, pending expiry, approval steps: whatever changes a pending request.
        if (/^(request|approval)\./.test(e.action)) await this.refreshApprovals(e.requestId);
    }
  }

  private async onCreated(requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    // Auto-approved and break-glass requests are decided before anyone could be asked.
    if (req.status !== 'PENDING') return;
    const asked = await this.askApprovers(req);
    const [requester] = await this.identity.findByIds([req.requesterId]);
    // Re-read: approvers found in Slack by email were linked while being messaged.
    const named = await this.identity.findByIds(asked);
    if (requester)
      await this.dmOnce(
        req.id,
        'submitted',
        requester,
        submittedMessage(await this.people.view(req), named.map(mention)),
        'could not tell the requester their request was submitted',
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
    await this.people.client.chat
      .update({
        channel: posted.channel!,
        ts: posted.ts!,
        ...submittedMessage(await this.people.view(req), approvers.map(mention)),
      })
      .catch((err: unknown) =>
        this.logger.warn({ err, requestId }, 'could not update a submitted message'),
      );
  }

  /**
   * Access ended: the requester's "ready" and "expiring soon" DMs say so in place, without the
   * Reveal, Extend and Revoke buttons that could no longer do anything.
   */
  private async endInPlace(req: AccessRequestEntity, how: string): Promise<void> {
    const message = accessEndedInPlace(await this.people.view(req), how);
    for (const kind of ['ready', 'expiry_warning'] as const) {
      for (const m of await this.messages.postedFor(req.id, kind)) {
        await this.people.client.chat
          .update({ channel: m.channel!, ts: m.ts!, ...message })
          .catch((err: unknown) =>
            this.logger.warn({ err, requestId: req.id }, 'could not update an access message'),
          );
      }
    }
  }

  /**
   * Asks whoever may decide the current step (a later step's approvers once it is reached, the
   * fallback once escalated): in the flow's Slack channel when it has one, else by DM. Each
   * approver (or the channel, per step) gets one message per request, kept up to date.
   */
  private async askApprovers(req: AccessRequestEntity): Promise<string[]> {
    const ids = (await this.requests.currentApproverIds(req)).filter(
      (id) => id !== req.requesterId,
    );
    const approvers = await this.identity.findByIds(ids);
    const flow = await this.flows.getVersion(req.flowId, req.flowVersion).catch(() => null);
    // A channel Doorman cannot post to (archived, bot not invited) must not leave nobody asked.
    const done =
      (flow?.slackChannel && (await this.askInChannel(req, flow.slackChannel, ids))) ||
      (await this.askByDm(req, approvers));
    // The round is complete: the catch-up leaves this step alone from now on.
    if (done) await this.messages.claim(req.id, 'approval_round', askRound(req));
    // A decision may have landed while the messages were being posted.
    const now = await this.requests.get(req.id);
    if (now.status !== 'PENDING') await this.refreshApprovals(req.id);
    return approvers.map((a) => a.id);
  }

  /** False when Slack failed for someone, or a claim is not posted yet: the catch-up retries. */
  private async askByDm(req: AccessRequestEntity, approvers: UserEntity[]): Promise<boolean> {
    if (!approvers.length) return true;
    const message = approvalMessage(await this.people.view(req), null, await this.progressOf(req));
    let ok = true;
    for (const approver of approvers) {
      if (
        !(await this.dmOnce(req.id, 'approval', approver, message, 'could not message an approver'))
      )
        ok = false;
    }
    return ok;
  }

  /**
   * One post in the flow's channel per step (and per escalation), naming who may decide it, so
   * they are notified; anyone else's click is refused by the same rules as everywhere.
   */
  private async askInChannel(
    req: AccessRequestEntity,
    channel: string,
    approverIds: string[],
  ): Promise<boolean> {
    const key = askRound(req);
    if (!(await this.messages.claim(req.id, 'approval', key))) return true;
    try {
      // Links approvers found in Slack by email, so the mentions below reach them.
      for (const a of await this.identity.findByIds(approverIds)) await this.people.slackIdOf(a);
      const named = (await this.identity.findByIds(approverIds)).map(mention);
      const message = approvalMessage(
        await this.people.view(req),
        null,
        await this.progressOf(req),
        named,
      );
      const posted = await this.people.client.chat.postMessage({ channel, ...message });
      if (posted.ts) {
        await this.messages.posted(req.id, 'approval', key, { channel, ts: posted.ts });
        return true;
      }
    } catch (err) {
      this.logger.error(
        { err, requestId: req.id, channel },
        'could not post to the flow channel; asking approvers by DM',
      );
    }
    await this.messages.release(req.id, 'approval', key);
    return false;
  }

  /**
   * One message of this kind per request and person, across replicas, its (channel, ts) kept so
   * it can be updated in place; a failed post releases the claim so a later round may retry.
   * False when Slack failed, or the claim is someone else's and not posted (yet).
   */
  private async dmOnce(
    requestId: string,
    kind: SlackMessageKind,
    person: UserEntity,
    message: SlackMessage,
    failure: string,
  ): Promise<boolean> {
    if (!(await this.messages.claim(requestId, kind, person.id)))
      return this.messages.isPosted(requestId, kind, person.id);
    try {
      const ref = await this.people.dm(person, message);
      if (ref) await this.messages.posted(requestId, kind, person.id, ref);
      else await this.messages.release(requestId, kind, person.id);
      return true;
    } catch (err) {
      await this.messages.release(requestId, kind, person.id);
      this.logger.error({ err, requestId }, failure);
      return false;
    }
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
      await this.people.view(req),
      await this.decisionOf(req),
      await this.progressOf(req),
    );
    for (const m of posted) {
      await this.people.client.chat
        .update({ channel: m.channel!, ts: m.ts!, ...message })
        .catch((err: unknown) =>
          this.logger.error({ err, requestId }, 'could not update an approval message'),
        );
    }
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

  private async tellRequesterDecision(requestId: string, automatic = false): Promise<void> {
    const req = await this.requests.get(requestId);
    const decision = await this.decisionOf(req);
    if (!decision || (decision.outcome !== 'approved' && decision.outcome !== 'denied')) return;
    if (automatic) decision.by = 'the flow’s automatic approval';
    else if (req.breakGlass) decision.by = 'break-glass (security reviews it afterwards)';
    const [requester] = await this.identity.findByIds([req.requesterId]);
    if (requester)
      await this.people.dm(requester, decidedMessage(await this.people.view(req), decision));
  }

  private async onReady(requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    const [requester] = await this.identity.findByIds([req.requesterId]);
    if (requester)
      await this.dmOnce(
        req.id,
        'ready',
        requester,
        readyMessage(await this.people.view(req)),
        'could not tell the requester their access is ready',
      );
  }

  private async onExtended(grantId: string): Promise<void> {
    const grant = await this.requests.get(grantId);
    const [requester] = await this.identity.findByIds([grant.requesterId]);
    if (requester) await this.people.dm(requester, extendedMessage(await this.people.view(grant)));
  }

  private async onPendingExpired(requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    const [requester] = await this.identity.findByIds([req.requesterId]);
    if (requester)
      await this.people.dm(requester, pendingExpiredMessage(await this.people.view(req)));
  }

  /**
   * Break-glass is granted at once: integration owners and security are told, for review. Each
   * copy is kept so it can show who closed the review.
   */
  private async onBreakGlass(requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    const integration = await this.integrations.get(req.integrationId);
    const security = (await this.identity.listUsers()).filter((u) => u.roles.includes('security'));
    const owners = await this.identity.findByIds(integration.ownerIds);
    const message = breakGlassMessage(await this.people.view(req));
    const told = new Set<string>();
    for (const person of [...owners, ...security]) {
      if (told.has(person.id) || person.id === req.requesterId) continue;
      told.add(person.id);
      await this.dmOnce(
        req.id,
        'break_glass',
        person,
        message,
        'could not tell about a break-glass grant',
      );
    }
    // The review may have been closed while the notices were being posted.
    if ((await this.requests.get(requestId)).reviewStatus === 'closed')
      await this.refreshBreakGlass(requestId);
  }

  /** The review was closed: every copy of the notice says by whom and what they found. */
  private async refreshBreakGlass(requestId: string): Promise<void> {
    const posted = await this.messages.postedFor(requestId, 'break_glass');
    if (!posted.length) return;
    const req = await this.requests.get(requestId);
    const closed =
      req.reviewStatus === 'closed'
        ? {
            by: await this.people.mentionOf(req.reviewClosedBy),
            at: req.reviewClosedAt ?? new Date(),
            note: req.reviewNote,
          }
        : null;
    const message = breakGlassMessage(await this.people.view(req), closed);
    for (const m of posted) {
      await this.people.client.chat
        .update({ channel: m.channel!, ts: m.ts!, ...message })
        .catch((err: unknown) =>
          this.logger.error({ err, requestId }, 'could not update a break-glass notice'),
        );
    }
  }

  private async alertSecurity(e: DomainEvent): Promise<void> {
    const integration = e.integrationId
      ? await this.integrations.get(e.integrationId).catch(() => null)
      : null;
    const d = e.details as {
      username?: string;
      attempt?: number;
      error?: { code?: string; message?: string };
    };
    const what =
      e.action === 'revoke.alert'
        ? 'A revoke keeps failing'
        : 'The connector could not rotate its own password';
    const text =
      `:rotating_light: ${what}${integration ? ` on *${integration.name}*` : ''}` +
      (d.username ? ` (database user \`${d.username}\`)` : '') +
      (d.attempt ? `, attempt ${d.attempt}` : '') +
      (d.error?.code ? `: ${d.error.code}` : '') +
      '. Doorman keeps retrying; see the audit trail.';
    const message: SlackMessage = {
      text,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
    };
    for (const person of (await this.identity.listUsers()).filter((u) =>
      u.roles.includes('security'),
    )) {
      await this.people
        .dm(person, message)
        .catch((err: unknown) => this.logger.error({ err }, 'could not alert security'));
    }
  }

  /** Grants that can never be applied: the requester and the integration's owners are told, once. */
  private async onSyncFailed(integrationId: string): Promise<void> {
    const failed = await this.messages.failedUnnoticed(integrationId);
    if (!failed.length) return;
    const integration = await this.integrations.get(integrationId);
    for (const req of failed) {
      if (!(await this.messages.claim(req.id, 'failure_notice', req.requesterId))) continue;
      const people = await this.identity.findByIds([req.requesterId, ...integration.ownerIds]);
      const message = failedMessage(
        await this.people.view(req),
        req.statusReason ?? 'unknown error',
      );
      for (const person of people) {
        await this.people
          .dm(person, message)
          .catch((err: unknown) =>
            this.logger.error({ err, requestId: req.id }, 'could not tell about a failed grant'),
          );
      }
    }
  }

  /** "expired", or "revoked by <who>": our own mrkdwn (mentions escape names). */
  private async howEnded(req: AccessRequestEntity): Promise<string> {
    if (req.statusReason === 'expired') return 'expired';
    const by = req.endedBy === req.requesterId ? 'you' : await this.people.mentionOf(req.endedBy);
    return `revoked${by ? ` by ${by}` : ''}`;
  }

  /** The access stopped counting (revoke asked, or expiry): its DMs lose their buttons now. */
  private async onEnding(requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    await this.endInPlace(req, await this.howEnded(req));
  }

  private async onEnded(requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    const [requester] = await this.identity.findByIds([req.requesterId]);
    if (!requester) return;
    const how = await this.howEnded(req);
    await this.endInPlace(req, how);
    await this.people.dm(
      requester,
      endedMessage(await this.people.view(req), how, await this.messages.otherAccessActive(req)),
    );
  }
}
