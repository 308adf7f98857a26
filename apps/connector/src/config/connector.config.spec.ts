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
      logLevel: 'info',
    });
    expect(c.targets).toHaveLength(1);
    expect(c.targets[0].integrationId).toBeUndefined();
    expect(c.targets[0].adminSecretFile).toBeUndefined();
    expect(c.targets[0].connection).toMatchObject({
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
    expect(json.targets[0].connection.password).toBe('rotated-1');
    expect(json.targets[0].adminSecretFile).toBe('/etc/doorman/admin.json');
    expect(loadConnectorConfig(env, () => 'bare-password\n').targets[0].connection.password).toBe(
      'bare-password',
    );
    const enoent = () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    expect(loadConnectorConfig(env, enoent).targets[0].connection.password).toBe('s@cret');
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
    expect(c.targets[0].connection).toMatchObject({
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
    const ssl = c.targets[0].connection.ssl;
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
    expect(c.targets[0].connection.ssl).toEqual({ rejectUnauthorized: true, ca: 'CA-PEM' });
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

  describe('CONNECTOR_TARGETS_FILE', () => {
    const A = '0b7c2a4e-1f0d-4c1e-9a57-0f4a3b2c1d01';
    const B = '0b7c2a4e-1f0d-4c1e-9a57-0f4a3b2c1d02';
    const env = {
      CONNECTOR_ID: base.CONNECTOR_ID,
      BROKER_SEAL_PUBLIC_KEY: KEY,
      CONNECTOR_TARGETS_FILE: '/etc/doorman/targets.yaml',
      DB_A_PASSWORD: 'first-a',
    };
    const files =
      (map: Record<string, string>) =>
      (path: string): string => {
        if (path in map) return map[path];
        throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      };
    const yaml = [
      'targets:',
      `  - integrationId: ${A}`,
      '    url: postgres://doorman@db-a.internal:5433/postgres?sslmode=verify-full',
      '    sslrootcert: /etc/doorman/a-ca.pem',
      '    adminSecret: { file: /var/lib/doorman/a.json, env: DB_A_PASSWORD }',
      `  - integrationId: ${B}`,
      '    url: postgresql://admin@db-b.internal/app',
      '    sslmode: disable',
      '    adminSecret:',
      '      file: /var/lib/doorman/b.json',
      '',
    ].join('\n');

    it('serves every listed target: the file’s password wins, the env variable before it exists', () => {
      const c = loadConnectorConfig(
        env,
        files({
          '/etc/doorman/targets.yaml': yaml,
          '/etc/doorman/a-ca.pem': 'CA-A',
          '/var/lib/doorman/b.json': '{"password":"rotated-b"}',
        }),
      );
      expect(c.targets.map((t) => t.integrationId)).toEqual([A, B]);
      expect(c.targets[0]).toMatchObject({
        adminSecretFile: '/var/lib/doorman/a.json',
        connection: {
          host: 'db-a.internal',
          port: 5433,
          user: 'doorman',
          password: 'first-a',
          database: 'postgres',
          sslMode: 'verify-full',
          ssl: { rejectUnauthorized: true, ca: 'CA-A' },
        },
      });
      expect(c.targets[1].connection).toMatchObject({
        host: 'db-b.internal',
        port: 5432,
        user: 'admin',
        password: 'rotated-b',
        database: 'app',
        ssl: false,
      });
    });

    it('reads JSON too', () => {
      const json = JSON.stringify({
        targets: [
          { integrationId: A, url: 'postgres://u@h/db', adminSecret: { env: 'DB_A_PASSWORD' } },
        ],
      });
      const c = loadConnectorConfig(env, files({ '/etc/doorman/targets.yaml': json }));
      expect(c.targets[0].connection).toMatchObject({ host: 'h', password: 'first-a' });
    });

    it('names the line and the field of every problem, never a secret', () => {
      const bad = [
        'targets:',
        `  - integrationId: ${A}`,
        '    url: postgres://doorman:hunter2@db-a.internal/postgres',
        '    adminSecret: { env: DB_A_PASSWORD }',
        '  - integrationId: not-a-uuid',
        '    url: postgres://u@h/db?sslmode=sometimes',
        '    adminSecret: {}',
        '    colour: blue',
        `  - integrationId: ${A}`,
        '    url: postgres://u@h/db',
        '    adminSecret: { env: DB_A_PASSWORD }',
        '',
      ].join('\n');
      let message = '';
      try {
        loadConnectorConfig(env, files({ '/etc/doorman/targets.yaml': bad }));
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        message = (e as Error).message;
      }
      const f = 'CONNECTOR_TARGETS_FILE /etc/doorman/targets.yaml';
      expect(message).toContain(`${f} line 3: targets[0].url: must not hold a password`);
      expect(message).toContain(`${f} line 5: targets[1].integrationId: Invalid UUID`);
      expect(message).toContain(`${f} line 6: targets[1].url: sslmode must be one of`);
      expect(message).toContain(`${f} line 7: targets[1].adminSecret: set file, env or both`);
      expect(message).toContain(`${f} line 5: targets[1]: Unrecognized key: "colour"`);
      expect(message).toContain(
        `${f} line 9: targets[2].integrationId: the same integration as targets[0]`,
      );
      expect(message).not.toContain('hunter2');
    });

    it('reports YAML syntax errors with their line, and a missing first password', () => {
      expect(() =>
        loadConnectorConfig(env, files({ '/etc/doorman/targets.yaml': 'targets:\n  - a: [1\n' })),
      ).toThrow(/targets\.yaml line \d+: /);
      const noPassword = `targets:\n  - integrationId: ${B}\n    url: postgres://u@h/db\n    adminSecret: { file: /nope.json, env: UNSET_VAR }\n`;
      expect(() =>
        loadConnectorConfig(env, files({ '/etc/doorman/targets.yaml': noPassword })),
      ).toThrow(/targets\[0\]\.adminSecret\.env: UNSET_VAR is not set/);
    });

    it('refuses TARGET_DATABASE_URL or ADMIN_SECRET_FILE beside it', () => {
      expect(() =>
        loadConnectorConfig(
          { ...env, TARGET_DATABASE_URL: base.TARGET_DATABASE_URL, ADMIN_SECRET_FILE: '/x' },
          files({ '/etc/doorman/targets.yaml': yaml }),
        ),
      ).toThrow(
        /TARGET_DATABASE_URL: not with CONNECTOR_TARGETS_FILE[\s\S]*ADMIN_SECRET_FILE: not with/,
      );
    });
  });
});
