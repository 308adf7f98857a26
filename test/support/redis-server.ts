import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { waitFor } from './broker-env';
import { freePort } from './processes';

/**
 * A Redis of the test's own on a free loopback port, for fault tests that flush or restart
 * it (never the shared 6379). No persistence unless asked; stopped in afterAll.
 */
export class TestRedis {
  private constructor(
    readonly port: number,
    private child: ChildProcess,
    private readonly dir: string | null,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `persistent`: an append-only file fsynced on every write, so a restart keeps every job. */
  static async start(opts: { persistent?: boolean } = {}): Promise<TestRedis> {
    const port = await freePort();
    const dir = opts.persistent ? mkdtempSync(join(tmpdir(), 'doorman-redis-')) : null;
    const redis = new TestRedis(port, TestRedis.spawn(port, dir), dir);
    await redis.ready();
    return redis;
  }

  private static spawn(port: number, dir: string | null): ChildProcess {
    const persistence = dir
      ? ['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always']
      : ['--save', '', '--appendonly', 'no'];
    return spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        ...persistence,
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
  }

  private async ready(): Promise<void> {
    await waitFor('the test Redis', () => this.command((r) => r.ping()), 10000, 100);
  }

  /** Stops Redis, waits `downMs`, starts it again on the same port (and data, if persistent). */
  async restart(downMs: number): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    this.child = TestRedis.spawn(this.port, this.dir);
    await this.ready();
  }

  async command<T>(fn: (r: IORedis) => Promise<T>): Promise<T> {
    const r = new IORedis(this.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await r.connect();
      return await fn(r);
    } finally {
      r.disconnect();
    }
  }

  async flush(): Promise<void> {
    await this.command((r) => r.flushdb());
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
