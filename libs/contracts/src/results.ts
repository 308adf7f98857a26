import { z } from 'zod';
import { PERMISSION_LEVELS, PermissionLevelSchema } from './permissions';
import { CONTRACT_VERSION } from './queues';
import { describeIssues, GroupGrantSchema, type ParseResult } from './jobs';
import { SessionsReportSchema } from './sessions';

/** A password sealed to the broker's public key (never clear on Redis): X25519 + HKDF + AES-GCM. */
export const SealedBoxSchema = z.object({
  v: z.literal(1),
  epk: z.string().min(1).max(200),
  iv: z.string().min(1).max(40),
  ct: z.string().min(1).max(2000),
  tag: z.string().min(1).max(40),
});
export type SealedBox = z.infer<typeof SealedBoxSchema>;

export const JobErrorSchema = z.object({
  code: z.string().max(100),
  message: z.string().max(2000),
  sqlstate: z.string().max(5).optional(),
  retryable: z.boolean(),
});
export type JobError = z.infer<typeof JobErrorSchema>;

/** A group of a sync-user job that could not be applied, and why. */
export const FailedGroupSchema = GroupGrantSchema.extend({ error: JobErrorSchema });
export type FailedGroup = z.infer<typeof FailedGroupSchema>;

const resultBase = {
  v: z.literal(CONTRACT_VERSION),
  connectorId: z.string().uuid(),
  jobId: z.string().max(300),
  integrationId: z.string().uuid(),
  personId: z.string().uuid(),
  username: z.string().max(63),
  generation: z.number().int().positive(),
  attempt: z.number().int().positive(),
  correlationId: z.string().max(100).optional(),
};

/** Limits of one revoke verification; the connector clips to them. */
export const VERIFICATION_LIMITS = { entries: 500 };

/**
 * One thing the connector found on the target after access ended (a privilege granted to the
 * user directly, a membership another admin added, a live session, an object it owns), or
 * removed. `object` names it (`table "public"."orders"`), `detail` says how (`SELECT granted
 * by "owner"`); never a secret.
 */
export const ResidueSchema = z.object({
  kind: z.enum([
    'login',
    'attribute',
    'membership',
    'privilege',
    'default-privilege',
    'owned',
    'session',
    'other',
    'unreadable',
  ]),
  object: z.string().max(500),
  detail: z.string().max(1000),
});
export type Residue = z.infer<typeof ResidueSchema>;

/**
 * What the target itself held for the user after its access ended in full or in part, read
 * from the catalogs of every database where the role appears: `clean` when nothing was found,
 * `fixed` what the connector removed; what is in `found` and not in `fixed` is still there
 * (objects owned are never dropped: who inherits them is a decision for a human).
 */
export const RevokeVerificationSchema = z.object({
  checkedAt: z.string().datetime({ offset: true }),
  clean: z.boolean(),
  found: z.array(ResidueSchema).max(VERIFICATION_LIMITS.entries),
  fixed: z.array(ResidueSchema).max(VERIFICATION_LIMITS.entries),
});
export type RevokeVerification = z.infer<typeof RevokeVerificationSchema>;

export const SyncUserResultSchema = z.object({
  ...resultBase,
  kind: z.literal('sync-user'),
  /** applied: the database now holds this generation; stale: it already held a newer one. */
  status: z.enum(['applied', 'stale', 'failed']),
  /** The database server's now() in the transaction: the clock of grants starting with this sync. */
  startedAt: z.string().datetime({ offset: true }).optional(),
  validUntil: z.string().datetime({ offset: true }).nullable().optional(),
  sealedPassword: SealedBoxSchema.optional(),
  passwordIssuedAt: z.string().datetime({ offset: true }).optional(),
  sessionsTerminated: z.number().int().min(0).default(0),
  /** Human-readable summaries of what changed (never secrets). */
  effects: z.array(z.string().max(500)).max(200).default([]),
  error: JobErrorSchema.optional(),
  /**
   * Groups of the job that could not be applied, each with its own error; the rest
   * of the job was applied without them. Additive: absent from older connectors.
   */
  failedGroups: z.array(FailedGroupSchema).max(1000).optional(),
  /**
   * The database server's clock after the sync's last statement, just before its commit: an
   * inventory read before it cannot show what this sync did. Additive.
   */
  appliedAt: z.string().datetime({ offset: true }).optional(),
  /**
   * Read from the target after a sync that took groups away or ended logins: what was left
   * and what was removed. Additive: absent from older connectors and from syncs that only add.
   */
  verification: RevokeVerificationSchema.optional(),
});
export type SyncUserResult = z.infer<typeof SyncUserResultSchema>;

export const CleanupUserResultSchema = z.object({
  ...resultBase,
  kind: z.literal('cleanup-user'),
  status: z.enum(['applied', 'skipped', 'failed']),
  /** Objects reassigned to the inheritor role, as `database: kind schema.name`. */
  reassigned: z.array(z.string().max(500)).max(5000).default([]),
  effects: z.array(z.string().max(500)).max(200).default([]),
  error: JobErrorSchema.optional(),
});
export type CleanupUserResult = z.infer<typeof CleanupUserResultSchema>;

export const RotateAdminResultSchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  kind: z.literal('rotate-admin'),
  connectorId: z.string().uuid(),
  jobId: z.string().max(300),
  integrationId: z.string().uuid(),
  rotationId: z.string().uuid(),
  attempt: z.number().int().positive(),
  /** applied: the new password works and is in the secret file; failed: the old one still works. */
  status: z.enum(['applied', 'failed']),
  rotatedAt: z.string().datetime({ offset: true }).optional(),
  effects: z.array(z.string().max(500)).max(50).default([]),
  error: JobErrorSchema.optional(),
});
export type RotateAdminResult = z.infer<typeof RotateAdminResultSchema>;

export const HeartbeatSchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  kind: z.literal('heartbeat'),
  connectorId: z.string().uuid(),
  version: z.string().max(50),
  at: z.string().datetime({ offset: true }),
  serverVersion: z.string().max(100).optional(),
  /**
   * The target this heartbeat reports on, when the connector serves several (a targets file):
   * one heartbeat per target, serverVersion absent when it could not be reached. Additive.
   */
  integrationId: z.string().uuid().optional(),
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

/** One managed role as the target holds it (members of the marker role). */
export const InventoryRoleSchema = z.object({
  name: z.string().min(1).max(63),
  /** From the role comment; null when the comment is missing or unreadable. */
  person: z.string().uuid().nullable(),
  generation: z.number().int().min(0).nullable(),
  canLogin: z.boolean(),
  /** null means no limit (NULL or 'infinity'). */
  validUntil: z.string().datetime({ offset: true }).nullable(),
  /** Doorman group roles the role is a member of, read from the groups' comments. */
  groups: z
    .array(
      z.object({
        database: z.string().min(1).max(63),
        schema: z.string().min(1).max(63),
        permission: z.string().min(1).max(63),
      }),
    )
    .max(1000),
});
export type InventoryRole = z.infer<typeof InventoryRoleSchema>;

/**
 * The connector's periodic report of every managed role: the broker compares it
 * with the desired state of every person and re-syncs what differs.
 */
export const InventorySchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  kind: z.literal('inventory'),
  connectorId: z.string().uuid(),
  /** The target's now() when the roles were read. */
  at: z.string().datetime({ offset: true }),
  roles: z.array(InventoryRoleSchema).max(50000),
  /**
   * The integration whose target was read, when the connector serves several: the broker
   * reconciles only that integration against it. Absent: every integration of the connector.
   */
  integrationId: z.string().uuid().optional(),
});
export type Inventory = z.infer<typeof InventorySchema>;

const catalogName = z.string().min(1).max(63);

/** Limits of one catalog report; the connector clips to them and says so (`tableCount`). */
export const CATALOG_LIMITS = {
  databases: 500,
  schemas: 2000,
  tables: 2000,
  doctorLines: 5000,
  roles: 2000,
};

export const CatalogSchemaEntrySchema = z.object({
  schema: catalogName,
  owner: catalogName,
  /** Levels the connector's admin can grant here; empty with `reason` when none. */
  grantable: z.array(PermissionLevelSchema).max(PERMISSION_LEVELS.length),
  reason: z.string().max(1000).optional(),
  /** Tables, views and foreign tables with their owners (at most CATALOG_LIMITS.tables). */
  tables: z.array(z.object({ name: catalogName, owner: catalogName })).max(CATALOG_LIMITS.tables),
  /** How many there are, when more than the list holds. */
  tableCount: z.number().int().min(0),
});
export type CatalogSchemaEntry = z.infer<typeof CatalogSchemaEntrySchema>;

export const CatalogDatabaseEntrySchema = z.object({
  name: catalogName,
  owner: catalogName.nullable(),
  /** PUBLIC may connect (PostgreSQL's default): a grant on one database opens the others. */
  publicConnect: z.boolean(),
  /** Set when the database could not be read (missing, or no CONNECT for the admin). */
  error: z.string().max(500).optional(),
  schemas: z.array(CatalogSchemaEntrySchema).max(CATALOG_LIMITS.schemas),
});
export type CatalogDatabaseEntry = z.infer<typeof CatalogDatabaseEntrySchema>;

/**
 * An existing NOLOGIN role (not Doorman's) and whether the connector's admin will hand out
 * membership of it as the level `member`; `reason` when not.
 */
export const CatalogRoleEntrySchema = z.object({
  name: catalogName,
  grantable: z.boolean(),
  reason: z.string().max(1000).optional(),
});
export type CatalogRoleEntry = z.infer<typeof CatalogRoleEntrySchema>;

export const DoctorLineSchema = z.object({
  check: z.string().max(300),
  status: z.enum(['ok', 'missing', 'warn', 'info']),
  detail: z.string().max(2000),
  fix: z.string().max(2000).optional(),
});
export type DoctorLineMessage = z.infer<typeof DoctorLineSchema>;

export const CatalogAdminSchema = z.object({
  name: catalogName,
  superuser: z.boolean(),
  createrole: z.boolean(),
  serverVersion: z.string().max(100),
  versionNum: z.number().int().min(0),
  /** pg_read_all_data / pg_write_all_data where this admin may grant them. */
  grantablePredefined: z.array(catalogName).max(10),
});
export type CatalogAdmin = z.infer<typeof CatalogAdminSchema>;

/** The answer to a `discover` job: the catalog and the doctor's report, or why not. */
export const DiscoverResultSchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  kind: z.literal('discover'),
  connectorId: z.string().uuid(),
  jobId: z.string().max(300),
  integrationId: z.string().uuid(),
  discoveryId: z.string().uuid(),
  attempt: z.number().int().positive(),
  status: z.enum(['applied', 'failed']),
  /** When the catalog was read. */
  at: z.string().datetime({ offset: true }),
  admin: CatalogAdminSchema.optional(),
  databases: z.array(CatalogDatabaseEntrySchema).max(CATALOG_LIMITS.databases).default([]),
  /** Existing roles (at most CATALOG_LIMITS.roles); absent from connectors older than role resources. */
  roles: z.array(CatalogRoleEntrySchema).max(CATALOG_LIMITS.roles).optional(),
  doctor: z.array(DoctorLineSchema).max(CATALOG_LIMITS.doctorLines).default([]),
  error: JobErrorSchema.optional(),
});
export type DiscoverResult = z.infer<typeof DiscoverResultSchema>;

export const ConnectorMessageSchema = z.discriminatedUnion('kind', [
  SyncUserResultSchema,
  CleanupUserResultSchema,
  HeartbeatSchema,
  InventorySchema,
  RotateAdminResultSchema,
  DiscoverResultSchema,
  SessionsReportSchema,
]);
export type ConnectorMessage = z.infer<typeof ConnectorMessageSchema>;

export function parseConnectorMessage(input: unknown): ParseResult<ConnectorMessage> {
  if (typeof input === 'object' && input !== null && 'v' in input && input.v !== CONTRACT_VERSION) {
    return {
      ok: false,
      reason: `unsupported contract version ${JSON.stringify(input.v)}; this broker speaks v${CONTRACT_VERSION}`,
    };
  }
  const parsed = ConnectorMessageSchema.safeParse(input);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: describeIssues(parsed.error) };
}
