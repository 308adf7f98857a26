import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { createHash } from 'node:crypto';

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
  path?: string;
}

/**
 * Rate limits per bearer token (per client address when there is none), so one leaked or
 * runaway token cannot starve everyone else. Probes (`/health…`, `/metrics`) are not limited.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const r = req as unknown as HttpRequest;
    const auth = r.headers.authorization;
    const token = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
    return token
      ? `token:${createHash('sha256').update(token).digest('hex')}`
      : `ip:${r.ip ?? 'unknown'}`;
  }

  protected override async shouldSkip(ctx: ExecutionContext): Promise<boolean> {
    const path = ctx.switchToHttp().getRequest<HttpRequest>().path ?? '';
    return path.startsWith('/health') || path === '/metrics';
  }
}
