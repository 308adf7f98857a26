import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Actor } from './actor';
import type { DoormanRole } from '@doorman/contracts';

export const PUBLIC_KEY = 'doorman:public';
export const ROLES_KEY = 'doorman:roles';

/** No bearer token or session needed (health, docs, the sign-in redirects). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Any of these Doorman roles is required. */
export const Roles = (...roles: DoormanRole[]) => SetMetadata(ROLES_KEY, roles);

export const CurrentActor = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Actor =>
    ctx.switchToHttp().getRequest<{ actor: Actor }>().actor,
);

/** The browser session the call came with (undefined for bearer tokens). */
export const CurrentBrowserSession = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): unknown =>
    ctx.switchToHttp().getRequest<{ browserSession?: unknown }>().browserSession,
);
