import { createHash } from 'node:crypto';

const DAY_MS = 86400_000;
/** The spread never exceeds this, however long the period. */
const MAX_JITTER_MS = 6 * 3600_000;

/**
 * When an integration's admin login is next due, pure: `days` after `from`, plus a
 * jitter fixed per integration (up to 10 % of the period, at most 6 h) so that integrations
 * created or rotated together do not all rotate at the same moment.
 */
export function adminRotationDue(from: Date, days: number, integrationId: string): Date | null {
  if (days <= 0) return null;
  const period = days * DAY_MS;
  const fraction = createHash('sha256').update(integrationId).digest().readUInt32BE(0) / 2 ** 32;
  const jitter = Math.floor(fraction * Math.min(period * 0.1, MAX_JITTER_MS));
  return new Date(from.getTime() + period + jitter);
}
