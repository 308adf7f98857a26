import { Injectable } from '@nestjs/common';
import { notificationOf } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { SlackNotifierService } from '../slack/slack-notifier.service';

/** An audit event not found yet after this many attempts never will be: its notice is dropped. */
const MISSING_EVENT_ATTEMPTS = 3;

export class NoticeEventMissing extends Error {}

/**
 * Delivers the notice of one audited change: reads the event as recorded (the job carries
 * only its id) and tells Slack. At least once: a run that fails is retried by its job, and
 * the notifier records what it delivered, so a retry sends only what is missing.
 */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly audit: AuditService,
    private readonly slack: SlackNotifierService,
  ) {}

  /** `key`: the notice job's id, which keys every message it sends. */
  async deliver(auditEventId: string, key: string, attempt: number): Promise<void> {
    const event = await this.audit.byId(auditEventId);
    if (!event) {
      // Written in the event's own transaction, so it is committed by now; a transaction that is
      // not the ambient one yet may commit a moment after.
      if (attempt < MISSING_EVENT_ATTEMPTS)
        throw new Error(`audit event ${auditEventId} not found yet`);
      throw new NoticeEventMissing(`audit event ${auditEventId} not found`);
    }
    const kind = notificationOf(event.action);
    if (!kind) return;
    await this.slack.notify({
      key,
      kind,
      action: event.action,
      requestId: event.requestId,
      integrationId: event.integrationId,
      details: event.details,
    });
  }
}
