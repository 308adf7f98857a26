import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { CookieSessions } from '../identity/auth.guard';
import { readCookie, SESSION_COOKIE } from './cookies';
import { cookieCallRefusal } from './session.policy';
import { SessionService, type SessionCaller } from './session.service';

/** The broker's own origin as browsers see it: PUBLIC_URL's, else the request's. */
export function ownOrigin(req: Request, publicOrigin: string | undefined): string {
  return publicOrigin ?? `${req.protocol}://${req.get('host') ?? ''}`;
}

/** What the guard asks of a session cookie: a live session, and for changes the CSRF proof. */
@Injectable()
export class BrowserSessions extends CookieSessions {
  constructor(private readonly sessions: SessionService) {
    super();
  }

  async authenticate(
    req: Request,
  ): Promise<
    | { actor: SessionCaller['actor']; session: SessionCaller }
    | { refused: string; status: 401 | 403 }
    | null
  > {
    const sessionId = readCookie(req, SESSION_COOKIE);
    if (!sessionId) return null;
    const caller = await this.sessions.authenticate(sessionId, req.ip);
    if (!caller)
      return { refused: 'your session has ended: sign in again at /auth/login', status: 401 };
    const csrf = req.headers['x-csrf-token'];
    const refusal = cookieCallRefusal({
      method: req.method,
      csrfHeader: typeof csrf === 'string' ? csrf : undefined,
      sessionId,
      origin: req.headers.origin,
      ownOrigin: ownOrigin(req, this.sessions.settings.publicOrigin),
    });
    if (refusal) return { refused: refusal, status: 403 };
    return { actor: caller.actor, session: caller };
  }
}
