import { createHash } from 'node:crypto';
import { Client, Pool, type PoolClient, type QueryResultRow } from 'pg';
import type { Logger } from 'pino';
import type { TargetConnection } from '../config/connector.config';
import * as sql from './sql';
import { serverSupportsTls } from './tls-probe';

/** Runs statements inside one job's transaction. */
export interface Tx {
  run<R extends QueryResultRow = QueryResultRow>(statement: sql.Statement): Promise<R[]>;
}

export interface TxOptions {
  /** Job kind and a short id, for application_name = 'doorman:<kind>:<id>'. */
  jobKind: string;
  shortId: string;
  /** Text hashed to the pg_advisory_xact_lock key taken first, if any. */
  lockKey?: string;
}

/** A signed 64-bit advisory lock key from text (first 8 bytes of SHA-256). */
export function advisoryKey(text: string): bigint {
  return createHash('sha256').update(text).digest().readBigInt64BE(0);
}

export const userLockKey = (username: string): string => `doorman:user:${username}`;
export const groupsLockKey = (database: string): string => `doorman:groups:${database}`;

/**
 * The connector's superuser connection to the target server: one pg.Pool per database
 * (the admin URL with the database swapped). Every job runs in one transaction with
 * SET LOCAL statement_timeout and application_name naming the job.
 */
export class TargetClient {
  private readonly pools = new Map<string, Pool>();
  private closed = false;
  private sslDecision: Promise<TargetConnection['ssl']> | null = null;

  constructor(
    private target: TargetConnection,
    private readonly statementTimeoutMs: number,
    private readonly poolSize: number,
    private readonly logger: Logger,
  ) {}

  /** The database the connector logs in to for role-level (cluster-wide) work. */
  get adminDatabase(): string {
    return this.target.database;
  }

  private async pool(database: string = this.target.database): Promise<Pool> {
    if (this.closed) throw new Error('target client is closed');
    const existing = this.pools.get(database);
    if (existing) return existing;
    const ssl = await this.ssl();
    // Another caller may have created it while we waited for the TLS decision.
    let pool = this.pools.get(database);
    if (!pool) {
      pool = new Pool({
        host: this.target.host,
        port: this.target.port,
        user: this.target.user,
        password: this.target.password,
        database,
        ssl,
        max: this.poolSize,
        // Statements outside a job's transaction (catalog reads) are bounded too; a transaction
        // sets its own with SET LOCAL.
        statement_timeout: this.statementTimeoutMs,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: 10_000,
        application_name: 'doorman-connector',
      });
      // An idle client losing its connection must not crash the process.
      pool.on('error', (err) =>
        this.logger.warn({ err, database }, 'idle target connection failed'),
      );
      this.pools.set(database, pool);
    }
    return pool;
  }

  /**
   * sslmode=prefer/allow: TLS when the server offers it, plain otherwise (asked once with
   * an SSLRequest, as libpq does). Every other mode is fixed by configuration.
   */
  private ssl(): Promise<TargetConnection['ssl']> {
    const { sslMode, ssl } = this.target;
    if (sslMode !== 'prefer' && sslMode !== 'allow') return Promise.resolve(ssl);
    this.sslDecision ??= serverSupportsTls(this.target.host, this.target.port).then(
      (tls) => {
        if (!tls)
          this.logger.warn({ sslMode }, 'target server does not offer TLS; connecting without it');
        return tls ? ssl : false;
      },
      (err: unknown) => {
        this.sslDecision = null;
        throw err;
      },
    );
    return this.sslDecision;
  }

  async query<R extends QueryResultRow = QueryResultRow>(
    statement: sql.Statement,
    database?: string,
  ): Promise<R[]> {
    const pool = await this.pool(database);
    const result = await pool.query<R>(statement.text, statement.values);
    return result.rows;
  }

  async transaction<T>(database: string, opts: TxOptions, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await (await this.pool(database)).connect();
    const tx: Tx = {
      run: async <R extends QueryResultRow>(s: sql.Statement) =>
        (await client.query<R>(s.text, s.values)).rows,
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      await tx.run(
        sql.setLocals(this.statementTimeoutMs, `doorman:${opts.jobKind}:${opts.shortId}`),
      );
      if (opts.lockKey !== undefined) await tx.run(sql.advisoryXactLock(advisoryKey(opts.lockKey)));
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = !(await rollback(client));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** A fresh login with `password` (not from a pool): does the server accept it? Throws if not. */
  async verifyLogin(password: string): Promise<void> {
    const client = new Client({
      host: this.target.host,
      port: this.target.port,
      user: this.target.user,
      password,
      database: this.target.database,
      ssl: await this.ssl(),
      connectionTimeoutMillis: 10_000,
      application_name: 'doorman-connector:verify',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * New connections use `password` from now on; pools of the old one finish what they hold
   * (their sessions stay authenticated) and close.
   */
  swapPassword(password: string): void {
    this.target = { ...this.target, password };
    const old = [...this.pools.values()];
    this.pools.clear();
    for (const pool of old)
      void pool
        .end()
        .catch((err: unknown) => this.logger.warn({ err }, 'closing an old pool failed'));
  }

  async serverVersion(): Promise<string> {
    const [row] = await this.query<{ server_version: string }>(sql.serverVersion());
    return row.server_version;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.end()));
  }
}

async function rollback(client: PoolClient): Promise<boolean> {
  try {
    await client.query('ROLLBACK');
    return true;
  } catch {
    return false;
  }
}
