import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { z } from 'zod';
import { DEFAULT_REDIS_PREFIX, SSL_MODES, type SslMode } from '@doorman/contracts';
import { parseAdminSecret } from './admin-secret';
import { parseTargetsFile, TargetsFileError, type TargetSpec } from './targets-file';

/** Reported in heartbeats. */
export const CONNECTOR_VERSION = '0.1.0';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The connector's environment: validated once at boot; this module is the only
 * reader of process.env. The target's superuser credentials live here and never leave
 * the connector.
 */
export const ConnectorEnvSchema = z.object({
  REDIS_URL: z
    .string()
    .url()
    .refine((u) => /^rediss?:/.test(u), 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().min(1).default(DEFAULT_REDIS_PREFIX),
  CONNECTOR_ID: z.string().uuid(),
  TARGET_DATABASE_URL: z
    .string()
    .url()
    .refine((u) => /^postgres(ql)?:/.test(u), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PGHOST: z.string().min(1).optional(),
  PGPORT: int(1, 65535).optional(),
  PGUSER: z.string().min(1).optional(),
  PGPASSWORD: z.string().optional(),
  PGDATABASE: z.string().min(1).optional(),
  PGSSLMODE: z.enum(SSL_MODES).default('prefer'),
  PGSSLROOTCERT: z.string().min(1).optional(),
  /** base64 SPKI DER of the broker's X25519 key: new passwords are sealed to it. */
  BROKER_SEAL_PUBLIC_KEY: z.string().min(40),
  /**
   * Where the connector keeps its own (rotated) password: `{"password": …}` or the bare
   * password. When the file exists it wins over the URL's or PGPASSWORD's (a restart keeps a
   * rotated password); admin rotation needs it.
   */
  ADMIN_SECRET_FILE: z.string().min(1).optional(),
  /**
   * A YAML or JSON file listing the targets this connector serves, one per integration
   * (targets-file.ts). Instead of TARGET_DATABASE_URL / PG*, which describe a single target.
   */
  CONNECTOR_TARGETS_FILE: z.string().min(1).optional(),
  CONNECTOR_CONCURRENCY: int(1, 256).default(8),
  STATEMENT_TIMEOUT_MS: int(100, 3_600_000).default(15000),
  HEARTBEAT_INTERVAL_MS: int(100, 3_600_000).default(10000),
  /** How often the managed roles are reported to the broker for reconciliation. */
  RECONCILE_INTERVAL_MS: int(100, 86_400_000).default(60000),
  /** How often the live sessions of managed roles are reported (last use, first login). */
  SESSION_OBSERVE_INTERVAL_MS: int(100, 3_600_000).default(15000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Prometheus metrics at http://METRICS_HOST:METRICS_PORT/metrics (0 = any free port). */
  METRICS_PORT: int(0, 65535).default(9464),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

export interface TargetConnection {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  /** The database the connector logs in to for role-level work; others are swapped in. */
  database: string;
  sslMode: SslMode;
  /** What node-postgres is given for `ssl`; false for sslmode=disable. */
  ssl: false | ConnectionOptions;
}

/** One server this connector serves. */
export interface TargetConfig {
  /**
   * The integration it is (from the targets file). Undefined for the one target of
   * TARGET_DATABASE_URL / PG*: it serves every integration of this connector, as before.
   */
  integrationId: string | undefined;
  connection: TargetConnection;
  /** Where its admin's (rotated) password is kept; admin rotation needs it. */
  adminSecretFile: string | undefined;
}

export interface ConnectorConfig {
  redisUrl: string;
  redisPrefix: string;
  connectorId: string;
  targets: TargetConfig[];
  sealPublicKey: string;
  concurrency: number;
  statementTimeoutMs: number;
  heartbeatIntervalMs: number;
  reconcileIntervalMs: number;
  sessionObserveIntervalMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  metricsPort: number;
  metricsHost: string;
}

export class ConfigError extends Error {}

/**
 * libpq's sslmode for node-postgres. allow/prefer/require encrypt without checking the
 * certificate (as libpq does); for allow and prefer the target client first asks the
 * server whether it offers TLS and connects in plain text only if it does not. verify-ca
 * checks the chain but not the host name; verify-full checks both.
 */
export function sslOptions(mode: SslMode, ca: string | undefined): false | ConnectionOptions {
  switch (mode) {
    case 'disable':
      return false;
    case 'allow':
    case 'prefer':
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ca };
  }
}

type Env = z.infer<typeof ConnectorEnvSchema>;

function targetFrom(env: Env, readFile: (path: string) => string): TargetConnection {
  let host = env.PGHOST ?? 'localhost';
  let port = env.PGPORT ?? 5432;
  let user = env.PGUSER ?? 'postgres';
  let password = env.PGPASSWORD;
  let database = env.PGDATABASE ?? user;
  let sslMode = env.PGSSLMODE;
  let rootCert = env.PGSSLROOTCERT;
  if (env.TARGET_DATABASE_URL) {
    const u = new URL(env.TARGET_DATABASE_URL);
    host = decodeURIComponent(u.hostname) || host;
    port = u.port ? Number(u.port) : port;
    user = u.username ? decodeURIComponent(u.username) : user;
    password = u.password ? decodeURIComponent(u.password) : password;
    database = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : database;
    const urlMode = u.searchParams.get('sslmode');
    if (urlMode !== null) {
      const parsed = z.enum(SSL_MODES).safeParse(urlMode);
      if (!parsed.success) {
        throw new ConfigError(
          `Invalid connector configuration:\n  - TARGET_DATABASE_URL: sslmode must be one of ${SSL_MODES.join(', ')}`,
        );
      }
      sslMode = parsed.data;
    }
    rootCert = u.searchParams.get('sslrootcert') ?? rootCert;
  }
  let ca: string | undefined;
  if (rootCert && sslMode !== 'disable') {
    try {
      ca = readFile(rootCert);
    } catch (err) {
      throw new ConfigError(
        `Invalid connector configuration:\n  - PGSSLROOTCERT: cannot read ${rootCert}: ${(err as Error).message}`,
      );
    }
  }
  return { host, port, user, password, database, sslMode, ssl: sslOptions(sslMode, ca) };
}

const invalid = (lines: string[]) =>
  new ConfigError(`Invalid connector configuration:\n${lines.map((l) => `  - ${l}`).join('\n')}`);

/** The admin password kept in `file`, `fallback` while there is none yet. */
function passwordFrom(
  file: string | undefined,
  fallback: string | undefined,
  field: string,
  readFile: (path: string) => string,
): string | undefined {
  if (!file) return fallback;
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    // Not there yet: the first rotation creates it. Anything else is a configuration error.
    if ((err as { code?: unknown }).code === 'ENOENT') return fallback;
    throw invalid([`${field}: cannot read ${file}: ${(err as Error).message}`]);
  }
  try {
    return parseAdminSecret(text);
  } catch (err) {
    throw invalid([`${field}: ${(err as Error).message}`]);
  }
}

/** The targets of CONNECTOR_TARGETS_FILE, their CAs and passwords read. */
function targetsFromFile(
  file: string,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): TargetConfig[] {
  let specs: TargetSpec[];
  try {
    specs = parseTargetsFile(readFile(file));
  } catch (err) {
    if (err instanceof TargetsFileError)
      throw invalid(err.lines.map((l) => `CONNECTOR_TARGETS_FILE ${file} ${l}`));
    throw invalid([`CONNECTOR_TARGETS_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
  return specs.map((t, i) => {
    const field = `CONNECTOR_TARGETS_FILE ${file} targets[${i}]`;
    const sslMode = t.sslMode ?? 'prefer';
    let ca: string | undefined;
    if (t.sslRootCert && sslMode !== 'disable') {
      try {
        ca = readFile(t.sslRootCert);
      } catch (err) {
        throw invalid([
          `${field}.sslrootcert: cannot read ${t.sslRootCert}: ${(err as Error).message}`,
        ]);
      }
    }
    const fromEnv = t.secretEnv ? env[t.secretEnv] : undefined;
    const password = passwordFrom(t.secretFile, fromEnv, `${field}.adminSecret.file`, readFile);
    if (password === undefined)
      throw invalid([
        t.secretEnv
          ? `${field}.adminSecret.env: ${t.secretEnv} is not set (and ${t.secretFile ?? 'no file'} holds no password yet)`
          : `${field}.adminSecret.file: ${t.secretFile} does not exist yet; name an env variable with the first password`,
      ]);
    return {
      integrationId: t.integrationId,
      connection: {
        host: t.host,
        port: t.port,
        user: t.user,
        password,
        database: t.database,
        sslMode,
        ssl: sslOptions(sslMode, ca),
      },
      adminSecretFile: t.secretFile,
    };
  });
}

export function loadConnectorConfig(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): ConnectorConfig {
  const parsed = ConnectorEnvSchema.safeParse(env);
  const lines = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  // Checked apart from the schema so they are reported together with every other problem.
  if (env.CONNECTOR_TARGETS_FILE) {
    for (const name of ['TARGET_DATABASE_URL', 'ADMIN_SECRET_FILE'])
      if (env[name])
        lines.push(`${name}: not with CONNECTOR_TARGETS_FILE (each target names its own)`);
  } else if (!env.TARGET_DATABASE_URL && !env.PGHOST) {
    lines.push(
      'TARGET_DATABASE_URL: set TARGET_DATABASE_URL or PGHOST (with PGUSER, PGPASSWORD, PGDATABASE), or CONNECTOR_TARGETS_FILE',
    );
  }
  if (!parsed.success || lines.length > 0) throw invalid(lines);
  const e = parsed.data;
  let targets: TargetConfig[];
  if (e.CONNECTOR_TARGETS_FILE) {
    targets = targetsFromFile(e.CONNECTOR_TARGETS_FILE, env, readFile);
  } else {
    const connection = targetFrom(e, readFile);
    connection.password = passwordFrom(
      e.ADMIN_SECRET_FILE,
      connection.password,
      'ADMIN_SECRET_FILE',
      readFile,
    );
    targets = [{ integrationId: undefined, connection, adminSecretFile: e.ADMIN_SECRET_FILE }];
  }
  return {
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    connectorId: e.CONNECTOR_ID,
    targets,
    sealPublicKey: e.BROKER_SEAL_PUBLIC_KEY,
    concurrency: e.CONNECTOR_CONCURRENCY,
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    sessionObserveIntervalMs: e.SESSION_OBSERVE_INTERVAL_MS,
    logLevel: e.LOG_LEVEL,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
  };
}

/** Injection token for the validated config. */
export const CONNECTOR_CONFIG = Symbol('CONNECTOR_CONFIG');
