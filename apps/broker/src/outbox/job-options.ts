import type { JobsOptions } from 'bullmq';

/**
 * Retries and backoff, set in one place. Syncs carry revokes, and revokes never give up:
 * attempts are effectively unbounded with a capped exponential backoff that the connector's
 * worker implements under this name.
 */
export const CONNECTOR_BACKOFF = 'capped-exponential';

export const SYNC_JOB_OPTIONS: JobsOptions = {
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: CONNECTOR_BACKOFF },
  removeOnComplete: { age: 3600, count: 10000 },
  removeOnFail: { age: 7 * 86400 },
};

export const TIMER_JOB_OPTIONS: JobsOptions = {
  attempts: 20,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 86400 },
};

/**
 * A Slack notice retried while Slack is down (429, 5xx, network): 2 s, 4 s, … doubling, about
 * 4.5 hours in all before it lands in the failed set. Re-running a notice is safe: what was
 * delivered is recorded per message.
 */
export const NOTIFY_JOB_OPTIONS: JobsOptions = {
  attempts: 14,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 3600, count: 10000 },
  removeOnFail: { age: 7 * 86400 },
};
