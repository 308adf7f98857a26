import { z } from 'zod';
import { DURATION_HINT, parseDuration } from './durations';

/** The fields every way in (REST bodies, queries, policy files) shares, validated one way. */

// PostgreSQL's text refuses NUL, and a lone UTF-16 surrogate has no UTF-8 form (jsonb refuses
// its escape; text would silently store U+FFFD instead of what was sent).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL could not store this text faithfully, or null when it can. */
export function textProblem(s: string): string | null {
  if (s.includes('\0')) return 'must not contain NUL (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'must not contain a lone UTF-16 surrogate (invalid Unicode)';
  return null;
}

export interface TextIssue {
  path: Array<string | number>;
  message: string;
}

/**
 * Every string in a parsed body, query or file, keys included, checked against textProblem: one
 * net under every schema, so no field (present or future) can carry such text to the database.
 */
export function unsafeTextIn(
  value: unknown,
  path: Array<string | number> = [],
  seen = new WeakSet<object>(),
): TextIssue[] {
  if (typeof value === 'string') {
    const message = textProblem(value);
    return message ? [{ path, message }] : [];
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return [];
  // Shared or circular (YAML aliases) nodes are looked at once.
  seen.add(value);
  if (Array.isArray(value)) return value.flatMap((v, i) => unsafeTextIn(v, [...path, i], seen));
  return Object.entries(value).flatMap(([k, v]) => {
    const message = textProblem(k);
    return [
      ...(message ? [{ path: [...path, k], message: `key ${message}` }] : []),
      ...unsafeTextIn(v, [...path, k], seen),
    ];
  });
}

/** A PostgreSQL identifier: 1-63 bytes, never NUL (database, schema, role names). */
export const PgNameSchema = z
  .string()
  .min(1)
  .refine(
    (s) => Buffer.byteLength(s) <= 63 && !s.includes('\0'),
    'must be a PostgreSQL name (1-63 bytes, no NUL)',
  );

/** A duration as people write it: `30s`, `15m`, `2h`, `7d` (at most MAX_DURATION_DAYS). */
export const DurationSchema = z
  .string()
  .max(12)
  .refine((s) => parseDuration(s) !== null, `must be ${DURATION_HINT}`);

/**
 * The instants a filter may name: years 1 to 9999. PostgreSQL's timestamptz stops at 4713 BC and
 * 294276 AD while JavaScript's Date reaches ±275760, and nobody means anything outside these.
 */
const EARLIEST = new Date('0001-01-01T00:00:00Z').getTime();
const LATEST = new Date('9999-12-31T23:59:59.999Z').getTime();
export const TimestampSchema = z.coerce
  .date({ error: 'must be a date such as 2026-01-31 or 2026-01-31T12:00:00Z' })
  .refine(
    (d) => d.getTime() >= EARLIEST && d.getTime() <= LATEST,
    'must be a date between the years 0001 and 9999',
  );
