import type { BrokerConfig } from '../config/broker.config';
import type { RoleMapping } from './session.policy';

export interface SessionSettings {
  idleMs: number;
  absoluteMs: number;
  /** PUBLIC_URL's origin; unset: the origin of the request itself. */
  publicOrigin?: string;
  /** Cookies marked Secure whatever the request looked like (PUBLIC_URL is https). */
  alwaysSecure: boolean;
}

export type OidcSettings =
  | {
      enabled: true;
      issuer: URL;
      clientId: string;
      clientSecret?: string;
      redirectUrl: string;
      scopes: string;
      roleClaim: string;
      roleMap: RoleMapping[];
    }
  | { enabled: false; reason: string };

export function sessionSettings(c: BrokerConfig): SessionSettings {
  return {
    idleMs: c.SESSION_IDLE_MINUTES * 60_000,
    absoluteMs: c.SESSION_ABSOLUTE_HOURS * 3_600_000,
    publicOrigin: c.PUBLIC_URL ? new URL(c.PUBLIC_URL).origin : undefined,
    alwaysSecure: c.PUBLIC_URL?.startsWith('https:') ?? false,
  };
}

/** What sign-in needs, or why it is off. */
export function oidcSettings(c: BrokerConfig): OidcSettings {
  if (!c.OIDC_ISSUER_URL || !c.OIDC_CLIENT_ID)
    return { enabled: false, reason: 'sign-in is off: OIDC_ISSUER_URL is not set' };
  const base = (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, '');
  return {
    enabled: true,
    issuer: new URL(c.OIDC_ISSUER_URL),
    clientId: c.OIDC_CLIENT_ID,
    clientSecret: c.OIDC_CLIENT_SECRET,
    redirectUrl: c.OIDC_REDIRECT_URL ?? `${base}/auth/callback`,
    scopes: c.OIDC_SCOPES,
    roleClaim: c.OIDC_ROLE_CLAIM,
    roleMap: c.OIDC_ROLE_MAP,
  };
}
