import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The repository root: `npm run bench` runs from it. */
export const REPO = process.cwd();

/**
 * The bench compiles the apps with itself (bench/tsconfig.json) into a directory no `npm run
 * build` removes, so a build elsewhere on the machine cannot pull them from under a run.
 */
const BUILD = join(__dirname, '..');

/** BENCH_CPU_PROF=<dir>: each app writes a V8 CPU profile there when it stops (for profiling). */
const profile = (): string[] =>
  process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];

const children = new Set<ChildProcess>();
// A bench stopped early (Ctrl-C, its deadline) takes its broker and connector with it.
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/** A built app as its own process; its output is kept only to explain a failure. */
export class BenchProcess {
  private readonly tail: string[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.tail.length > 200) this.tail.splice(0, this.tail.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    children.add(child);
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        children.delete(child);
        resolve(code);
      }),
    );
  }

  static start(script: string, env: Record<string, string>): BenchProcess {
    return new BenchProcess(
      spawn(process.execPath, [...profile(), join(BUILD, script)], {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get output(): string {
    return this.tail.join('\n');
  }

  async stop(timeoutMs = 10000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
