import { cookieHeader, readCookie } from './cookies';

describe('cookies', () => {
  const req = (cookie?: string) => ({ headers: { cookie } });

  it('reads one cookie among others', () => {
    expect(readCookie(req('a=1; doorman_session=abc_-9; b=2'), 'doorman_session')).toBe('abc_-9');
    expect(readCookie(req('doorman_session_x=1'), 'doorman_session')).toBeUndefined();
    expect(readCookie(req(), 'doorman_session')).toBeUndefined();
  });

  it('takes only values the broker could have set (base64url)', () => {
    expect(readCookie(req('doorman_session="quoted"'), 'doorman_session')).toBeUndefined();
    expect(readCookie(req('doorman_session=a%20b'), 'doorman_session')).toBeUndefined();
    expect(readCookie(req('doorman_session='), 'doorman_session')).toBeUndefined();
  });

  it('always httpOnly and SameSite=Lax; Secure and Max-Age when asked', () => {
    expect(cookieHeader('n', 'v', { path: '/', secure: false })).toBe(
      'n=v; Path=/; HttpOnly; SameSite=Lax',
    );
    expect(cookieHeader('n', '', { path: '/', secure: true, maxAge: 0 })).toBe(
      'n=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0',
    );
  });
});
