import { spawn, type ChildProcess } from 'node:child_process';
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
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    const redis = new TestRedis(port, child);
    await waitFor('the test Redis', () => redis.command((r) => r.ping()), 10000, 100);
    return redis;
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
}
