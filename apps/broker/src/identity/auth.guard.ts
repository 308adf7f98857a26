import { type CanActivate, type ExecutionContext, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError, ErrorCode } from '../common/errors';
import { FailedAuthLimiter } from '../common/rate-limit.guard';
import { hasAnyRole, type Actor } from './actor';
import { ApiTokensService } from './api-tokens.service';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import type { DoormanRole } from './doorman-roles';

/**
 * Browser sessions as the guard sees them. Provided by the sign-in feature (auth/) when it is
 * loaded; identity/ only names the shape, so it never depends on auth/.
 */
export abstract class CookieSessions {
  /** The person behind the request's session cookie, or a refusal; none: no cookie at all. */
  abstract authenticate(
    req: Request,
  ): Promise<{ actor: Actor; session: unknown } | { refused: string; status: 401 | 403 } | null>;
}

export type AuthenticatedRequest = Request & { actor?: Actor; browserSession?: unknown };

/**
 * Bearer tokens on every route but the public ones, else a browser session cookie (whose
 * state-changing calls must carry the CSRF header); roles checked where a route names them.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokensService,
    private readonly failures: FailedAuthLimiter,
    @Optional() private readonly sessions?: CookieSessions,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    req.actor = await this.authenticate(req);
    const roles = this.reflector.getAllAndOverride<DoormanRole[] | undefined>(ROLES_KEY, targets);
    if (roles?.length && !hasAnyRole(req.actor, roles)) {
      throw DomainError.forbidden(`this needs one of the roles: ${roles.join(', ')}`);
    }
    return true;
  }

  private async authenticate(req: AuthenticatedRequest): Promise<Actor> {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new DomainError(ErrorCode.Unauthenticated, 'missing bearer token');
      const actor = await this.tokens.authenticate(match[1], req.ip);
      if (!actor) {
        await this.failures.recordFailure(req.ip);
        throw new DomainError(ErrorCode.Unauthenticated, 'invalid bearer token');
      }
      return { ...actor, authentication: actor.authentication ?? { method: 'token' } };
    }
    const result = await this.sessions?.authenticate(req);
    if (!result)
      throw new DomainError(
        ErrorCode.Unauthenticated,
        'missing bearer token (or a session cookie: sign in at /auth/login)',
      );
    if ('refused' in result) {
      if (result.status === 403) throw DomainError.forbidden(result.refused);
      await this.failures.recordFailure(req.ip);
      throw new DomainError(ErrorCode.Unauthenticated, result.refused);
    }
    req.browserSession = result.session;
    return result.actor;
  }
}
