import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import type { UserEntity } from '../identity/user.entity';
import { UsersService } from '../identity/users.service';
import { OidcClient, type VerifiedClaims } from './oidc-client';
import { oidcSettings, type OidcSettings } from './oidc-settings';
import { SessionService, type OpenedSession } from './session.service';
import {
  claimsRefusal,
  hashSecret,
  mappedRoles,
  randomSecret,
  safeReturnTo,
} from './session.policy';
import { SignInAttemptRepository } from './sign-in-attempt.repository';

/** How long a person has at the provider between /auth/login and /auth/callback. */
const ATTEMPT_TTL_MS = 10 * 60_000;

type Enabled = Extract<OidcSettings, { enabled: true }>;

/**
 * Sign-in with the company's identity provider: the redirect out (code flow with PKCE, state
 * and nonce kept here), and the way back: the provider's answer verified, the person matched
 * by verified email (created on first sign-in), their roles set from the provider's claim
 * through the one role path, and a browser session opened.
 */
@Injectable()
export class SignInService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SignInService.name);
  private readonly settings: OidcSettings;

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    private readonly oidc: OidcClient,
    private readonly attempts: SignInAttemptRepository,
    private readonly identity: IdentityService,
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {
    this.settings = oidcSettings(config);
  }

  /** Says at start whether sign-in is on, and the redirect URI to register at the provider. */
  onApplicationBootstrap(): void {
    const s = this.settings;
    if (!s.enabled) return this.logger.log(s.reason);
    this.logger.log(`sign-in through ${s.issuer.href}; redirect URI ${s.redirectUrl}`);
    if (!this.config.PUBLIC_URL)
      this.logger.warn(
        'PUBLIC_URL is not set: the redirect URI names localhost and the CSRF Origin check trusts the Host header (set PUBLIC_URL to the address browsers use)',
      );
  }

  private enabled(): Enabled {
    if (!this.settings.enabled) throw new DomainError(ErrorCode.NotFound, this.settings.reason);
    return this.settings;
  }

  /**
   * Where to send the browser, and the binding value for its short-lived cookie. `maxAge` (0 for
   * a step-up) asks the provider for an authentication at most that many seconds old.
   */
  async begin(input: {
    returnTo: unknown;
    maxAge: number | null;
  }): Promise<{ redirectUrl: string; binding: string; ttlSeconds: number }> {
    const s = this.enabled();
    const now = new Date();
    const binding = randomSecret();
    const attempt = {
      state: randomSecret(),
      nonce: randomSecret(),
      codeVerifier: randomSecret(),
      maxAge: input.maxAge,
    };
    const redirectUrl = await this.oidc.authorizationUrl(s, {
      ...attempt,
      redirectUrl: s.redirectUrl,
      scopes: s.scopes,
    });
    await this.attempts.deleteExpired(now);
    await this.attempts.insert({
      ...attempt,
      bindingHash: hashSecret(binding),
      returnTo: safeReturnTo(input.returnTo),
      expiresAt: new Date(now.getTime() + ATTEMPT_TTL_MS),
    });
    return { redirectUrl, binding, ttlSeconds: ATTEMPT_TTL_MS / 1000 };
  }

  /** The provider's redirect back: on success, a new session and where to go. */
  async complete(input: {
    query: string;
    binding: string | undefined;
    /** The session cookie the browser still had, if any: it ends. */
    previousSessionId?: string;
    sourceAddress?: string;
  }): Promise<OpenedSession & { returnTo: string }> {
    const s = this.enabled();
    const attempt = input.binding
      ? await this.attempts.take(hashSecret(input.binding), new Date())
      : null;
    if (!attempt)
      throw new DomainError(
        ErrorCode.Unauthenticated,
        'this sign-in was not started in this browser, was already used, or has expired: sign in again',
      );
    const callbackUrl = new URL(s.redirectUrl);
    callbackUrl.search = input.query;
    const claims = await this.oidc.exchange(s, callbackUrl, attempt);
    const person = await this.personFor(s, claims, input.sourceAddress);
    const opened = await this.sessions.open(person, claimsAuthentication(claims), {
      sourceAddress: input.sourceAddress,
      previousSessionId: input.previousSessionId,
    });
    return { ...opened, returnTo: attempt.returnTo };
  }

  /** The person the claims name, created or with roles refreshed; refusals audited. */
  private async personFor(
    s: Enabled,
    claims: VerifiedClaims,
    sourceAddress?: string,
  ): Promise<UserEntity> {
    const refused = claimsRefusal(claims);
    if (refused) return this.refuse(refused, claims, sourceAddress);
    const email = (claims.email as string).toLowerCase();
    const existing = await this.identity.findByEmail(email);
    if (existing?.deactivatedAt)
      return this.refuse(`${email} is deactivated`, claims, sourceAddress);
    const roles = mappedRoles(claims[s.roleClaim], s.roleMap) ?? existing?.roles ?? [];
    const name =
      existing?.name ?? (typeof claims.name === 'string' && claims.name ? claims.name : email);
    return this.users.savePerson(await this.mappingActor(), existing, { email, name, roles });
  }

  /**
   * Roles set by the provider's mapping are the operators' configuration acting, like
   * POLICY_FILE at boot: the bootstrap admin on the system channel, under the same role rule.
   */
  private async mappingActor(): Promise<Actor> {
    const admin = await this.identity.findByEmail(this.config.BOOTSTRAP_ADMIN_EMAIL);
    if (!admin) throw new DomainError(ErrorCode.Conflict, 'the bootstrap admin is missing');
    return { id: admin.id, email: admin.email, roles: admin.roles, channel: 'system' };
  }

  private async refuse(
    reason: string,
    claims: VerifiedClaims,
    sourceAddress?: string,
  ): Promise<never> {
    this.logger.warn({ sub: claims.sub, reason }, 'sign-in refused');
    await this.sessions.auditRefusal(reason, claims, sourceAddress);
    throw DomainError.forbidden(`sign-in refused: ${reason}`);
  }
}

function claimsAuthentication(claims: VerifiedClaims): {
  authTime: Date | null;
  acr: string | null;
  amr: string[];
} {
  return {
    authTime: typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000) : null,
    acr: typeof claims.acr === 'string' ? claims.acr : null,
    amr: Array.isArray(claims.amr)
      ? claims.amr.filter((m): m is string => typeof m === 'string')
      : [],
  };
}
