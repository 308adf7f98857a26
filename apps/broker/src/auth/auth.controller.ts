import { Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainError } from '../common/errors';
import { CurrentBrowserSession, Public } from '../identity/auth.decorators';
import { cookieHeader, readCookie, SESSION_COOKIE, SIGN_IN_COOKIE } from './cookies';
import { SessionService, type SessionCaller } from './session.service';
import { SignInService } from './sign-in.service';

/**
 * The browser's way in and out: /auth/login sends it to the identity provider, /auth/callback
 * brings it back with a session cookie, /auth/logout ends the session. Outside /api/v1: these
 * are pages a browser navigates to, not API calls (so not in the OpenAPI document either).
 */
@ApiExcludeController()
@Controller('auth')
export class AuthController {
  constructor(
    private readonly signIn: SignInService,
    private readonly sessions: SessionService,
  ) {}

  @Public()
  @Get('login')
  async login(
    @Query('returnTo') returnTo: unknown,
    @Query('stepUp') stepUp: unknown,
    @Query('max_age') maxAge: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const out = await this.signIn.begin({ returnTo, maxAge: requestedMaxAge(stepUp, maxAge) });
    res.setHeader(
      'Set-Cookie',
      cookieHeader(SIGN_IN_COOKIE, out.binding, {
        path: '/',
        secure: this.secure(req),
        maxAge: out.ttlSeconds,
      }),
    );
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, out.redirectUrl);
  }

  @Public()
  @Get('callback')
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    const at = req.originalUrl.indexOf('?');
    const done = await this.signIn.complete({
      query: at >= 0 ? req.originalUrl.slice(at) : '',
      binding: readCookie(req, SIGN_IN_COOKIE),
      previousSessionId: readCookie(req, SESSION_COOKIE),
      sourceAddress: req.ip,
    });
    const secure = this.secure(req);
    res.setHeader('Set-Cookie', [
      cookieHeader(SESSION_COOKIE, done.sessionId, {
        path: '/',
        secure,
        maxAge: done.maxAgeSeconds,
      }),
      cookieHeader(SIGN_IN_COOKIE, '', { path: '/', secure, maxAge: 0 }),
    ]);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, done.returnTo);
  }

  /** Needs the session's CSRF header like any change (the guard checks it). */
  @Post('logout')
  @HttpCode(204)
  async logout(
    @CurrentBrowserSession() session: SessionCaller | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    if (!session)
      throw DomainError.validation(
        'sign-out ends a browser session; this call used a bearer token',
      );
    await this.sessions.signOut(session);
    res.setHeader(
      'Set-Cookie',
      cookieHeader(SESSION_COOKIE, '', { path: '/', secure: this.secure(req), maxAge: 0 }),
    );
  }

  private secure(req: Request): boolean {
    return this.sessions.settings.alwaysSecure || req.secure;
  }
}

/** stepUp=1: a fresh authentication (max_age=0, prompt=login); max_age=N: at most N seconds old. */
function requestedMaxAge(stepUp: unknown, maxAge: unknown): number | null {
  if (stepUp === '1' || stepUp === 'true') return 0;
  if (typeof maxAge === 'string' && /^\d{1,7}$/.test(maxAge)) return Number(maxAge);
  if (maxAge !== undefined) throw DomainError.validation('max_age: a whole number of seconds');
  return null;
}
