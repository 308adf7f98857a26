import { slackSettings, type BrokerConfig } from '../config/broker.config';

/**
 * The broker's own periodic work, run once per cluster per period by BullMQ job schedulers on
 * one queue (not by a timer on every replica). Redis keys take the broker's REDIS_PREFIX.
 */
export const SCHEDULES_QUEUE = 'broker-schedules';

export const SCHEDULE_NAMES = [
  'catalog-refresh',
  'grants-sweep',
  'requests-sweep',
  'admin-rotation',
  'outbox-poll',
  'audit-seal',
  'audit-checkpoint',
  'slack-expiry-warnings',
  'slack-group-sync',
  'rule-review',
] as const;

/** Schedules earlier versions declared: removed from Redis at boot, never run. */
export const RETIRED_SCHEDULES = [
  // Slack notices are durable jobs now; nothing is left for a catch-up to find.
  'slack-catch-up',
] as const;

export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export function isScheduleName(name: string): name is ScheduleName {
  return (SCHEDULE_NAMES as readonly string[]).includes(name);
}

/** A schedule's period in milliseconds, or null when this configuration turns it off. */
export type ScheduleTable = Record<ScheduleName, number | null>;

/**
 * Every schedule's period from the existing variables. Off means its scheduler is removed:
 * checkpoints need a signing key, Slack's jobs need Slack, and a Slack period of 0 is off.
 */
export function scheduleTable(c: BrokerConfig): ScheduleTable {
  const slack = slackSettings(c).enabled;
  const positive = (ms: number) => (ms > 0 ? ms : null);
  return {
    'catalog-refresh': c.SWEEP_INTERVAL_MS,
    'grants-sweep': c.SWEEP_INTERVAL_MS,
    'requests-sweep': c.SWEEP_INTERVAL_MS,
    'admin-rotation': c.SWEEP_INTERVAL_MS,
    'outbox-poll': c.OUTBOX_POLL_MS,
    'audit-seal': c.AUDIT_SEAL_INTERVAL_MS,
    'audit-checkpoint': c.AUDIT_SIGNING_PRIVATE_KEY ? c.AUDIT_CHECKPOINT_INTERVAL_MS : null,
    'slack-expiry-warnings':
      slack && c.SLACK_EXPIRY_WARNING_SECONDS > 0 ? c.SLACK_EXPIRY_CHECK_MS : null,
    'slack-group-sync': slack ? positive(c.SLACK_USERGROUP_SYNC_MS) : null,
    'rule-review': positive(c.RULE_REVIEW_INTERVAL_MS),
  };
}
