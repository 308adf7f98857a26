import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completionScript } from './commands/completion';
import { EXIT, exitCodeForStatus } from './lib/exit-codes';
import { table, timeLeft } from './lib/format';
import { parseResource } from './lib/lookups';
import { buildProgram } from './program';
import { configDir, readSession, writeSession } from './lib/session-store';
import { parseTimeout } from './lib/wait';

describe('doorman CLI, without a broker', () => {
  it('maps broker answers to its documented exit codes', () => {
    expect(exitCodeForStatus(400)).toBe(EXIT.USAGE);
    expect(exitCodeForStatus(401)).toBe(EXIT.UNAUTHENTICATED);
    expect(exitCodeForStatus(403)).toBe(EXIT.REFUSED);
    expect(exitCodeForStatus(409)).toBe(EXIT.REFUSED);
    expect(exitCodeForStatus(422)).toBe(EXIT.REFUSED);
    expect(exitCodeForStatus(404)).toBe(EXIT.NOT_FOUND);
    expect(exitCodeForStatus(500)).toBe(EXIT.FAILED);
  });

  it('reads <database>.<schema>, "*.*" included, and refuses anything else as usage', () => {
    expect(parseResource('orders.public')).toEqual({ database: 'orders', schema: 'public' });
    expect(parseResource('*.*')).toEqual({ database: '*', schema: '*' });
    expect(parseResource('my.db.sch')).toEqual({ database: 'my', schema: 'db.sch' });
    for (const bad of ['orders', '.public', 'orders.'])
      expect(() => parseResource(bad)).toThrow(expect.objectContaining({ exitCode: EXIT.USAGE }));
  });

  it('reads --timeout in the broker duration syntax', () => {
    expect(parseTimeout('90s')).toBe(90_000);
    expect(parseTimeout('10m')).toBe(600_000);
    expect(() => parseTimeout('ten')).toThrow(expect.objectContaining({ exitCode: EXIT.USAGE }));
  });

  it('says the time left the way people say it', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(timeLeft('2026-01-01T01:30:00Z', now)).toBe('1h 30m left');
    expect(timeLeft('2026-01-03T02:00:00Z', now)).toBe('2d 2h left');
    expect(timeLeft('2026-01-01T00:00:40Z', now)).toBe('40s left');
    expect(timeLeft('2025-12-31T00:00:00Z', now)).toBe('ended');
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toBe('a    bb\nccc  d');
  });

  it('keeps the session in $XDG_CONFIG_HOME/doorman, readable by its owner only', () => {
    const home = mkdtempSync(join(tmpdir(), 'doorman-spec-'));
    const env = { XDG_CONFIG_HOME: join(home, 'xdg'), HOME: home };
    expect(configDir(env)).toBe(join(home, 'xdg', 'doorman'));
    expect(configDir({ HOME: home })).toBe(join(home, '.config', 'doorman'));
    const session = {
      broker: 'http://b',
      token: 'dm_x',
      tokenId: 't',
      userId: 'u',
      email: 'e@x',
      expiresAt: '2030-01-01T00:00:00Z',
    };
    const file = writeSession(session, env);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(configDir(env)).mode & 0o777).toBe(0o700);
    expect(readSession(env)).toEqual(session);
  });

  it('completion names every command and is valid bash', () => {
    const script = completionScript(buildProgram('0.0.0'), 'bash');
    for (const c of buildProgram('0.0.0').commands) expect(script).toContain(c.name());
    execFileSync('bash', ['-n'], { input: script });
  });
});
