import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ZodPipe } from '../common/zod';
import { Public } from '../identity/auth.decorators';
import { DomainError } from '../common/errors';
import { ownOrigin } from './browser-sessions';
import { cliConfirmPage, cliPageCsp, cliRefusedPage } from './cli-login.page';
import { loopbackDenial } from './cli-login.policy';
import { CliLoginService, type IssuedCliToken } from './cli-login.service';
import { readCookie, SESSION_COOKIE } from './cookies';
import { cookieCallRefusal, csrfTokenFor } from './session.policy';
import { SessionService } from './session.service';

const ExchangeSchema = z.strictObject({
  code: z.string().min(1).max(100),
  verifier: z.string().min(1).max(128),
  client: z.string().max(200).optional(),
});

/** The confirmation form's few short fields; anything bigger is not this form. */
const FORM_LIMIT_BYTES = 4096;

/**
 * `doorman login` in the browser: /auth/cli/login starts (through the normal sign-in),
 * GET /auth/cli/complete asks the signed-in person to approve (whose token, which CLI),
 * POST /auth/cli/complete (the session's CSRF token in the form) sends the browser to the
 * CLI's loopback address with a one-time code, /auth/cli/token trades code and PKCE verifier
 * for a token. Pages and a pre-token call, like the rest of /auth: outside /api/v1 and the
 * OpenAPI document.
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

  /**
   * Signed in: a page asking to approve this CLI's sign-in (nothing is issued by a visit, so a
   * link someone else started cannot take a token silently). Not signed in: the sign-in first.
   */
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
    if (!sessionId || !caller) return res.redirect(302, this.logins.signInUrl(start));
    const person = caller.session;
    res.setHeader('Content-Security-Policy', cliPageCsp(start));
    // helmet's no-referrer would make the browser send `Origin: null` with the form's post,
    // which the Origin check refuses; same-origin still sends no referrer to anyone else.
    res.setHeader('Referrer-Policy', 'same-origin');
    res.type('html').send(
      cliConfirmPage({
        start,
        email: person.email,
        name: person.name,
        csrfToken: csrfTokenFor(sessionId),
      }),
    );
  }

  /**
   * The confirmation's answer, as a plain form post: the session's CSRF token travels in the
   * form (a form cannot set headers) and is checked, with the Origin, by the same rule as the
   * API's header. Approve: on to the CLI with a code. Cancel: the CLI is told, and gives up.
   */
  @Public()
  @Post('complete')
  async confirm(@Req() req: Request, @Res() res: Response): Promise<void> {
    const form = await readForm(req);
    const start = this.logins.start(form);
    res.setHeader('Cache-Control', 'no-store');
    const sessionId = readCookie(req, SESSION_COOKIE);
    const caller = sessionId ? await this.sessions.authenticate(sessionId, req.ip) : null;
    if (!sessionId || !caller) return res.redirect(303, this.logins.signInUrl(start));
    const refusal = cookieCallRefusal({
      method: 'POST',
      csrfHeader: typeof form.csrf === 'string' && form.csrf ? form.csrf : undefined,
      sessionId,
      origin: req.headers.origin,
      ownOrigin: ownOrigin(req, this.sessions.settings.publicOrigin),
    });
    if (refusal) {
      res.setHeader('Content-Security-Policy', cliPageCsp());
      res
        .status(403)
        .type('html')
        .send(cliRefusedPage(refusal.replace('x-csrf-token', "the form's CSRF token")));
      return;
    }
    res.setHeader('Content-Security-Policy', cliPageCsp(start));
    if (form.decision === 'cancel') return res.redirect(303, loopbackDenial(start));
    if (form.decision !== 'approve') throw DomainError.validation('decision: approve or cancel');
    res.redirect(303, await this.logins.issueCode(caller.actor, start));
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

/**
 * The urlencoded body of the confirmation form. The broker parses only JSON globally; this one
 * page reads its own few fields, bounded, rather than opening form parsing to every route.
 */
async function readForm(req: Request): Promise<Record<string, string>> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded'))
    throw DomainError.validation(
      'the confirmation is a form post (application/x-www-form-urlencoded)',
    );
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT_BYTES) throw DomainError.validation('the form is too large');
    chunks.push(chunk);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}
