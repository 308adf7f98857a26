import { BrokerConfigSchema, loadBrokerConfig } from '../config/broker.config';
import { oidcSettings, sessionSettings } from './oidc-settings';

const base = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/doorman',
  REDIS_URL: 'redis://127.0.0.1:6379',
  BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(24),
  BROKER_SEAL_PUBLIC_KEY: 'p'.repeat(40),
  BROKER_SEAL_PRIVATE_KEY: 's'.repeat(40),
};

describe('sign-in configuration', () => {
  it('off without an issuer, with the reason', () => {
    const s = oidcSettings(BrokerConfigSchema.parse(base));
    expect(s).toEqual({ enabled: false, reason: expect.stringContaining('OIDC_ISSUER_URL') });
  });

  it('defaults: scopes, claim, redirect URL from PUBLIC_URL or localhost:PORT, timeouts', () => {
    const env = { ...base, OIDC_ISSUER_URL: 'https://idp.example', OIDC_CLIENT_ID: 'doorman' };
    expect(oidcSettings(BrokerConfigSchema.parse({ ...env, PORT: '9000' }))).toMatchObject({
      enabled: true,
      scopes: 'openid email profile groups',
      roleClaim: 'groups',
      roleMap: [],
      redirectUrl: 'http://localhost:9000/auth/callback',
    });
    const behindProxy = BrokerConfigSchema.parse({
      ...env,
      PUBLIC_URL: 'https://doorman.example/',
    });
    expect(oidcSettings(behindProxy)).toMatchObject({
      redirectUrl: 'https://doorman.example/auth/callback',
    });
    expect(sessionSettings(behindProxy)).toEqual({
      idleMs: 30 * 60_000,
      absoluteMs: 12 * 3_600_000,
      publicOrigin: 'https://doorman.example',
      alwaysSecure: true,
    });
  });

  it('OIDC_ROLE_MAP: claimValue=role pairs, a value may give several roles', () => {
    const c = BrokerConfigSchema.parse({
      ...base,
      OIDC_ROLE_MAP: 'db-admins=security, leads=approver,leads=requester,a=b=auditor',
    });
    expect(c.OIDC_ROLE_MAP).toEqual([
      { value: 'db-admins', role: 'security' },
      { value: 'leads', role: 'approver' },
      { value: 'leads', role: 'requester' },
      { value: 'a=b', role: 'auditor' },
    ]);
  });

  it('a bad mapping, a missing client id or plain http off this machine stop the start, named', () => {
    expect(() => loadBrokerConfig({ ...base, OIDC_ROLE_MAP: 'eng=superuser,noequals' })).toThrow(
      /OIDC_ROLE_MAP: "eng=superuser" is not claimValue=role[\s\S]*"noequals"/,
    );
    expect(() => loadBrokerConfig({ ...base, OIDC_ISSUER_URL: 'https://idp.example' })).toThrow(
      /OIDC_CLIENT_ID: required/,
    );
    expect(() =>
      loadBrokerConfig({ ...base, OIDC_ISSUER_URL: 'http://idp.example', OIDC_CLIENT_ID: 'd' }),
    ).toThrow(/OIDC_ISSUER_URL: must be https/);
    expect(
      loadBrokerConfig({ ...base, OIDC_ISSUER_URL: 'http://127.0.0.1:9999', OIDC_CLIENT_ID: 'd' })
        .OIDC_ISSUER_URL,
    ).toBe('http://127.0.0.1:9999');
  });
});
