import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ZodPipe } from '../common/zod';
import { Public } from '../identity/auth.decorators';
import { CliLoginService, type IssuedCliToken } from './cli-login.service';
import { readCookie, SESSION_COOKIE } from './cookies';
import { SessionService } from './session.service';

const ExchangeSchema = z.strictObject({
  code: z.string().min(1).max(100),
  verifier: z.string().min(1).max(128),
  client: z.string().max(200).optional(),
});

/**
 * `doorman login` in the browser: /auth/cli/login starts (through the normal sign-in),
 * /auth/cli/complete sends the signed-in browser to the CLI's loopback address with a one-time
 * code, /auth/cli/token trades code and PKCE verifier for a token. Pages and a pre-token call,
 * like the rest of /auth: outside /api/v1 and the OpenAPI document.
 */
@ApiExcludeController()
@Controller('auth/cli')
export class CliLoginController {
  constructor(
    private readonly logins: CliLoginService,
    private readonly sessions: SessionService,
  ) {}

  @Public()
  @Get('login')
  login(@Query() query: Record<string, unknown>, @Res() res: Response): void {
    const start = this.logins.start(query);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, this.logins.signInUrl(start));
  }

  /** Signed in: on to the CLI. Not (or the session ended): through the sign-in first. */
  @Public()
  @Get('complete')
  async complete(
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const start = this.logins.start(query);
    const sessionId = readCookie(req, SESSION_COOKIE);
    const caller = sessionId ? await this.sessions.authenticate(sessionId, req.ip) : null;
    res.setHeader('Cache-Control', 'no-store');
    if (!caller) return res.redirect(302, this.logins.signInUrl(start));
    res.redirect(302, await this.logins.issueCode(caller.actor, start));
  }

  @Public()
  @Post('token')
  @HttpCode(200)
  async token(
    @Body(new ZodPipe(ExchangeSchema)) body: z.infer<typeof ExchangeSchema>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<IssuedCliToken> {
    res.setHeader('Cache-Control', 'no-store');
    return this.logins.exchange(body, req.ip);
  }
}
