import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError, ErrorCode } from '../common/errors';
import { CurrentBrowserSession } from '../identity/auth.decorators';
import { SessionService, type SessionCaller, type SessionView } from './session.service';

// Only a browser session has one (a bearer token gets 401): out of the OpenAPI document, which
// describes the bearer-token API; docs/sign-in.md and docs/api.md describe it.
@ApiExcludeController()
@Controller('session')
export class SessionController {
  constructor(private readonly sessions: SessionService) {}

  /** Who is signed in in this browser, until when, and the CSRF token for changes. */
  @Get()
  current(
    @CurrentBrowserSession() session: SessionCaller | undefined,
    @Res({ passthrough: true }) res: Response,
  ): SessionView {
    if (!session)
      throw new DomainError(
        ErrorCode.Unauthenticated,
        'no browser session: this call used a bearer token (sign in at /auth/login)',
      );
    // The CSRF token is in the answer: no cache may keep it.
    res.setHeader('Cache-Control', 'no-store');
    return this.sessions.view(session);
  }
}
