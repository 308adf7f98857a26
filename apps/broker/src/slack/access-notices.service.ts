import { Injectable } from '@nestjs/common';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { RequestsService } from '../requests/requests.service';
import { SlackMessagesRepository } from './slack-messages.repository';
import { SlackPeopleService } from './slack-people.service';
import { SlackPostsService, type NoticeRun } from './slack-posts.service';
import { accessEndedInPlace } from './views/answers.view';
import {
  breakGlassMessage,
  endedMessage,
  extendedMessage,
  failedMessage,
  readyMessage,
  ruleChangedMessage,
  type SlackMessage,
} from './views/messages.view';

/** What an operator alert says: the audited details it may show (never a secret). */
export interface AlertFacts {
  action: 'revoke.alert' | 'admin_rotation.failed';
  integrationId: string | null;
  details: Record<string, unknown>;
}

/**
 * Access once decided, in Slack: the requester told it is ready, extended, ending and ended
 * (earlier DMs losing the buttons that no longer do anything), break-glass grants shown to the
 * people who review them, grants that failed for good, and operator alerts for security.
 */
@Injectable()
export class AccessNoticesService {
  constructor(
    private readonly posts: SlackPostsService,
    private readonly people: SlackPeopleService,
    private readonly identity: IdentityService,
    private readonly requests: RequestsService,
    private readonly messages: SlackMessagesRepository,
    private readonly integrations: IntegrationsService,
  ) {}

  async ready(run: NoticeRun, requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    const [requester] = await this.identity.findByIds([req.requesterId]);
    if (requester)
      await this.posts.dmOnce(
        run,
        req.id,
        'ready',
        requester,
        readyMessage(await this.people.view(req)),
        'could not tell the requester their access is ready',
      );
  }

  async extended(run: NoticeRun, grantId: string): Promise<void> {
    // The grant ends later now: its expiry warning may be sent again.
    await this.messages.forget(grantId, 'expiry_warning');
    const grant = await this.requests.get(grantId);
    const [requester] = await this.identity.findByIds([grant.requesterId]);
    if (requester)
      await this.posts.dmOnceByKey(
        run,
        'extended',
        requester,
        extendedMessage(await this.people.view(grant)),
        'could not tell the requester their access was extended',
      );
  }

  /** The access stopped counting (revoke asked, or expiry): its DMs lose their buttons now. */
  async ending(requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    await this.endInPlace(req, await this.howEnded(req));
  }

  async ended(run: NoticeRun, requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    const [requester] = await this.identity.findByIds([req.requesterId]);
    if (!requester) return;
    const how = await this.howEnded(req);
    await this.endInPlace(req, how);
    await this.posts.dmOnceByKey(
      run,
      'ended',
      requester,
      endedMessage(
        await this.people.view(req),
        how,
        await this.messages.otherAccessActive(req),
        this.people.brokerUrl(`/console/requests/${req.id}/receipt`),
      ),
      'could not tell the requester their access ended',
    );
  }

  /** The rules changed under the request: its requester told what happens to it and why. */
  async ruleChanged(
    run: NoticeRun,
    requestId: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    const outcome = details.outcome;
    if (outcome !== 'ended' && outcome !== 'kept' && outcome !== 'cancelled') return;
    const req = await this.requests.get(requestId);
    const [requester] = await this.identity.findByIds([req.requesterId]);
    if (!requester) return;
    const until = typeof details.expiresAt === 'string' ? new Date(details.expiresAt) : null;
    await this.posts.dmOnceByKey(
      run,
      'rule_changed',
      requester,
      ruleChangedMessage(
        await this.people.view(req),
        outcome,
        typeof details.reason === 'string' ? details.reason : 'the rules changed',
        until,
      ),
      'could not tell the requester the rules changed under their access',
    );
  }

  /**
   * Break-glass is granted at once: integration owners and security are told, for review. Each
   * copy is kept so it can show who closed the review.
   */
  async breakGlass(run: NoticeRun, requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    const integration = await this.integrations.get(req.integrationId);
    const security = (await this.identity.listUsers()).filter((u) => u.roles.includes('security'));
    const owners = await this.identity.findByIds(integration.ownerIds);
    const message = breakGlassMessage(await this.people.view(req));
    const told = new Set<string>();
    for (const person of [...owners, ...security]) {
      if (told.has(person.id) || person.id === req.requesterId) continue;
      told.add(person.id);
      await this.posts.dmOnce(
        run,
        req.id,
        'break_glass',
        person,
        message,
        'could not tell about a break-glass grant',
      );
    }
    // The review may have been closed while the notices were being posted.
    if ((await this.requests.get(requestId)).reviewStatus === 'closed')
      await this.breakGlassReviewed(requestId);
  }

  /** The review was closed: every copy of the notice says by whom and what they found. */
  async breakGlassReviewed(requestId: string): Promise<void> {
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
    for (const m of posted)
      await this.posts.update(m, message, requestId, 'could not update a break-glass notice');
  }

  /** Operator alerts go to security: a revoke that keeps failing, a failed admin rotation. */
  async securityAlert(run: NoticeRun, e: AlertFacts): Promise<void> {
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
    ))
      await this.posts.dmOnceByKey(run, 'alert', person, message, 'could not alert security');
  }

  /** Grants that can never be applied: the requester and the integration's owners are told, once. */
  async grantsFailed(run: NoticeRun, integrationId: string): Promise<void> {
    const failed = await this.messages.failedUnnoticed(integrationId, run.key);
    if (!failed.length) return;
    const integration = await this.integrations.get(integrationId);
    for (const req of failed) {
      if (!(await this.messages.claim(req.id, 'failure_notice', req.requesterId, run.key)))
        continue;
      const people = await this.identity.findByIds([req.requesterId, ...integration.ownerIds]);
      const message = failedMessage(
        await this.people.view(req),
        req.statusReason ?? 'unknown error',
      );
      for (const person of people)
        await this.posts.dmOnceByKey(
          run,
          `failed-${req.id}`,
          person,
          message,
          'could not tell about a failed grant',
        );
    }
  }

  /**
   * Access ended: the requester's "ready" and "expiring soon" DMs say so in place, without the
   * Reveal, Extend and Revoke buttons that could no longer do anything.
   */
  private async endInPlace(req: AccessRequestEntity, how: string): Promise<void> {
    const message = accessEndedInPlace(await this.people.view(req), how);
    for (const kind of ['ready', 'expiry_warning'] as const)
      for (const m of await this.messages.postedFor(req.id, kind))
        await this.posts.update(m, message, req.id, 'could not update an access message');
  }

  /** "expired", or "revoked by <who>": our own mrkdwn (mentions escape names). */
  private async howEnded(req: AccessRequestEntity): Promise<string> {
    if (req.statusReason === 'expired') return 'expired';
    if (req.statusReason === 'unused') return 'expired: it was not used in time';
    const by = req.endedBy === req.requesterId ? 'you' : await this.people.mentionOf(req.endedBy);
    return `revoked${by ? ` by ${by}` : ''}`;
  }
}
