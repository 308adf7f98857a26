import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';

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

/**
 * Failed authentications, counted per client address: a fresh garbage token on
 * each call is a fresh tracker for RateLimitGuard, so failures are also counted by where they
 * come from. Past the per-minute limit the address is answered 429 instead of 401 for a
 * minute; valid tokens from the same address keep working (a shared NAT is not locked out).
 */
@Injectable()
export class FailedAuthLimiter {
  constructor(
    @Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async recordFailure(address: string | undefined): Promise<void> {
    const limit = this.config.RATE_LIMIT_PER_MINUTE;
    const hits = await this.storage.increment(
      `auth-failures:${address ?? 'unknown'}`,
      60_000,
      limit,
      60_000,
      'auth-failures',
    );
    if (hits.isBlocked)
      throw new ThrottlerException(
        'too many failed authentications from this address: wait a minute',
      );
  }
}
