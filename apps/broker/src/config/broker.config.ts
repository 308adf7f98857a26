import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_REDIS_PREFIX, DOORMAN_ROLES, type DoormanRole } from '@doorman/contracts';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

function isEd25519PrivateKey(base64: string): boolean {
  try {
    const key = createPrivateKey({
      key: Buffer.from(base64, 'base64'),
      format: 'der',
      type: 'pkcs8',
    });
    return key.asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
}

function isEd25519PemFile(path: string): boolean {
  try {
    return createPrivateKey(readFileSync(path, 'utf8')).asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
}

/** OIDC_ROLE_MAP's pairs; a value may give several roles ("a=approver,a=requester"). */
function parseRoleMap(
  text: string,
  ctx: z.RefinementCtx,
): Array<{ value: string; role: DoormanRole }> {
  const pairs: Array<{ value: string; role: DoormanRole }> = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.lastIndexOf('=');
    const value = entry.slice(0, at).trim();
    const role = entry.slice(at + 1).trim() as DoormanRole;
    if (at <= 0 || !DOORMAN_ROLES.includes(role))
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not claimValue=role (roles: ${DOORMAN_ROLES.join(', ')})`,
      });
    else pairs.push({ value, role });
  }
  return pairs;
}

/** An empty variable counts as unset (`SLACK_BOT_TOKEN=` in a compose file or .env). */
const unset = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema);

/**
 * The broker's configuration: validated once at boot, the only place that reads process.env
 * (so nothing reads a half-checked variable later). Every bad variable is named in one error.
 */
export const BrokerConfigSchema = z.object({
  DATABASE_URL: z
    .string()
    .url()
    .refine((u) => u.startsWith('postgres'), 'must be a postgres:// URL'),
  REDIS_URL: z
    .string()
    .url()
    .refine((u) => u.startsWith('redis'), 'must be a redis:// or rediss:// URL'),
  REDIS_PREFIX: z.string().min(1).default(DEFAULT_REDIS_PREFIX),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  BOOTSTRAP_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters'),
  BOOTSTRAP_ADMIN_EMAIL: z.string().email().default('admin@doorman.local'),
  /** X25519 key pair (base64 DER) that opens the passwords connectors seal: `npm run keygen`. */
  BROKER_SEAL_PUBLIC_KEY: z.string().min(40),
  BROKER_SEAL_PRIVATE_KEY: z.string().min(40),
  /**
   * Key rotation: previous private keys (comma-separated), kept until every stored box has been
   * re-sealed to the current key, which the broker does at start.
   */
  BROKER_SEAL_PREVIOUS_PRIVATE_KEYS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    ),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  /** The periodic review of open access against the rules as they are (0: off). */
  RULE_REVIEW_INTERVAL_MS: z.coerce.number().int().min(0).default(300_000),
  OUTBOX_POLL_MS: z.coerce.number().int().min(20).default(500),
  /** A revoke still failing after this many attempts raises an alert (it never gives up). */
  REVOKE_ALERT_AFTER_ATTEMPTS: z.coerce.number().int().min(1).default(5),
  /** A cleanup the connector refused for good (e.g. objects it may not drop) is tried again after this. */
  CLEANUP_RETRY_MS: z.coerce.number().int().min(100).default(3_600_000),
  /** A revoke the connector refused for good is tried again, as a new generation, after this. */
  REVOKE_REFUSED_RETRY_MS: z.coerce.number().int().min(100).default(60_000),
  CONNECTOR_STALE_AFTER_MS: z.coerce.number().int().min(1000).default(60000),
  /** How often each integration's catalog is read again; on demand at any time. */
  CATALOG_REFRESH_MS: z.coerce.number().int().min(1000).default(900_000),
  /** A catalog older than this no longer refuses requests (the grant-time check remains). */
  CATALOG_STALE_AFTER_MS: z.coerce.number().int().min(1000).default(3_600_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: bool.default(false),
  /**
   * Decide approvals, denials and openings that arrive together in one transaction (each under
   * a savepoint). Off by default: measured slower than one transaction each on two cores.
   */
  DECISION_GROUP_COMMIT: bool.default(false),
  /** A policy file (YAML) applied at every start; an invalid file stops the start. */
  POLICY_FILE: z.string().min(1).optional(),
  /** How often committed audit events are sealed into the hash chain. */
  AUDIT_SEAL_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  /** Also print every audit event to stdout as a JSON line, for log shippers. */
  AUDIT_STDOUT: bool.default(false),
  /**
   * Ed25519 key (base64 PKCS#8 DER, `npm run keygen`) that signs checkpoints of the audit
   * chain's head. Unset: no checkpoints, and the broker says so at start.
   */
  AUDIT_SIGNING_PRIVATE_KEY: unset(
    z
      .string()
      .refine((k) => isEd25519PrivateKey(k), 'must be a base64 PKCS#8 DER Ed25519 private key')
      .optional(),
  ),
  /**
   * A PEM (PKCS#8) Ed25519 private key that signs access receipts. Unset: the broker generates
   * one once and keeps it in its database, sealed to BROKER_SEAL_PUBLIC_KEY.
   */
  RECEIPT_SIGNING_KEY_FILE: unset(
    z
      .string()
      .refine((p) => isEd25519PemFile(p), 'must be a readable PEM (PKCS#8) Ed25519 private key')
      .optional(),
  ),
  /** How often the chain's head is signed and sent out (only when it moved). */
  AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(1000).default(300_000),
  /** Requests per minute allowed for one bearer token (or one client address without a token). */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** Slack: all optional; without a signing secret and bot token Slack is off. */
  SLACK_SIGNING_SECRET: unset(z.string().min(8).optional()),
  SLACK_BOT_TOKEN: unset(z.string().min(8).optional()),
  /** Slack's Web API base; tests point it at a fake on loopback. */
  SLACK_API_URL: unset(z.string().url().default('https://slack.com/api/')),
  /**
   * Where the broker may POST a slash command's or a click's response_url (comma-separated
   * origins). Slack hands out https://hooks.slack.com only; tests add their fake's origin.
   */
  SLACK_RESPONSE_URL_ORIGINS: unset(
    z
      .string()
      .default('https://hooks.slack.com')
      .transform((v) =>
        v
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(
            z
              .string()
              .url()
              .refine((o) => new URL(o).origin === o.replace(/\/$/, ''), {
                message: 'each entry must be an origin (scheme://host[:port]), without a path',
              }),
          )
          .min(1),
      ),
  ),
  /** Socket Mode instead of the HTTP endpoint (needs an app-level token, xapp-…). */
  SLACK_SOCKET_MODE: unset(bool.default(false)),
  SLACK_APP_TOKEN: unset(z.string().min(8).optional()),
  /** How long before expiry the requester is warned, and how often that is checked. */
  SLACK_EXPIRY_WARNING_SECONDS: unset(z.coerce.number().int().min(0).default(300)),
  SLACK_EXPIRY_CHECK_MS: unset(z.coerce.number().int().min(100).default(30000)),
  /** How often groups linked to a Slack user group are re-read from Slack (0: only on events and on demand). */
  SLACK_USERGROUP_SYNC_MS: unset(z.coerce.number().int().min(0).default(600_000)),
  /** Slack commands, clicks and submissions per Slack user per minute (per broker replica). */
  SLACK_RATE_LIMIT_PER_MINUTE: unset(z.coerce.number().int().min(1).default(60)),
  /**
   * Sign-in with the company's OpenID Connect provider: off while OIDC_ISSUER_URL is unset.
   * PUBLIC_URL is the broker's address as browsers see it (its origin is the only one allowed
   * to make state-changing calls with a session cookie; https there makes the cookie Secure).
   */
  PUBLIC_URL: unset(z.string().url().optional()),
  OIDC_ISSUER_URL: unset(z.string().url().optional()),
  OIDC_CLIENT_ID: unset(z.string().min(1).optional()),
  OIDC_CLIENT_SECRET: unset(z.string().min(1).optional()),
  /** Default: PUBLIC_URL (or http://localhost:PORT) + /auth/callback. */
  OIDC_REDIRECT_URL: unset(z.string().url().optional()),
  OIDC_SCOPES: unset(z.string().min(1).default('openid email profile groups')),
  /** The ID token claim (a string or a list of strings) that OIDC_ROLE_MAP reads. */
  OIDC_ROLE_CLAIM: unset(z.string().min(1).default('groups')),
  /** "claimValue=role,…": the Doorman roles each claim value gives (e.g. "db-admins=security"). */
  OIDC_ROLE_MAP: unset(
    z
      .string()
      .default('')
      .transform((v, ctx) => parseRoleMap(v, ctx)),
  ),
  SESSION_IDLE_MINUTES: unset(z.coerce.number().int().min(1).default(30)),
  SESSION_ABSOLUTE_HOURS: unset(z.coerce.number().int().min(1).default(12)),
});

export type BrokerConfig = z.infer<typeof BrokerConfigSchema>;

/** Half a Slack configuration is a mistake, not "Slack off": each missing piece is named. */
export function slackConfigProblems(c: BrokerConfig): string[] {
  const problems: string[] = [];
  if (c.SLACK_SIGNING_SECRET && !c.SLACK_BOT_TOKEN)
    problems.push('SLACK_BOT_TOKEN: required when SLACK_SIGNING_SECRET is set');
  if (c.SLACK_BOT_TOKEN && !c.SLACK_SIGNING_SECRET)
    problems.push('SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set');
  if (c.SLACK_SOCKET_MODE && !c.SLACK_APP_TOKEN)
    problems.push('SLACK_APP_TOKEN: required when SLACK_SOCKET_MODE is true (an xapp- token)');
  return problems;
}

/** Sign-in half configured, or against a provider reached without TLS off this machine. */
export function oidcConfigProblems(c: BrokerConfig): string[] {
  if (!c.OIDC_ISSUER_URL) return [];
  const problems: string[] = [];
  if (!c.OIDC_CLIENT_ID) problems.push('OIDC_CLIENT_ID: required when OIDC_ISSUER_URL is set');
  const issuer = new URL(c.OIDC_ISSUER_URL);
  if (
    issuer.protocol !== 'https:' &&
    !['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname)
  )
    problems.push('OIDC_ISSUER_URL: must be https:// (plain http only on this machine)');
  return problems;
}

/** What Slack needs, or why it is off. */
export function slackSettings(c: BrokerConfig):
  | {
      enabled: true;
      signingSecret: string;
      botToken: string;
      apiUrl: string;
      socketMode: boolean;
      appToken?: string;
      responseUrlOrigins: string[];
    }
  | { enabled: false; reason: string } {
  if (!c.SLACK_SIGNING_SECRET || !c.SLACK_BOT_TOKEN)
    return { enabled: false, reason: 'SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are not both set' };
  return {
    enabled: true,
    signingSecret: c.SLACK_SIGNING_SECRET,
    botToken: c.SLACK_BOT_TOKEN,
    // WebClient joins method names onto the base: it must end with a slash.
    apiUrl: c.SLACK_API_URL.endsWith('/') ? c.SLACK_API_URL : `${c.SLACK_API_URL}/`,
    socketMode: c.SLACK_SOCKET_MODE,
    appToken: c.SLACK_APP_TOKEN,
    responseUrlOrigins: c.SLACK_RESPONSE_URL_ORIGINS.map((o) => new URL(o).origin),
  };
}

export class ConfigError extends Error {}

export function loadBrokerConfig(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const parsed = BrokerConfigSchema.safeParse(env);
  const fail = (problems: string[]) =>
    new ConfigError(`Invalid broker configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  if (!parsed.success)
    throw fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const problems = [...slackConfigProblems(parsed.data), ...oidcConfigProblems(parsed.data)];
  if (problems.length) throw fail(problems);
  return parsed.data;
}

/** Injection token for the validated config. */
export const BROKER_CONFIG = Symbol('BROKER_CONFIG');
