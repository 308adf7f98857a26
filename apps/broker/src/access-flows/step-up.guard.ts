import type { Actor } from '../common/actor';
import { DomainError, ErrorCode } from '../common/errors';
import { meetsAuthentication, stepUpHint, type AuthenticationRule } from './step-up.policy';

/**
 * Refuses an action under a flow's step-up rule when the actor's sign-in does not meet it:
 * 403 with the reason, and the hint that sends a browser through the provider again and back
 * to `returnTo` (a console page).
 */
export function assertStepUp(
  rule: AuthenticationRule | null | undefined,
  actor: Actor,
  now: Date,
  action: 'approve' | 'request' | 'extend',
  returnTo: string,
): void {
  const verdict = meetsAuthentication(rule, actor.authentication, now, action);
  if (!verdict.ok)
    throw new DomainError(ErrorCode.Forbidden, verdict.reason, { ...stepUpHint(returnTo) });
}
