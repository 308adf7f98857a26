import type { Command } from 'commander';
import { BrokerApi } from './api';
import { CliError, EXIT } from './exit-codes';
import { readSession, type SavedSession } from './session-store';

export interface GlobalOptions {
  broker?: string;
  json?: boolean;
}

/** What every command works with: the broker, the caller's token, and how to print. */
export interface Context {
  api: BrokerApi;
  json: boolean;
  /** A person is at the keyboard (prompts and spinners); never under --json. */
  interactive: boolean;
  session: SavedSession | null;
  out(text: string): void;
  err(text: string): void;
  /** --json: the value itself; otherwise the human lines. */
  print(value: unknown, human: () => string): void;
}

/**
 * The broker comes from --broker, DOORMAN_URL, then the saved session; the token from the saved
 * session when it is for that broker, else DOORMAN_TOKEN.
 */
export function contextOf(cmd: Command, env: NodeJS.ProcessEnv = process.env): Context {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const session = readSession(env);
  const broker = (opts.broker ?? env.DOORMAN_URL ?? session?.broker)?.replace(/\/+$/, '');
  if (!broker)
    throw new CliError(
      EXIT.USAGE,
      'which broker? pass --broker https://doorman.example.com, set DOORMAN_URL, or run `doorman login --broker …`',
    );
  const fresh = session && session.broker === broker && new Date(session.expiresAt) > new Date();
  const token = (fresh ? session.token : null) ?? env.DOORMAN_TOKEN ?? null;
  const json = opts.json === true;
  return {
    api: new BrokerApi(broker, token),
    json,
    interactive: !json && process.stdin.isTTY === true && process.stdout.isTTY === true,
    session: fresh ? session : null,
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    print(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
  };
}
