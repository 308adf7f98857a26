import { z } from 'zod';
import { DURATION_HINT, parseDuration } from './durations';

/** The fields every way in (REST bodies, policy files) shares, validated one way. */

/** A PostgreSQL identifier: 1-63 bytes, never NUL (database, schema, role names). */
export const PgNameSchema = z
  .string()
  .min(1)
  .refine(
    (s) => Buffer.byteLength(s) <= 63 && !s.includes('\0'),
    'must be a PostgreSQL name (1-63 bytes, no NUL)',
  );

/** A duration as people write it: `30s`, `15m`, `2h`, `7d`. */
export const DurationSchema = z
  .string()
  .max(12)
  .refine((s) => parseDuration(s) !== null, `must be ${DURATION_HINT}`);
