import { Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { DomainError, ErrorCode } from '../common/errors';

/** The provider's verified answer: the ID token's claims, completed by the userinfo endpoint. */
export type VerifiedClaims = Record<string, unknown> & { sub: string };

export interface ProviderLink {
  issuer: URL;
  clientId: string;
  clientSecret?: string;
}

/**
 * The broker as an OpenID Connect relying party, through openid-client: discovery (once, on
 * first use, so a provider down at boot does not stop the broker), the authorization URL with
 * PKCE, and the code exchange with its checks (issuer, audience, signature, state, nonce,
 * max_age). Knows nothing of Doorman's people or sessions.
 */
@Injectable()
export class OidcClient {
  private readonly logger = new Logger(OidcClient.name);
  private discovered?: Promise<oidc.Configuration>;

  private configuration(link: ProviderLink): Promise<oidc.Configuration> {
    this.discovered ??= oidc
      .discovery(
        link.issuer,
        link.clientId,
        link.clientSecret,
        link.clientSecret ? oidc.ClientSecretPost(link.clientSecret) : oidc.None(),
        // Plain http is accepted by the config only for a provider on this machine.
        link.issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((e: unknown) => {
        this.discovered = undefined;
        this.logger.warn({ issuer: link.issuer.href, err: e }, 'OIDC discovery failed');
        throw new DomainError(
          ErrorCode.Conflict,
          `the identity provider at ${link.issuer.href} cannot be reached: ${describe(e)}`,
        );
      });
    return this.discovered;
  }

  async authorizationUrl(
    link: ProviderLink,
    p: {
      redirectUrl: string;
      scopes: string;
      state: string;
      nonce: string;
      codeVerifier: string;
      maxAge: number | null;
    },
  ): Promise<string> {
    const config = await this.configuration(link);
    const params: Record<string, string> = {
      redirect_uri: p.redirectUrl,
      scope: p.scopes,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(p.codeVerifier),
      code_challenge_method: 'S256',
      state: p.state,
      nonce: p.nonce,
    };
    if (p.maxAge !== null) {
      params.max_age = String(p.maxAge);
      // A step-up asks for the password (or whatever the provider asks) again, not a silent SSO.
      if (p.maxAge === 0) params.prompt = 'login';
    }
    return oidc.buildAuthorizationUrl(config, params).href;
  }

  /** The code exchanged and every check made; a failed check is refused with what failed. */
  async exchange(
    link: ProviderLink,
    callbackUrl: URL,
    expected: { state: string; nonce: string; codeVerifier: string; maxAge: number | null },
  ): Promise<VerifiedClaims> {
    const config = await this.configuration(link);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
        ...(expected.maxAge !== null ? { maxAge: expected.maxAge } : {}),
      });
    } catch (e) {
      throw new DomainError(
        ErrorCode.Unauthenticated,
        `the identity provider's answer was refused: ${describe(e)}`,
      );
    }
    const idClaims = tokens.claims() as VerifiedClaims;
    if (!config.serverMetadata().userinfo_endpoint) return idClaims;
    // Providers put email, groups and the like in the ID token or in userinfo only: both are read,
    // the ID token winning (userinfo is checked to be about the same subject).
    const info = await oidc
      .fetchUserInfo(config, tokens.access_token, idClaims.sub)
      .catch(() => ({}));
    return { ...info, ...idClaims };
  }
}

/** A library error's own words, without anything it carried (a token could be in `cause`). */
function describe(e: unknown): string {
  if (e instanceof oidc.AuthorizationResponseError || e instanceof oidc.ResponseBodyError)
    return `${e.error}${e.error_description ? `: ${e.error_description}` : ''}`;
  if (!(e instanceof Error)) return 'unknown error';
  // openid-client's words ("invalid response encountered") over oauth4webapi's precise ones.
  return e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message;
}
