import { authenticationFacts, meetsAuthentication, stepUpHint } from './step-up.policy';

const NOW = new Date('2026-03-02T10:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const oidc = (m: number, acr = 'urn:mfa', amr = ['pwd', 'otp']) => ({
  method: 'oidc' as const,
  authTime: minutesAgo(m),
  acr,
  amr,
});

describe('step-up rules', () => {
  it('a flow without a rule asks nothing, of a token too', () => {
    expect(meetsAuthentication(undefined, { method: 'token' }, NOW, 'approve')).toEqual({
      ok: true,
    });
    expect(meetsAuthentication(null, undefined, NOW, 'approve').ok).toBe(true);
  });

  it('a bearer token, or no authentication at all (Slack), never proves a fresh sign-in', () => {
    const rule = { maxAgeMinutes: 10 };
    const token = meetsAuthentication(rule, { method: 'token' }, NOW, 'approve');
    expect(token).toEqual({ ok: false, reason: expect.stringContaining('bearer token or Slack') });
    expect(meetsAuthentication(rule, undefined, NOW, 'approve').ok).toBe(false);
  });

  it('maxAgeMinutes: a sign-in that old passes, a minute older does not', () => {
    const rule = { maxAgeMinutes: 10 };
    expect(meetsAuthentication(rule, oidc(10), NOW, 'approve').ok).toBe(true);
    const old = meetsAuthentication(rule, oidc(11), NOW, 'approve');
    expect(old).toEqual({
      ok: false,
      reason: expect.stringContaining('yours is 11 minute(s) old'),
    });
    // The provider's clock a little ahead counts as now.
    expect(meetsAuthentication(rule, oidc(-1), NOW, 'approve').ok).toBe(true);
    const unknown = { method: 'oidc' as const, amr: ['pwd'] };
    expect(meetsAuthentication(rule, unknown, NOW, 'approve').ok).toBe(false);
  });

  it('acr must be one of the list; amr must contain one of the list', () => {
    expect(meetsAuthentication({ acr: ['urn:mfa', 'urn:hw'] }, oidc(60), NOW, 'approve').ok).toBe(
      true,
    );
    expect(meetsAuthentication({ acr: ['urn:hw'] }, oidc(60), NOW, 'approve')).toEqual({
      ok: false,
      reason: expect.stringContaining('(yours: urn:mfa)'),
    });
    expect(meetsAuthentication({ amr: ['otp', 'hwk'] }, oidc(60), NOW, 'approve').ok).toBe(true);
    expect(meetsAuthentication({ amr: ['hwk'] }, oidc(60), NOW, 'approve')).toEqual({
      ok: false,
      reason: expect.stringContaining('(yours: pwd, otp)'),
    });
  });

  it('every part of the rule applies', () => {
    const rule = { maxAgeMinutes: 5, acr: ['urn:mfa'], amr: ['otp'] };
    expect(meetsAuthentication(rule, oidc(1), NOW, 'approve').ok).toBe(true);
    expect(meetsAuthentication(rule, oidc(6), NOW, 'approve').ok).toBe(false);
    expect(meetsAuthentication(rule, oidc(1, 'urn:pwd'), NOW, 'approve').ok).toBe(false);
    expect(meetsAuthentication(rule, oidc(1, 'urn:mfa', ['pwd']), NOW, 'approve').ok).toBe(false);
  });

  it('the hint names the login route with stepUp and where to come back', () => {
    const hint = stepUpHint('/console/inbox');
    expect(hint.code).toBe('step_up_required');
    const url = new URL(hint.stepUpUrl, 'http://broker');
    expect(url.pathname).toBe('/auth/login');
    expect(url.searchParams.get('stepUp')).toBe('1');
    expect(url.searchParams.get('returnTo')).toBe('/console/inbox');
  });

  it('the audit facts: method, and when and how for a sign-in', () => {
    expect(authenticationFacts(oidc(3))).toEqual({
      authentication: {
        method: 'oidc',
        authTime: minutesAgo(3).toISOString(),
        acr: 'urn:mfa',
        amr: ['pwd', 'otp'],
      },
    });
    expect(authenticationFacts({ method: 'token' })).toEqual({
      authentication: { method: 'token' },
    });
    expect(authenticationFacts(undefined)).toEqual({});
  });
});
