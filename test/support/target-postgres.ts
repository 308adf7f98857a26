import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Pool, escapeIdentifier, type QueryResult, type QueryResultRow } from 'pg';

/**
 * A throwaway PostgreSQL cluster for integration and end-to-end tests (DESIGN §7): initdb
 * into a temp dir, a free port on 127.0.0.1, a superuser with a random password,
 * scram-sha-256 for every connection and TLS with a CA generated here. Trust auth would
 * make password and VALID UNTIL checks pass vacuously, so it is not used anywhere.
 *
 * One cluster per test file; always `await target.stop()` in afterAll.
 */
export interface TargetPostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** PEM file of the CA that signed the server certificate (SAN localhost, 127.0.0.1). */
  readonly caFile: string;
  readonly superuser: 'postgres';
  readonly superuserPassword: string;
  /** postgresql://postgres:<password>@127.0.0.1:<port>/<db> (no sslmode: set PGSSLMODE). */
  superuserUrl(database?: string): string;
  /**
   * A connected client as `user`, over TLS with the CA checked (verify-full) unless
   * `opts.ssl` says otherwise. Rejects when the login is refused. A listener for 'error'
   * is attached so a terminated session does not crash the test process.
   */
  connect(
    user: string,
    password: string,
    database?: string,
    opts?: ConnectOptions,
  ): Promise<Client>;
  /** A query as the superuser (pooled per database). */
  query<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<QueryResult<R>>;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface ConnectOptions {
  /** verify-full (default), require (TLS without checks) or disable (plain TCP). */
  ssl?: 'verify-full' | 'require' | 'disable';
  applicationName?: string;
}

const run = promisify(execFile);
const live = new Set<() => void>();
let exitHookInstalled = false;

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root}/*/bin`);
  return join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** initdb and pg_ctl refuse to run as root: run them as the postgres OS user then. */
function asPostgres(bin: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

async function makeCertificates(dir: string): Promise<void> {
  const days = '2';
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      days,
      '-subj',
      '/CN=doorman-test-ca',
    ],
    dir,
  );
  await openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=localhost',
    ],
    dir,
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      days,
      '-extfile',
      'san.ext',
    ],
    dir,
  );
}

export interface TargetOptions {
  /** The benchmark holds a session per person: 1,000 people need more than the default 100. */
  maxConnections?: number;
}

export async function startTargetPostgres(opts: TargetOptions = {}): Promise<TargetPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'doorman-target-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const password = randomBytes(18).toString('base64url');
  const asRoot = userInfo().uid === 0;
  let started = false;

  const pgCtl = (args: string[]) => asPostgres(join(bin, 'pg_ctl'), args);
  const stopSync = () => {
    if (started) {
      const [cmd, args] = pgCtl(['stop', '-D', data, '-m', 'immediate', '-w']);
      spawnSync(cmd, args, { stdio: 'ignore' });
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    chmodSync(dir, 0o700);
    await makeCertificates(dir);
    writeFileSync(join(dir, 'pwfile'), `${password}\n`);
    if (asRoot) {
      const { uid, gid } = postgresIds();
      for (const f of [
        '',
        'ca.key',
        'ca.crt',
        'server.key',
        'server.crt',
        'pwfile',
        'san.ext',
        'server.csr',
      ]) {
        chownSync(join(dir, f), uid, gid);
      }
    }
    chmodSync(join(dir, 'server.key'), 0o600);
    // The CA file must be readable by the test process (root or the current user).
    chmodSync(join(dir, 'ca.crt'), 0o644);

    const [initCmd, initArgs] = asPostgres(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--pwfile',
      join(dir, 'pwfile'),
      '--auth-local=scram-sha-256',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await run(initCmd, initArgs);

    const port = await freePort();
    const conf = [
      `listen_addresses = '127.0.0.1'`,
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      `password_encryption = 'scram-sha-256'`,
      `ssl = on`,
      `ssl_cert_file = '${join(dir, 'server.crt')}'`,
      `ssl_key_file = '${join(dir, 'server.key')}'`,
      `max_connections = ${opts.maxConnections ?? 100}`,
      `fsync = off`,
      `synchronous_commit = off`,
      `full_page_writes = off`,
      `log_min_messages = warning`,
    ];
    appendFileSync(join(data, 'postgresql.conf'), `\n${conf.join('\n')}\n`);
    writeFileSync(
      join(data, 'pg_hba.conf'),
      [
        'local all all scram-sha-256',
        'hostssl all all 127.0.0.1/32 scram-sha-256',
        'host all all 127.0.0.1/32 scram-sha-256',
        '',
      ].join('\n'),
    );

    const [startCmd, startArgs] = pgCtl(['start', '-D', data, '-l', logFile, '-w', '-t', '60']);
    started = true;
    await run(startCmd, startArgs);

    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => live.forEach((f) => f()));
    }
    live.add(stopSync);
    return new Cluster(port, password, join(dir, 'ca.crt'), () => {
      live.delete(stopSync);
      stopSync();
    });
  } catch (err) {
    stopSync();
    throw err;
  }
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

class Cluster implements TargetPostgres {
  readonly host = '127.0.0.1' as const;
  readonly superuser = 'postgres' as const;
  private readonly pools = new Map<string, Pool>();
  private readonly clients = new Set<Client>();
  private stopped = false;

  constructor(
    readonly port: number,
    readonly superuserPassword: string,
    readonly caFile: string,
    private readonly destroy: () => void,
  ) {}

  superuserUrl(database = 'postgres'): string {
    return `postgresql://postgres:${encodeURIComponent(this.superuserPassword)}@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }

  private ssl(mode: ConnectOptions['ssl'] = 'verify-full') {
    if (mode === 'disable') return false;
    if (mode === 'require') return { rejectUnauthorized: false };
    // pg sets no servername for an IP host; Node then checks the IP SAN.
    return { rejectUnauthorized: true, ca: readCa(this.caFile) };
  }

  async connect(
    user: string,
    password: string,
    database = 'postgres',
    opts: ConnectOptions = {},
  ): Promise<Client> {
    const client = new Client({
      host: this.host,
      port: this.port,
      user,
      password,
      database,
      ssl: this.ssl(opts.ssl),
      application_name: opts.applicationName ?? 'doorman-test',
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    this.clients.add(client);
    client.on('end', () => this.clients.delete(client));
    return client;
  }

  private pool(database: string): Pool {
    let pool = this.pools.get(database);
    if (!pool) {
      pool = new Pool({
        host: this.host,
        port: this.port,
        user: this.superuser,
        password: this.superuserPassword,
        database,
        ssl: this.ssl('verify-full'),
        max: 4,
      });
      pool.on('error', () => undefined);
      this.pools.set(database, pool);
    }
    return pool;
  }

  query<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params: unknown[] = [],
    database = 'postgres',
  ) {
    return this.pool(database).query<R>(sql, params);
  }

  async createDatabase(name: string): Promise<void> {
    await this.query(`CREATE DATABASE ${escapeIdentifier(name)}`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await Promise.allSettled([
        ...[...this.pools.values()].map((p) => p.end()),
        ...[...this.clients].map((c) => c.end()),
      ]);
    } finally {
      this.destroy();
    }
  }
}

function readCa(file: string): string {
  return readFileSync(file, 'utf8');
}
