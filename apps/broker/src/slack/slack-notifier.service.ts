import { Inject, Injectable } from '@nestjs/common';
import type { AuditAction, NotificationKind } from '../audit/audit-action';
import { AccessNoticesService } from './access-notices.service';
import { ApprovalNoticesService } from './approval-notices.service';
import { SLACK_CLIENT, type SlackClient } from './slack-client';
import { SlackHomeService } from './slack-home.service';
import type { NoticeRun } from './slack-posts.service';

/** One audited change to tell Slack about, as its notice job delivers it. */
export interface Notice extends NoticeRun {
  kind: NotificationKind;
  action: AuditAction;
  requestId: string | null;
  integrationId: string | null;
  details: Record<string, unknown>;
}

/**
 * Tells people in Slack what happened, one committed audit event at a time, from its notice
 * job (never from inside a transaction): the requester at each step, every approver's copy
 * updated in place, the App Homes the change concerns. Throws when Slack should be tried
 * again; running a notice twice sends nothing twice.
 */
@Injectable()
export class SlackNotifierService {
  /** Notices of one request run in order here (submitted before approved before ready). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    @Inject(SLACK_CLIENT) private readonly slack: SlackClient,
    private readonly approvals: ApprovalNoticesService,
    private readonly access: AccessNoticesService,
    private readonly home: SlackHomeService,
  ) {}

  notify(n: Notice): Promise<void> {
    // Slack turned off since the notice was written: nobody to tell.
    if (!this.slack) return Promise.resolve();
    const key = n.requestId ?? n.integrationId ?? '';
    const run = (this.queues.get(key) ?? Promise.resolve()).then(() => this.handle(n));
    const settled = run.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return run;
  }

  private async handle(n: Notice): Promise<void> {
    await this.tell(n);
    if (n.requestId && refreshesHome(n.kind)) await this.home.refreshFor(n.requestId);
  }

  private async tell(n: Notice): Promise<void> {
    if (n.kind === 'security-alert') {
      if (n.action === 'revoke.alert' || n.action === 'admin_rotation.failed')
        await this.access.securityAlert(n, { ...n, action: n.action });
      return;
    }
    // A sync failing for good fails every grant it carried; the event names one request at most.
    if (n.kind === 'grants-failed') {
      if (n.integrationId) await this.access.grantsFailed(n, n.integrationId);
      return;
    }
    if (n.requestId) await this.tellAbout(n, n.kind, n.requestId);
  }

  private async tellAbout(n: Notice, kind: RequestNoticeKind, id: string): Promise<void> {
    switch (kind) {
      case 'submitted':
        return this.approvals.submitted(n, id);
      case 'decided':
      case 'auto-approved':
        return this.approvals.decided(n, id, kind === 'auto-approved');
      case 'step-advanced':
        return this.approvals.stepAdvanced(n, id);
      case 'cancelled':
        return this.approvals.cancelled(id);
      case 'pending-expired':
        return this.approvals.pendingExpired(n, id);
      case 'access-ready':
        return this.access.ready(n, id);
      case 'access-extended':
        return this.access.extended(n, id);
      case 'access-ending':
        return this.access.ending(id);
      case 'access-ended':
        return this.access.ended(n, id);
      case 'break-glass':
        return this.access.breakGlass(n, id);
      case 'break-glass-reviewed':
        return this.access.breakGlassReviewed(id);
      case 'rule-changed':
        return this.access.ruleChanged(n, id, n.details);
    }
  }
}

/** Notices about one request (the others concern an integration, or security). */
type RequestNoticeKind = Exclude<NotificationKind, 'security-alert' | 'grants-failed'>;

/** Changes that move a request between the lists of someone's App Home. */
function refreshesHome(kind: NotificationKind): boolean {
  switch (kind) {
    case 'submitted':
    case 'decided':
    case 'auto-approved':
    case 'cancelled':
    case 'pending-expired':
    case 'access-ready':
    case 'access-extended':
    case 'access-ended':
    case 'rule-changed':
      return true;
    case 'step-advanced':
    case 'access-ending':
    case 'break-glass':
    case 'break-glass-reviewed':
    case 'grants-failed':
    case 'security-alert':
      return false;
  }
}
