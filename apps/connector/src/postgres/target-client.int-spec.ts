import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { SslMode } from '@doorman/contracts';
import { waitFor } from '../../../../test/support/broker-env';
import { startTargetPostgres, type TargetPostgres } from '../../../../test/support/target-postgres';
import { sslOptions } from '../config/connector.config';
import { classifyError } from './sqlstate';
import { TargetClient } from './target-client';

jest.setTimeout(60_000);

/** sslmode as the connector implements it, against a real server with and without TLS. */
describe('target client TLS modes', () => {
  let target: TargetPostgres;
  let ca: string;
  const clients: TargetClient[] = [];

  const clientFor = (mode: SslMode, caPem: string | undefined = ca) => {
    const c = new TargetClient(
      {
        host: '127.0.0.1',
        port: target.port,
        user: 'postgres',
        password: target.superuserPassword,
        database: 'postgres',
        sslMode: mode,
        ssl: sslOptions(mode, caPem),
      },
      5000,
      2,
      pino({ level: 'silent' }),
    );
    clients.push(c);
    return c;
  };
  const usesTls = async (c: TargetClient) =>
    (
      await c.query<{ ssl: boolean }>({
        text: 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        values: [],
      })
    )[0].ssl;

  beforeAll(async () => {
    target = await startTargetPostgres();
    ca = readFileSync(target.caFile, 'utf8');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await target?.stop();
  });

  it.each(['prefer', 'allow', 'require', 'verify-ca', 'verify-full'] as const)(
    '%s uses TLS',
    async (mode) => {
      expect(await usesTls(clientFor(mode))).toBe(true);
    },
  );

  it('disable does not', async () => {
    expect(await usesTls(clientFor('disable'))).toBe(false);
  });

  it('verify-full refuses a server certificate from another CA', async () => {
    const other = readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8');
    const err = await clientFor('verify-full', other)
      .query({ text: 'SELECT 1', values: [] })
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toMatch(/CERT|SIGNATURE|ISSUER/);
    // A connector misconfiguration: retried until an operator fixes it, so no revoke is lost.
    expect(classifyError(err).retryable).toBe(true);
  });

  it('verify-full refuses a server whose certificate names another host; verify-ca does not check the name', async () => {
    // The harness's certificate names localhost and 127.0.0.1; present another name for it.
    const wrongName = (mode: SslMode) => {
      const ssl = sslOptions(mode, ca);
      const c = new TargetClient(
        {
          host: '127.0.0.1',
          port: target.port,
          user: 'postgres',
          password: target.superuserPassword,
          database: 'postgres',
          sslMode: mode,
          ssl: ssl && { ...ssl, servername: 'db.wrong.example' },
        },
        5000,
        2,
        pino({ level: 'silent' }),
      );
      clients.push(c);
      return c;
    };
    const err = await wrongName('verify-full')
      .query({ text: 'SELECT 1', values: [] })
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(await usesTls(wrongName('verify-ca'))).toBe(true);
  });

  it('prefer falls back to plain text when the server offers no TLS; verify-full does not', async () => {
    await target.query('ALTER SYSTEM SET ssl = off');
    await target.query('SELECT pg_reload_conf()');
    // The server has reloaded once a session sees the new value (the postmaster reloads first).
    await waitFor(
      'ssl off after the reload',
      async () => (await target.query<{ ssl: string }>('SHOW ssl')).rows[0].ssl === 'off',
    );
    try {
      expect(await usesTls(clientFor('prefer'))).toBe(false);
      await expect(
        clientFor('verify-full').query({ text: 'SELECT 1', values: [] }),
      ).rejects.toThrow();
    } finally {
      await target.query('ALTER SYSTEM RESET ssl');
      await target.query('SELECT pg_reload_conf()');
    }
  });
});
