import type { JobsOptions } from 'bullmq';

/**
 * Retries and backoff, set in one place (STYLE §6). Syncs carry revokes, and revokes never
 * give up (DESIGN §5): attempts are effectively unbounded with a capped exponential backoff
 * that the connector's worker implements under this name.
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
