import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './processes';

/** The installed command: the package's bin, which runs the built CLI in dist/. */
export const CLI_BIN = join(ROOT, 'apps', 'cli', 'bin', 'doorman.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every `doorman` a test started and that has not ended: stopAll() ends them. */
const running = new Set<ChildProcess>();

/** Ends the CLI processes still running (a test that failed while one waited). */
export function stopAllCliRuns(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** A running `doorman`, its output collected as it comes. */
export class CliRun {
  stdout = '';
  stderr = '';
  readonly done: Promise<CliResult>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    running.add(child);
    this.done = new Promise((resolve) =>
      child.on('close', (code) => {
        running.delete(child);
        // A pipe to the terminal's input stays open after the process ends unless closed here.
        child.stdin?.destroy();
        resolve({ code, stdout: this.stdout, stderr: this.stderr });
      }),
    );
  }

  get output(): string {
    return this.stdout + this.stderr;
  }
}

/**
 * A person at a terminal of their own: a fresh config directory (no saved login), their broker
 * and token in the environment, nothing else of the test runner's.
 */
export class CliUser {
  readonly home = mkdtempSync(join(tmpdir(), 'doorman-cli-'));

  constructor(
    readonly brokerUrl: string,
    readonly token?: string,
  ) {}

  get env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '',
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      DOORMAN_URL: this.brokerUrl,
      ...(this.token ? { DOORMAN_TOKEN: this.token } : {}),
    };
  }

  start(args: string[], extraEnv: Record<string, string> = {}): CliRun {
    return new CliRun(
      spawn(process.execPath, [CLI_BIN, ...args], {
        cwd: this.home,
        env: { ...this.env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  run(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return this.start(args, extraEnv).done;
  }

  /**
   * Under a pseudo-terminal (util-linux `script`), as a person types it: prompts and spinners
   * appear, and `type()` answers them. The output is the terminal's, escape codes and all.
   */
  startInTerminal(args: string[]): CliRun & { type(text: string): void } {
    // A pseudo-terminal made from a pipe has no size: give it one, as a terminal window has.
    const command = `stty cols 120 rows 40; exec ${[process.execPath, CLI_BIN, ...args].map(shellQuote).join(' ')}`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: this.home,
      env: { ...this.env, TERM: 'xterm-256color', COLUMNS: '120', LINES: '40' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const run = new CliRun(child) as CliRun & { type(text: string): void };
    run.type = (text: string) => child.stdin.write(text);
    return run;
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The processes whose parent is `pid`, with their command line and environment as /proc has them. */
export function childrenOf(
  pid: number,
): Array<{ pid: number; comm: string; cmdline: string; environ: string }> {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // comm is in parentheses and may hold spaces; the parent pid is the second field after it.
      const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(afterComm[1]) !== pid) continue;
      out.push({
        pid: Number(entry),
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '),
        environ: readFileSync(`/proc/${entry}/environ`, 'utf8'),
      });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
