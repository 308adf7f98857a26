import { PermissionLevelSchema, SslModeSchema } from '@doorman/contracts';
import { isMap, isSeq, LineCounter, parseDocument, visit, type Node } from 'yaml';
import { z } from 'zod';
import { DOORMAN_ROLES } from '../identity/doorman-roles';
import {
  AuthenticationRuleInput,
  ExtensionsInput,
  TimeWindowInput,
} from '../access-flows/flow-definition';
import { DurationSchema, PgNameSchema, unsafeTextIn } from '../common/input-schemas';
import { CaCertificateSchema } from '../integrations/ca-certificate';

/**
 * Policy as code: integrations, groups and flows declared in YAML, referring to
 * people by email and to everything else by name. Pure: parse and validate, with every
 * error naming its line.
 */
const email = z.string().trim().toLowerCase().pipe(z.email());
const emails = z.array(email).max(10000).default([]);
const names = z.array(z.string().min(1).max(100)).max(1000).default([]);

const Approvers = z.strictObject({
  users: emails,
  groups: names,
  integrationOwners: z.boolean().default(false),
  resourceOwners: z.boolean().default(false),
});

export const PolicySchema = z.strictObject({
  version: z.literal(1),
  users: z
    .array(
      z.strictObject({
        email,
        name: z.string().trim().min(1).max(200),
        roles: z.array(z.enum(DOORMAN_ROLES)).max(5).default(['requester']),
      }),
    )
    .default([]),
  groups: z
    .array(
      z
        .strictObject({
          name: z.string().trim().min(1).max(100),
          members: emails,
          /** The members follow this Slack user group (its id, S…) instead of `members`. */
          slackUsergroup: z
            .string()
            .regex(/^S[A-Z0-9]{2,30}$/, 'must be a Slack user group id such as S0123ABCD')
            .optional(),
        })
        .refine((g) => !(g.slackUsergroup && g.members.length), {
          message: 'give members or slackUsergroup, not both',
          path: ['members'],
        }),
    )
    .default([]),
  connectors: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, dot, dash and underscore only'),
      }),
    )
    .default([]),
  integrations: z
    .array(
      z.strictObject({
        name: z.string().trim().min(1).max(100),
        connector: z.string().min(1).max(100),
        host: z.string().trim().min(1).max(253),
        port: z.number().int().min(1).max(65535).default(5432),
        databases: z.array(PgNameSchema).min(1).max(500),
        sslMode: SslModeSchema.default('prefer'),
        rotationDays: z.number().int().min(0).max(3650).default(0),
        cleanupDays: z.number().int().min(0).max(3650).default(0),
        adminRotationDays: z.number().int().min(0).max(3650).default(0),
        customAccessDetails: z.string().max(400).nullable().default(null),
        owners: emails,
        connectionLimit: z.number().int().min(1).max(1000).default(10),
        /** false: no credentials revealed to a token minted for the person by someone else. */
        revealToMintedTokens: z.boolean().default(true),
        /**
         * PEM of the CA that signed the server's certificate, handed out with credentials.
         * Left out, whatever the integration has stays; null removes it.
         */
        caCertificate: CaCertificateSchema.nullable().optional(),
      }),
    )
    .default([]),
  flows: z
    .array(
      z.strictObject({
        name: z.string().trim().min(1).max(100),
        integration: z.string().min(1).max(100),
        requestors: z.strictObject({ users: emails, groups: names }),
        // A schema, or an existing role ({ role: pg_monitor }, granted as member).
        resources: z
          .array(
            z.union([
              z.strictObject({ database: PgNameSchema, schema: PgNameSchema, owners: emails }),
              z.strictObject({ role: PgNameSchema, owners: emails }),
            ]),
          )
          .min(1)
          .max(1000),
        /** Levels on the flow's schemas; member is implied by roles (may be left out for roles only). */
        permissions: z.array(PermissionLevelSchema).min(1).max(4).optional(),
        steps: z
          .array(
            z.strictObject({
              approvers: Approvers,
              quorum: z.number().int().min(1).max(50).default(1),
              timeout: DurationSchema.optional(),
              onTimeout: z.enum(['escalate', 'deny']).default('deny'),
              fallback: Approvers.optional(),
            }),
          )
          .max(10)
          .default([]),
        autoApprove: z
          .strictObject({
            permissions: z.array(PermissionLevelSchema).min(1).max(4).optional(),
            maxDuration: DurationSchema.optional(),
            window: TimeWindowInput.optional(),
          })
          .optional(),
        allowSelfApproval: z.boolean().default(false),
        defaultDuration: DurationSchema,
        maxDuration: DurationSchema,
        justificationRequired: z.boolean().default(false),
        pendingTtl: DurationSchema.default('24h'),
        /** firstLogin: the duration counts from the first session, within maxWaitForFirstLogin. */
        durationStartsAt: z.enum(['approval', 'firstLogin']).optional(),
        maxWaitForFirstLogin: DurationSchema.optional(),
        extensions: ExtensionsInput.optional(),
        breakGlass: z.strictObject({ users: emails }).optional(),
        slackChannel: z.string().optional(),
        /** Breaks a tie between flows matching a resource equally closely: higher wins (default 0). */
        priority: z.number().int().min(-1000).max(1000).optional(),
        /** A recent or strong sign-in required to approve (and to request) under this flow. */
        approverAuthentication: AuthenticationRuleInput.optional(),
        requesterAuthentication: AuthenticationRuleInput.optional(),
        /** A grant the flow's new rules narrow: ends now, or runs to its expiry (default). */
        onRuleChange: z.enum(['endNow', 'runToExpiry']).optional(),
      }),
    )
    .default([]),
});
export type Policy = z.infer<typeof PolicySchema>;

/** How far aliases may expand (yaml's own default, stated: a policy file needs few if any). */
const MAX_ALIAS_COUNT = 100;

export interface PolicyError {
  line: number | null;
  path: string;
  message: string;
}

export class PolicyFileError extends Error {
  constructor(readonly errors: PolicyError[]) {
    super(
      `invalid policy file:\n${errors.map((e) => `  line ${e.line ?? '?'}: ${e.path ? `${e.path}: ` : ''}${e.message}`).join('\n')}`,
    );
    this.name = 'PolicyFileError';
  }
}

/** A file refused by the role rule: nothing of it was applied (mapped to 403 with its lines). */
export class PolicyRefusedError extends PolicyFileError {}

/** A parsed file that can say where any path of it is written. */
export class PolicySource {
  private constructor(
    private readonly doc: ReturnType<typeof parseDocument>,
    private readonly lines: LineCounter,
  ) {}

  static parse(text: string): { source: PolicySource; value: unknown } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const source = new PolicySource(doc, lines);
    if (doc.errors.length) {
      throw new PolicyFileError(
        doc.errors.map((e) => ({
          line: lines.linePos(e.pos[0]).line,
          path: '',
          message: e.message.split('\n')[0],
        })),
      );
    }
    source.refuseRecursiveAliases();
    const value = source.toJS();
    const unsafe = unsafeTextIn(value);
    if (unsafe.length)
      throw new PolicyFileError(unsafe.map((u) => source.error(u.path, u.message)));
    return { source, value };
  }

  /** An alias inside the node it names would make the document infinite (a cycle). */
  private refuseRecursiveAliases(): void {
    const errors: PolicyError[] = [];
    visit(this.doc, {
      Alias: (_key, alias, ancestors) => {
        const target = alias.resolve(this.doc);
        if (target && ancestors.includes(target))
          errors.push({
            line: this.lines.linePos(alias.range?.[0] ?? 0).line,
            path: '',
            message: `alias *${alias.source} is inside the node it names (a cycle)`,
          });
      },
    });
    if (errors.length) throw new PolicyFileError(errors);
  }

  /**
   * The document as plain data. An alias the file never anchored, or aliases that expand past
   * MAX_ALIAS_COUNT nodes (a "billion laughs" bomb), are refused at the line of the alias.
   */
  private toJS(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      const aliases: Array<{ name: string; offset: number; nested: boolean }> = [];
      visit(this.doc, {
        Alias: (_key, alias) => {
          const target = alias.resolve(this.doc);
          let nested = false;
          if (target) visit(target, { Alias: () => ((nested = true), visit.BREAK) });
          aliases.push({ name: alias.source, offset: alias.range?.[0] ?? 0, nested });
        },
      });
      const unresolved = /Unresolved alias.*: (.*)$/.exec(e.message)?.[1];
      const culprit = unresolved
        ? aliases.find((a) => a.name === unresolved)
        : (aliases.find((a) => a.nested) ?? aliases[0]);
      const line = culprit ? this.lines.linePos(culprit.offset).line : null;
      throw new PolicyFileError([
        {
          line,
          path: '',
          message: unresolved
            ? `alias *${unresolved} has no anchor &${unresolved} before it`
            : `aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT}; an alias bomb?)${culprit ? `: *${culprit.name}` : ''}`,
        },
      ]);
    }
  }

  /** The line of the node at `path`, or of its nearest ancestor written in the file. */
  lineOf(path: ReadonlyArray<PropertyKey>): number | null {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n) as Array<string | number>, true) as
        Node | undefined;
      if (node && (isMap(node) || isSeq(node) || 'range' in node) && node.range)
        return this.lines.linePos(node.range[0]).line;
    }
    return null;
  }

  error(path: ReadonlyArray<PropertyKey>, message: string): PolicyError {
    return { line: this.lineOf(path), path: path.map(String).join('.'), message };
  }
}

export function parsePolicy(text: string): { policy: Policy; source: PolicySource } {
  const { source, value } = PolicySource.parse(text);
  const parsed = PolicySchema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new PolicyFileError(
      parsed.error.issues.map((i) =>
        // An unknown key is reported where the key itself is written.
        source.error(i.code === 'unrecognized_keys' ? [...i.path, i.keys[0]] : i.path, i.message),
      ),
    );
  }
  const errors: PolicyError[] = [];
  const unique = (
    kind: 'users' | 'groups' | 'connectors' | 'integrations' | 'flows',
    key: (x: never) => string,
  ) => {
    const seen = new Set<string>();
    (parsed.data[kind] as never[]).forEach((x, i) => {
      const k = key(x);
      if (seen.has(k)) errors.push(source.error([kind, i], `duplicate ${kind.slice(0, -1)} ${k}`));
      seen.add(k);
    });
  };
  unique('users', (u: { email: string }) => u.email);
  unique('groups', (g: { name: string }) => g.name);
  unique('connectors', (c: { name: string }) => c.name);
  unique('integrations', (i: { name: string }) => i.name);
  unique('flows', (f: { name: string }) => f.name);
  if (errors.length) throw new PolicyFileError(errors);
  return { policy: parsed.data, source };
}
