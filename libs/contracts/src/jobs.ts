import { z } from 'zod';
import { PermissionLevelSchema } from './permissions';
import { CONTRACT_VERSION } from './queues';

/** PostgreSQL identifiers are at most 63 bytes; NUL can never appear in one. */
const pgName = z
  .string()
  .min(1)
  .refine((s) => Buffer.byteLength(s, 'utf8') <= 63, 'must be at most 63 bytes')
  .refine((s) => !s.includes('\0'), 'must not contain NUL');

export const GroupGrantSchema = z.object({
  database: pgName,
  schema: pgName,
  permission: PermissionLevelSchema,
});
export type GroupGrant = z.infer<typeof GroupGrantSchema>;

/** `validUntil` and `startingDurationSeconds` of a sync-user job, for one of its groups. */
export const GroupTimesSchema = GroupGrantSchema.extend({
  validUntil: z.string().datetime({ offset: true }).nullable(),
  startingDurationSeconds: z.number().int().positive().nullable(),
});
export type GroupTimes = z.infer<typeof GroupTimesSchema>;

const jobBase = {
  v: z.literal(CONTRACT_VERSION),
  integrationId: z.string().uuid(),
  personId: z.string().uuid(),
  personEmail: z.string().email(),
  username: pgName,
  generation: z.number().int().positive(),
  correlationId: z.string().max(100).optional(),
};

/**
 * The desired state of one person's database user on one integration; the connector makes
 * the target match it.
 * The connector converges the database to it; it never carries a secret.
 */
export const SyncUserJobSchema = z.object({
  ...jobBase,
  kind: z.literal('sync-user'),
  login: z.boolean(),
  /** Union of group memberships over the person's active and starting grants. */
  groups: z.array(GroupGrantSchema).max(1000),
  /** Latest expiry among grants already active (ISO 8601), or null. */
  validUntil: z.string().datetime({ offset: true }).nullable(),
  /**
   * Longest duration among grants starting with this sync. VALID UNTIL becomes
   * max(validUntil, database now() + this), and `startedAt` in the result is that now().
   */
  startingDurationSeconds: z.number().int().positive().nullable(),
  connectionLimit: z.number().int().min(-1).max(10000),
  /** Issue a new password even if the role exists (rotation due, or none held). */
  rotatePassword: z.boolean(),
  /**
   * Per group, the expiry and starting duration of the grants behind it: a group
   * that cannot be applied is left out and VALID UNTIL counts only the others. Additive; a
   * job without it (an older broker) fails whole when a group cannot be applied.
   */
  groupTimes: z.array(GroupTimesSchema).max(1000).optional(),
});
export type SyncUserJob = z.infer<typeof SyncUserJobSchema>;

/** Remove a person's database user for good (its grants are over). */
export const CleanupUserJobSchema = z.object({
  ...jobBase,
  kind: z.literal('cleanup-user'),
  /** Every database of the server where the user may own objects. */
  databases: z.array(pgName).min(1).max(1000),
});
export type CleanupUserJob = z.infer<typeof CleanupUserJobSchema>;

/**
 * Rotate the connector's own login to the integration's server. Carries no
 * secret: the connector makes the password, keeps it in its secret file, and reports only
 * whether it worked.
 */
export const RotateAdminJobSchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  kind: z.literal('rotate-admin'),
  integrationId: z.string().uuid(),
  rotationId: z.string().uuid(),
  correlationId: z.string().max(100).optional(),
});
export type RotateAdminJob = z.infer<typeof RotateAdminJobSchema>;

/**
 * Read the integration's catalog (databases, schemas, tables, owners, what the admin can grant
 * on each) and the doctor's report. Read-only on the target; carries no secret.
 */
export const DiscoverJobSchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  kind: z.literal('discover'),
  integrationId: z.string().uuid(),
  discoveryId: z.string().uuid(),
  /** The integration's databases: only these are read. */
  databases: z.array(pgName).min(1).max(500),
  correlationId: z.string().max(100).optional(),
});
export type DiscoverJob = z.infer<typeof DiscoverJobSchema>;

export const ConnectorJobSchema = z.discriminatedUnion('kind', [
  SyncUserJobSchema,
  CleanupUserJobSchema,
  RotateAdminJobSchema,
  DiscoverJobSchema,
]);
export type ConnectorJob = z.infer<typeof ConnectorJobSchema>;
export type ConnectorJobKind = ConnectorJob['kind'];
export const CONNECTOR_JOB_KINDS: readonly ConnectorJobKind[] = [
  'sync-user',
  'cleanup-user',
  'rotate-admin',
  'discover',
];

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Describe zod issues as `path: message; …` so refusals name every bad field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** Validates a job payload, refusing unknown contract versions with a clear reason. */
export function parseConnectorJob(input: unknown): ParseResult<ConnectorJob> {
  if (typeof input === 'object' && input !== null && 'v' in input && input.v !== CONTRACT_VERSION) {
    return {
      ok: false,
      reason: `unsupported contract version ${JSON.stringify(input.v)}; this connector speaks v${CONTRACT_VERSION}`,
    };
  }
  const parsed = ConnectorJobSchema.safeParse(input);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: describeIssues(parsed.error) };
}
