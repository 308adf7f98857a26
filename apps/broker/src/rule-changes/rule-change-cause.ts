import type { AuditChannel } from '../common/actor';
import type { Actor } from '../identity/actor';
import type { RuleChangeJob } from '../outbox/broker-jobs';

const CHANNELS: readonly AuditChannel[] = [
  'api',
  'slack',
  'system',
  'connector',
  'console',
  'scim',
];

/** The periodic review: no one change, every open request judged again (a lost job's safety net). */
export interface ReviewCause {
  type: 'review';
}

/** One rule change as the judging reads it: what changed, who changed it, through which door. */
export interface RuleChange {
  changeId: string;
  cause: RuleChangeJob['cause'] | ReviewCause;
  /** Who made the change (null: the system, e.g. a Slack user group sync). */
  changedBy: Actor | null;
  channel: AuditChannel;
}

export function ruleChangeOf(job: RuleChangeJob): RuleChange {
  const channel = CHANNELS.find((c) => c === job.changedBy.channel) ?? 'system';
  return {
    changeId: job.changeId,
    cause: job.cause,
    // Audited by id and channel only: the job carries no email, and no role is claimed for them.
    changedBy: job.changedBy.id ? { id: job.changedBy.id, email: '', roles: [], channel } : null,
    channel,
  };
}

/** What the audit event of each affected request says about its cause. */
export function causeDetails(c: RuleChange): Record<string, unknown> {
  return { changeId: c.changeId, cause: c.cause, changedBy: c.changedBy?.id ?? null };
}
