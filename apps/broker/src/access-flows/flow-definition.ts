import {
  EVERYTHING,
  isEverything,
  isRoleResource,
  PermissionLevelSchema,
  ROLE_LEVEL,
  roleResource,
  SCHEMA_LEVELS,
} from '@doorman/contracts';
import { z } from 'zod';
import { formatDuration, parseDuration } from '../common/durations';
import type { FlowRules } from './access-flow.policy';
import type { ApproverSpec, StepRule } from './approval.policy';
import { isValidTimeZone, WEEKDAYS, type AutoApproveRule } from './time-window';
import { DurationSchema, PgNameSchema } from '../common/input-schemas';

const ids = (max: number) => z.array(z.string().uuid()).max(max).default([]);
const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be HH:MM (24h)');

const ApproverSpecInput = z.strictObject({
  userIds: ids(1000),
  groupIds: ids(100),
  integrationOwners: z.boolean().default(false),
  resourceOwners: z.boolean().default(false),
});

const StepInput = z.strictObject({
  approvers: ApproverSpecInput,
  quorum: z.number().int().min(1).max(50).default(1),
  timeout: DurationSchema.optional(),
  onTimeout: z.enum(['escalate', 'deny']).default('deny'),
  fallback: ApproverSpecInput.optional(),
});

/** A weekly auto-approval window (REST body and policy file). */
export const TimeWindowInput = z.strictObject({
  days: z.array(z.enum(WEEKDAYS)).min(1).max(7),
  start: hhmm,
  end: hhmm,
  timeZone: z
    .string()
    .max(64)
    .refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
});

/** How a grant may be extended (REST body and policy file). */
export const ExtensionsInput = z.strictObject({
  maxCount: z.number().int().min(0).max(100).default(0),
  maxDuration: DurationSchema.optional(),
  auto: z.boolean().default(false),
});

/**
 * How recent and how strong a sign-in must be to act under a flow (REST body and policy file):
 * at least one of the three, each list non-empty.
 */
export const AuthenticationRuleInput = z
  .strictObject({
    maxAgeMinutes: z.number().int().min(1).max(1440).optional(),
    acr: z.array(z.string().trim().min(1).max(200)).min(1).max(20).optional(),
    amr: z.array(z.string().trim().min(1).max(100)).min(1).max(20).optional(),
  })
  .refine((r) => r.maxAgeMinutes !== undefined || r.acr || r.amr, {
    message: 'give maxAgeMinutes, acr or amr (or leave the field out)',
  });

/**
 * A resource as people write it: a schema (`"*"."*"` is everything on the server), or an
 * existing role, `{ role: pg_monitor }`, kept as database "*", schema the role's name.
 */
const ResourceInput = z.union([
  z.strictObject({ database: PgNameSchema, schema: PgNameSchema, ownerIds: ids(100) }),
  z.strictObject({
    role: PgNameSchema.refine((r) => r !== EVERYTHING, 'must name a role ("*"."*" is everything)'),
    ownerIds: ids(100),
  }),
]);

/** A flow as people write it (REST body and YAML), before normalisation. */
export const FlowInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    integrationId: z.string().uuid(),
    requestors: z.strictObject({ userIds: ids(10000), groupIds: ids(1000) }),
    resources: z.array(ResourceInput).min(1).max(1000),
    /**
     * Levels for the flow's schemas. Roles are always offered as `member`, which is implied:
     * a flow of roles only may leave permissions out (or say [member]).
     */
    permissions: z.array(PermissionLevelSchema).min(1).max(4).optional(),
    /** Shorthand for one step: any one of these users approves. */
    approvers: z.strictObject({ userIds: z.array(z.string().uuid()).min(1).max(1000) }).optional(),
    steps: z.array(StepInput).max(10).optional(),
    autoApprove: z
      .strictObject({
        permissions: z.array(PermissionLevelSchema).min(1).max(4).optional(),
        maxDuration: DurationSchema.optional(),
        window: TimeWindowInput.optional(),
      })
      .nullable()
      .optional(),
    allowSelfApproval: z.boolean().default(false),
    defaultDuration: DurationSchema,
    maxDuration: DurationSchema,
    justificationRequired: z.boolean().default(false),
    pendingTtl: DurationSchema.default('24h'),
    /** `firstLogin`: the duration counts from the first session, within maxWaitForFirstLogin. */
    durationStartsAt: z.enum(['approval', 'firstLogin']).optional(),
    maxWaitForFirstLogin: DurationSchema.optional(),
    extensions: ExtensionsInput.optional(),
    breakGlass: z.strictObject({ userIds: ids(100) }).optional(),
    /** Breaks a tie between flows matching a resource equally closely: higher wins (default 0). */
    priority: z.number().int().min(-1000).max(1000).optional(),
    /** Approval requests go to this Slack channel (by id) instead of each approver's DMs. */
    slackChannel: z
      .string()
      .regex(/^[CG][A-Z0-9]{2,30}$/, 'must be a Slack channel id such as C0123ABCD')
      .nullable()
      .optional(),
    /** A recent or strong sign-in required to approve (the console sends approvers to sign in again). */
    approverAuthentication: AuthenticationRuleInput.nullable().optional(),
    /** The same, required to request under this flow. */
    requesterAuthentication: AuthenticationRuleInput.nullable().optional(),
    /** A grant the flow's new rules narrow: ends now, or runs to its expiry (default). */
    onRuleChange: z.enum(['endNow', 'runToExpiry']).optional(),
  })
  .superRefine((f, ctx) => {
    const resources = f.resources.map(resourceOf);
    const hasRoles = resources.some(isRoleResource);
    const hasSchemas = resources.some((r) => !isRoleResource(r));
    const permissions = f.permissions ?? [];
    if (hasSchemas && !permissions.some((p) => p !== ROLE_LEVEL))
      ctx.addIssue({
        code: 'custom',
        path: ['permissions'],
        message: `give the levels offered on this flow's schemas (${SCHEMA_LEVELS.join(', ')})`,
      });
    if (!hasSchemas && permissions.some((p) => p !== ROLE_LEVEL))
      ctx.addIssue({
        code: 'custom',
        path: ['permissions'],
        message: `this flow offers existing roles only, which are granted as ${ROLE_LEVEL}: leave permissions out (or give [${ROLE_LEVEL}])`,
      });
    if (permissions.includes(ROLE_LEVEL) && !hasRoles)
      ctx.addIssue({
        code: 'custom',
        path: ['permissions'],
        message: `${ROLE_LEVEL} applies to existing roles ({ role: name }), and this flow offers none`,
      });
    if (permissions.includes('admin') && resources.some(isEverything))
      ctx.addIssue({
        code: 'custom',
        path: ['permissions'],
        message:
          'admin is never granted on everything ("*"."*"): offer it in a flow without that resource',
      });
    if (f.approvers && f.steps)
      ctx.addIssue({
        code: 'custom',
        path: ['steps'],
        message: 'give either approvers or steps, not both',
      });
    if (!f.approvers && !f.steps?.length && !f.autoApprove) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps'],
        message: 'a flow needs approval steps, approvers, or autoApprove',
      });
    }
    const d = parseDuration(f.defaultDuration);
    const m = parseDuration(f.maxDuration);
    if (d !== null && m !== null && d > m)
      ctx.addIssue({
        code: 'custom',
        path: ['defaultDuration'],
        message: 'must not exceed maxDuration',
      });
    if (f.durationStartsAt === 'firstLogin' && !f.maxWaitForFirstLogin)
      ctx.addIssue({
        code: 'custom',
        path: ['maxWaitForFirstLogin'],
        message: 'required with durationStartsAt: firstLogin (how long access waits for it)',
      });
    if (f.maxWaitForFirstLogin && f.durationStartsAt !== 'firstLogin')
      ctx.addIssue({
        code: 'custom',
        path: ['maxWaitForFirstLogin'],
        message: 'applies only with durationStartsAt: firstLogin',
      });
  });
export type FlowInput = z.infer<typeof FlowInputSchema>;

/** A resource as stored: `{ role }` becomes database "*", schema the role's name. */
function resourceOf(r: z.infer<typeof ResourceInput>): { database: string; schema: string } {
  if (!('role' in r)) return { database: r.database, schema: r.schema };
  // Refinements still run after a field failed: "*" or "" (already refused) must not throw here.
  return r.role === EVERYTHING || r.role.length === 0
    ? { database: EVERYTHING, schema: '' }
    : roleResource(r.role);
}

/** The stored, normalised definition of one flow version (durations in seconds). */
export type FlowDefinition = Omit<FlowRules, 'id' | 'version'>;

const spec = (s: z.infer<typeof ApproverSpecInput>): ApproverSpec => ({
  userIds: [...new Set(s.userIds)],
  groupIds: [...new Set(s.groupIds)],
  integrationOwners: s.integrationOwners,
  resourceOwners: s.resourceOwners,
});
const seconds = (s: string) => parseDuration(s)!;

export function normaliseFlow(f: FlowInput): FlowDefinition {
  const steps: StepRule[] = f.approvers
    ? [
        {
          approvers: spec({
            userIds: f.approvers.userIds,
            groupIds: [],
            integrationOwners: false,
            resourceOwners: false,
          }),
          quorum: 1,
          timeoutSeconds: null,
          onTimeout: 'deny',
          fallback: null,
        },
      ]
    : (f.steps ?? []).map((s) => ({
        approvers: spec(s.approvers),
        quorum: s.quorum,
        timeoutSeconds: s.timeout ? seconds(s.timeout) : null,
        onTimeout: s.onTimeout,
        fallback: s.fallback ? spec(s.fallback) : null,
      }));
  const autoApprove: AutoApproveRule | null = f.autoApprove
    ? {
        permissions: f.autoApprove.permissions ?? null,
        maxDurationSeconds: f.autoApprove.maxDuration ? seconds(f.autoApprove.maxDuration) : null,
        window: f.autoApprove.window ?? null,
      }
    : null;
  const maxDurationSeconds = seconds(f.maxDuration);
  return {
    name: f.name,
    integrationId: f.integrationId,
    requestorUserIds: [...new Set(f.requestors.userIds)],
    requestorGroupIds: [...new Set(f.requestors.groupIds)],
    resources: f.resources.map((r) => ({ ...resourceOf(r), ownerIds: [...new Set(r.ownerIds)] })),
    // member is implied by role resources, and only by them.
    permissions: [
      ...new Set([
        ...(f.permissions ?? []),
        ...(f.resources.map(resourceOf).some(isRoleResource) ? [ROLE_LEVEL] : []),
      ]),
    ],
    steps,
    autoApprove,
    allowSelfApproval: f.allowSelfApproval,
    defaultDurationSeconds: seconds(f.defaultDuration),
    maxDurationSeconds,
    justificationRequired: f.justificationRequired,
    pendingTtlSeconds: seconds(f.pendingTtl),
    // Left out at the default: older definitions stay byte-identical.
    ...(f.durationStartsAt === 'firstLogin' && f.maxWaitForFirstLogin
      ? {
          durationStartsAt: 'firstLogin' as const,
          maxWaitForFirstLoginSeconds: seconds(f.maxWaitForFirstLogin),
        }
      : {}),
    extensions: {
      maxCount: f.extensions?.maxCount ?? 0,
      maxDurationSeconds: f.extensions?.maxDuration
        ? seconds(f.extensions.maxDuration)
        : maxDurationSeconds,
      auto: f.extensions?.auto ?? false,
    },
    breakGlassUserIds: [...new Set(f.breakGlass?.userIds ?? [])],
    slackChannel: f.slackChannel ?? null,
    // Left out at 0: definitions stored before priorities existed stay byte-identical.
    ...(f.priority ? { priority: f.priority } : {}),
    ...(f.approverAuthentication ? { approverAuthentication: f.approverAuthentication } : {}),
    ...(f.requesterAuthentication ? { requesterAuthentication: f.requesterAuthentication } : {}),
    // Left out at the default, as priority is: older definitions stay byte-identical.
    ...(f.onRuleChange === 'endNow' ? { onRuleChange: f.onRuleChange } : {}),
  };
}

const specView = (s: ApproverSpec) => s;

/** The definition as the API shows it: durations as strings again. */
export function flowView(f: FlowRules & { createdAt?: Date; updatedAt?: Date }) {
  return {
    id: f.id,
    name: f.name,
    version: f.version,
    integrationId: f.integrationId,
    requestors: { userIds: f.requestorUserIds, groupIds: f.requestorGroupIds },
    // An existing role also shows as { role } (it is stored as database "*", schema its name).
    resources: f.resources.map((r) => (isRoleResource(r) ? { ...r, role: r.schema } : r)),
    permissions: f.permissions,
    steps: f.steps.map((s) => ({
      approvers: specView(s.approvers),
      quorum: s.quorum,
      timeout: s.timeoutSeconds === null ? null : formatDuration(s.timeoutSeconds),
      onTimeout: s.onTimeout,
      fallback: s.fallback ? specView(s.fallback) : null,
    })),
    autoApprove: f.autoApprove && {
      permissions: f.autoApprove.permissions,
      maxDuration:
        f.autoApprove.maxDurationSeconds === null
          ? null
          : formatDuration(f.autoApprove.maxDurationSeconds),
      window: f.autoApprove.window,
    },
    allowSelfApproval: f.allowSelfApproval,
    defaultDuration: formatDuration(f.defaultDurationSeconds),
    maxDuration: formatDuration(f.maxDurationSeconds),
    justificationRequired: f.justificationRequired,
    pendingTtl: formatDuration(f.pendingTtlSeconds),
    durationStartsAt: f.durationStartsAt ?? 'approval',
    maxWaitForFirstLogin:
      f.maxWaitForFirstLoginSeconds === undefined
        ? null
        : formatDuration(f.maxWaitForFirstLoginSeconds),
    extensions: {
      maxCount: f.extensions.maxCount,
      maxDuration: formatDuration(f.extensions.maxDurationSeconds),
      auto: f.extensions.auto,
    },
    breakGlass: { userIds: f.breakGlassUserIds },
    slackChannel: f.slackChannel ?? null,
    priority: f.priority ?? 0,
    approverAuthentication: f.approverAuthentication ?? null,
    requesterAuthentication: f.requesterAuthentication ?? null,
    onRuleChange: f.onRuleChange ?? 'runToExpiry',
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  };
}
