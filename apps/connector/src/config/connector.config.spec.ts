import { generateSealKeyPair } from '@doorman/crypto';
import { ConfigError, loadConnectorConfig } from './connector.config';

const KEY = generateSealKeyPair().publicKey;
const base = {
  CONNECTOR_ID: '9a3f5b5e-2f57-4b8a-9a55-1e2d3c4b5a69',
  TARGET_DATABASE_URL: 'postgresql://admin:s%40cret@db.internal:6543/postgres',
  BROKER_SEAL_PUBLIC_KEY: KEY,
};
const noFile = () => {
  throw new Error('ENOENT');
};

describe('connector config', () => {
  it('applies defaults', () => {
    const c = loadConnectorConfig(base, noFile);
    expect(c).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: '{doorman}',
      concurrency: 8,
      statementTimeoutMs: 15000,
      heartbeatIntervalMs: 10000,
      reconcileIntervalMs: 60000,
      adminSecretFile: undefined,
      logLevel: 'info',
    });
    expect(c.target).toMatchObject({
      host: 'db.internal',
      port: 6543,
      user: 'admin',
      password: 's@cret',
      database: 'postgres',
      sslMode: 'prefer',
      ssl: { rejectUnauthorized: false },
    });
  });

  it('ADMIN_SECRET_FILE, when it exists, holds the password (JSON or bare); absent, the URL’s is used', () => {
    const env = { ...base, ADMIN_SECRET_FILE: '/etc/doorman/admin.json' };
    const json = loadConnectorConfig(env, () => '{"password":"rotated-1","rotatedAt":"x"}\n');
    expect(json.target.password).toBe('rotated-1');
    expect(json.adminSecretFile).toBe('/etc/doorman/admin.json');
    expect(loadConnectorConfig(env, () => 'bare-password\n').target.password).toBe('bare-password');
    const enoent = () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    expect(loadConnectorConfig(env, enoent).target.password).toBe('s@cret');
    expect(() => loadConnectorConfig(env, () => '{"nope":1}')).toThrow(/ADMIN_SECRET_FILE/);
    expect(() => loadConnectorConfig(env, () => '')).toThrow(/ADMIN_SECRET_FILE/);
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConnectorConfig(
        { CONNECTOR_ID: 'nope', PGSSLMODE: 'sometimes', CONNECTOR_CONCURRENCY: 'lots' },
        noFile,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of [
      'CONNECTOR_ID',
      'PGSSLMODE',
      'CONNECTOR_CONCURRENCY',
      'BROKER_SEAL_PUBLIC_KEY',
      'TARGET_DATABASE_URL',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('does not echo secret values in errors', () => {
    expect(() =>
      loadConnectorConfig({ ...base, TARGET_DATABASE_URL: 'mysql://u:hunter2@x/db' }, noFile),
    ).toThrow(/^(?![\s\S]*hunter2)/);
  });

  it('accepts the standard PG* variables', () => {
    const c = loadConnectorConfig(
      {
        CONNECTOR_ID: base.CONNECTOR_ID,
        BROKER_SEAL_PUBLIC_KEY: KEY,
        PGHOST: '10.0.0.5',
        PGUSER: 'doorman',
        PGPASSWORD: 'pw',
        PGSSLMODE: 'disable',
      },
      noFile,
    );
    expect(c.target).toMatchObject({
      host: '10.0.0.5',
      port: 5432,
      user: 'doorman',
      password: 'pw',
      database: 'doorman',
      ssl: false,
    });
  });

  it('verifies the CA for verify-ca but not the host name', () => {
    const c = loadConnectorConfig(
      { ...base, PGSSLMODE: 'verify-ca', PGSSLROOTCERT: '/ca.pem' },
      () => 'CA-PEM',
    );
    const ssl = c.target.ssl;
    if (!ssl) throw new Error('expected TLS');
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(ssl.ca).toBe('CA-PEM');
    expect(ssl.checkServerIdentity?.('other.host', {} as never)).toBeUndefined();
  });

  it('verifies CA and host name for verify-full', () => {
    const c = loadConnectorConfig(
      { ...base, PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/ca.pem' },
      () => 'CA-PEM',
    );
    expect(c.target.ssl).toEqual({ rejectUnauthorized: true, ca: 'CA-PEM' });
  });

  it('lets sslmode in the URL win and fails fast on an unreadable CA file', () => {
    expect(() =>
      loadConnectorConfig(
        {
          ...base,
          TARGET_DATABASE_URL: `${base.TARGET_DATABASE_URL}?sslmode=verify-full&sslrootcert=/x`,
        },
        noFile,
      ),
    ).toThrow(/PGSSLROOTCERT: cannot read \/x/);
  });
});
