import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startTargetPostgres, type TargetPostgres } from '../../../../test/support/target-postgres';
import { sslOptions } from '../config/connector.config';
import { AdminRotationService } from './admin-rotation.service';
import { parseAdminSecret } from '../config/admin-secret';
import { TargetClient } from './target-client';

jest.setTimeout(60_000);

const INITIAL = 'initial-rotation-password-0123456789';

/** Rotating the connector's own login on a real server: every failure keeps the old password. */
describe('admin rotation (connector, real PostgreSQL)', () => {
  let target: TargetPostgres;
  const clients: TargetClient[] = [];
  const logger = pino({ level: 'silent' });

  const client = () => {
    const c = new TargetClient(
      {
        host: '127.0.0.1',
        port: target.port,
        user: 'rot_admin',
        password: INITIAL,
        database: 'postgres',
        sslMode: 'verify-full',
        ssl: sslOptions('verify-full', readFileSync(target.caFile, 'utf8')),
      },
      5000,
      2,
      logger,
    );
    clients.push(c);
    return c;
  };
  const loginWorks = async (password: string) => {
    try {
      const c = await target.connect('rot_admin', password, 'postgres');
      await c.end();
      return true;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    target = await startTargetPostgres();
    await target.query(`CREATE ROLE rot_admin CREATEROLE LOGIN PASSWORD '${INITIAL}'`);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await target?.stop();
  });

  it('a fresh login that fails puts the old password back and writes no secret file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doorman-rot-'));
    const file = join(dir, 'admin.json');
    const c = client();
    // The server took the new verifier, but the fresh login is refused (e.g. pg_hba).
    jest
      .spyOn(c, 'verifyLogin')
      .mockRejectedValueOnce(
        Object.assign(new Error('password authentication failed'), { code: '28P01' }),
      );
    const out = await new AdminRotationService(c, file, INITIAL, logger).rotate();
    expect(out.status).toBe('failed');
    expect(out.error?.code).toBe('AUTHENTICATION_FAILED');
    expect(out.effects).toEqual([
      'set a new password (SCRAM verifier)',
      'put the old password back',
    ]);
    expect(await loginWorks(INITIAL)).toBe(true);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir)).toEqual([]); // the temporary file is gone too
    // The pool still works with the old password.
    expect(await c.serverVersion()).toMatch(/^\d+/);
  });

  it('success: the new password works, the old does not, the file is 0600, the pool switched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doorman-rot-'));
    const file = join(dir, 'admin.json');
    const c = client();
    const rotation = new AdminRotationService(c, file, INITIAL, logger);
    const out = await rotation.rotate();
    expect(out.status).toBe('applied');
    const password = parseAdminSecret(readFileSync(file, 'utf8'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await loginWorks(password)).toBe(true);
    expect(await loginWorks(INITIAL)).toBe(false);
    expect(await c.serverVersion()).toMatch(/^\d+/); // a new pool, new password
    // Twice in a row: serialised, each from the password before it.
    const [a, b] = await Promise.all([rotation.rotate(), rotation.rotate()]);
    expect([a.status, b.status]).toEqual(['applied', 'applied']);
    const last = parseAdminSecret(readFileSync(file, 'utf8'));
    expect(await loginWorks(last)).toBe(true);
    expect(await loginWorks(password)).toBe(false);
    expect(JSON.stringify([out, a, b])).not.toContain(last);
  });
});
