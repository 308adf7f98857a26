import type { Actor } from '../common/actor';

/**
 * How recently and how strongly a person must have signed in at the identity provider to act
 * under a flow. Pure: no Nest, no I/O, a clock passed in.
 */
export interface AuthenticationRule {
  /** The provider's auth_time must be at most this many minutes before the action. */
  maxAgeMinutes?: number;
  /** The sign-in's acr must be one of these. */
  acr?: string[];
  /** The sign-in's amr must contain one of these. */
  amr?: string[];
}

type Authentication = Actor['authentication'];

/** Where an approver who must sign in again approves: the console's inbox. */
export const APPROVE_IN_CONSOLE = '/console/inbox';

export type StepUpVerdict = { ok: true } | { ok: false; reason: string };

/** The machine-readable hint of a refusal: where a browser signs in again to come back. */
export interface StepUpHint {
  code: 'step_up_required';
  stepUpUrl: string;
}

/**
 * Does this authentication satisfy the rule at `now`? Only a sign-in at the identity provider
 * can: a bearer token or a Slack click says nothing about when or how the person last proved
 * who they are. An auth_time in the future (clock skew) counts as now.
 */
export function meetsAuthentication(
  rule: AuthenticationRule | null | undefined,
  auth: Authentication,
  now: Date,
  action: string,
): StepUpVerdict {
  if (!rule) return { ok: true };
  const signInAgain = 'sign in again in the console (a fresh sign-in at the identity provider)';
  if (auth?.method !== 'oidc')
    return {
      ok: false,
      reason: `this access flow requires a recent sign-in at the identity provider to ${action}, which a bearer token or Slack cannot show: ${signInAgain} and ${action} there`,
    };
  if (rule.maxAgeMinutes !== undefined) {
    if (!auth.authTime)
      return {
        ok: false,
        reason: `this access flow requires a sign-in at most ${rule.maxAgeMinutes} minute(s) old to ${action}, and the identity provider did not say when you signed in: ${signInAgain}`,
      };
    const ageMinutes = (now.getTime() - auth.authTime.getTime()) / 60_000;
    if (ageMinutes > rule.maxAgeMinutes)
      return {
        ok: false,
        reason: `this access flow requires a sign-in at most ${rule.maxAgeMinutes} minute(s) old to ${action}, and yours is ${Math.floor(ageMinutes)} minute(s) old: ${signInAgain}`,
      };
  }
  if (rule.acr?.length && !(auth.acr && rule.acr.includes(auth.acr)))
    return {
      ok: false,
      reason: `this access flow requires a sign-in of level ${rule.acr.join(' or ')} to ${action} (yours: ${auth.acr ?? 'none given'}): ${signInAgain} with a stronger method`,
    };
  if (rule.amr?.length && !(auth.amr ?? []).some((m) => rule.amr!.includes(m)))
    return {
      ok: false,
      reason: `this access flow requires a sign-in by ${rule.amr.join(' or ')} to ${action} (yours: ${(auth.amr ?? []).join(', ') || 'none given'}): ${signInAgain} with that method`,
    };
  return { ok: true };
}

/**
 * Where the console sends the person through the provider again and back to `consolePath`.
 * `returnTo` is a path on the broker; the login route refuses anything else anyway.
 */
export function stepUpHint(consolePath: string): StepUpHint {
  const query = new URLSearchParams({ stepUp: '1', returnTo: consolePath });
  return { code: 'step_up_required', stepUpUrl: `/auth/login?${query.toString()}` };
}

/** How the person proved who they are, as a decision's audit event records it. */
export function authenticationFacts(auth: Authentication): Record<string, unknown> {
  if (!auth) return {};
  return {
    authentication: {
      method: auth.method,
      ...(auth.authTime ? { authTime: auth.authTime.toISOString() } : {}),
      ...(auth.acr ? { acr: auth.acr } : {}),
      ...(auth.amr ? { amr: auth.amr } : {}),
    },
  };
}
