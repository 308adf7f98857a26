import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What `doorman login` keeps: the broker, and a bearer token named for the CLI. */
export interface SavedSession {
  broker: string;
  token: string;
  tokenId: string;
  userId: string;
  email: string;
  expiresAt: string;
}

/** $XDG_CONFIG_HOME/doorman, else ~/.config/doorman (where gh and others keep theirs). */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'doorman');
}

const sessionFile = (env?: NodeJS.ProcessEnv) => join(configDir(env), 'session.json');

export function readSession(env?: NodeJS.ProcessEnv): SavedSession | null {
  const file = sessionFile(env);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SavedSession;
  } catch {
    return null;
  }
}

/** Readable by its owner only: the token acts as the person until it expires or is revoked. */
export function writeSession(session: SavedSession, env?: NodeJS.ProcessEnv): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = sessionFile(env);
  writeFileSync(file, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  // The mode of writeFileSync applies only when it creates the file.
  chmodSync(file, 0o600);
  return file;
}

export function deleteSession(env?: NodeJS.ProcessEnv): void {
  rmSync(sessionFile(env), { force: true });
}
