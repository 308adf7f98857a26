import type { BackoffStrategy } from 'bullmq';

/** The backoff type the broker sets on sync jobs so revokes retry forever. */
export const CAPPED_EXPONENTIAL = 'capped-exponential';

const BASE_MS = 1000;
const CAP_MS = 60_000;
const JITTER = 0.2;

/** min(1 s · 2^(attempt-1), 60 s), ±20 % jitter so a fleet of retries does not stampede. */
export function cappedExponentialDelay(
  attemptsMade: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attemptsMade - 1);
  const base = exponent >= 16 ? CAP_MS : Math.min(BASE_MS * 2 ** exponent, CAP_MS);
  return Math.round(base * (1 + JITTER * (2 * random() - 1)));
}

/** BullMQ consults this for every backoff type it does not know itself; -1 means "do not retry". */
export const connectorBackoffStrategy: BackoffStrategy = (attemptsMade, type) =>
  type === CAPPED_EXPONENTIAL ? cappedExponentialDelay(attemptsMade) : -1;
