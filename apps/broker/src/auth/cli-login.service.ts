import { Inject, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { randomBytes } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { DomainError, ErrorCode } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../identity/actor';
import { hashToken } from '../identity/api-tokens.service';
import { IdentityService } from '../identity/identity.service';
import {
  CLI_CODE_TTL_MS,
  CLI_TOKEN_TTL_MS,
  cliTokenName,
  completePath,
  loopbackUrl,
  parseCliLoginStart,
  verifierMatches,
  type CliLoginStart,
} from './cli-login.policy';
import { CliLoginRepository } from './cli-login.repository';
import { oidcSettings, type OidcSettings } from './oidc-settings';
import { hashSecret, randomSecret } from './session.policy';

/** What the exchange answers: the token, shown once, and whose it is. */
export interface IssuedCliToken {
  token: string;
  tokenId: string;
  expiresAt: Date;
  person: { id: string; email: string };
}

/**
 * `doorman login`: the browser signs in as for the console, then the broker sends a one-time
 * code to the CLI's loopback address; the CLI trades it, with the PKCE verifier only it knows,
 * for an expiring API token of that person (revocable like any other, audited when minted).
 */
@Injectable()
export class CliLoginService {
  private readonly settings: OidcSettings;

  constructor(
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    private readonly logins: CliLoginRepository,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
  ) {
    this.settings = oidcSettings(config);
  }

  /** The start's parameters, checked; sign-in must be on. */
  start(query: Record<string, unknown>): CliLoginStart {
    if (!this.settings.enabled)
      throw new DomainError(
        ErrorCode.NotFound,
        `${this.settings.reason}; without sign-in, use an API token (DOORMAN_TOKEN)`,
      );
    const start = parseCliLoginStart(query);
    if (typeof start === 'string') throw DomainError.validation(start);
    return start;
  }

  /** Where the browser signs in first: the normal sign-in, back to the completion page. */
  signInUrl(start: CliLoginStart): string {
    return `/auth/login?${new URLSearchParams({ returnTo: completePath(start) }).toString()}`;
  }

  /** The signed-in person's one-time code, and the loopback address to send it to. */
  @Transactional()
  async issueCode(person: Actor, start: CliLoginStart, now = new Date()): Promise<string> {
    const code = randomSecret();
    await this.logins.deleteExpiredCodes(now);
    await this.logins.insertCode({
      codeHash: hashSecret(code),
      challenge: start.challenge,
      userId: person.id,
      expiresAt: new Date(now.getTime() + CLI_CODE_TTL_MS),
    });
    return loopbackUrl(start, code);
  }

  /**
   * The code and its verifier for a new token; a code works once, and only with its verifier.
   * Taken outside the token's transaction, so a wrong verifier spends the code too (whoever
   * caught a code on its way gets one guess, which then also locks out the real CLI).
   */
  async exchange(
    input: { code: string; verifier: string; client?: string },
    sourceAddress?: string,
    now = new Date(),
  ): Promise<IssuedCliToken> {
    const taken = await this.logins.takeCode(hashSecret(input.code), now);
    if (!taken?.userId || !verifierMatches(input.verifier, taken.challenge))
      throw new DomainError(
        ErrorCode.Unauthenticated,
        'this sign-in code is unknown, used, expired or not for this verifier: run `doorman login` again',
      );
    return this.mint(taken.userId, input.client, sourceAddress, now);
  }

  @Transactional()
  private async mint(
    userId: string,
    client: string | undefined,
    sourceAddress: string | undefined,
    now: Date,
  ): Promise<IssuedCliToken> {
    const person = await this.identity.getUser(userId);
    if (person.deactivatedAt) throw DomainError.forbidden(`${person.email} is deactivated`);
    const token = `dm_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(now.getTime() + CLI_TOKEN_TTL_MS);
    const name = cliTokenName(client);
    const row = await this.logins.insertToken({
      userId: person.id,
      tokenHash: hashToken(token),
      name,
      createdById: person.id,
      expiresAt,
    });
    const actor: Actor = {
      id: person.id,
      email: person.email,
      roles: person.roles,
      channel: 'api',
      sourceAddress,
      authentication: { method: 'oidc' },
    };
    await this.audit.record({
      action: 'token.created',
      actor,
      details: { userId: person.id, tokenId: row.id, name, expiresAt, via: 'doorman login' },
    });
    return { token, tokenId: row.id, expiresAt, person: { id: person.id, email: person.email } };
  }
}
