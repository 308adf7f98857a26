import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError, ErrorCode } from '../common/errors';
import { FailedAuthLimiter } from '../common/rate-limit.guard';
import { hasAnyRole, type Actor } from './actor';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import type { DoormanRole } from './doorman-roles';
import { IdentityService } from './identity.service';

/** Bearer tokens on every route but the public ones; roles checked where a route names them. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly identity: IdentityService,
    private readonly failures: FailedAuthLimiter,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & { actor?: Actor }>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new DomainError(ErrorCode.Unauthenticated, 'missing bearer token');
    const actor = await this.identity.authenticate(match[1], req.ip);
    if (!actor) {
      await this.failures.recordFailure(req.ip);
      throw new DomainError(ErrorCode.Unauthenticated, 'invalid bearer token');
    }
    req.actor = actor;
    const roles = this.reflector.getAllAndOverride<DoormanRole[] | undefined>(ROLES_KEY, targets);
    if (roles?.length && !hasAnyRole(actor, roles)) {
      throw DomainError.forbidden(`this needs one of the roles: ${roles.join(', ')}`);
    }
    return true;
  }
}
