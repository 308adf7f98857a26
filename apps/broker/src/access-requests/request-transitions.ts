import { DomainError, ErrorCode } from '../common/errors';
import type { AccessRequestEntity } from './access-request.entity';
import {
  IllegalTransitionError,
  transition,
  type RequestEvent,
  type RequestStatus,
} from './request-state';

/**
 * The state a request moves to on `event`, or a domain error every channel maps the same way
 * (409 on REST, a clear answer in Slack) when the state machine forbids it.
 */
export function nextStatus(
  req: Pick<AccessRequestEntity, 'status'>,
  event: RequestEvent,
): RequestStatus {
  try {
    return transition(req.status, event);
  } catch (e) {
    if (e instanceof IllegalTransitionError)
      throw new DomainError(ErrorCode.IllegalTransition, e.message, { status: req.status });
    throw e;
  }
}

/** A rule's verdict as a refusal: forbidden, with the rule's reason. */
export function assertAllowed(v: { ok: true } | { ok: false; reason: string }): void {
  if (!v.ok) throw DomainError.forbidden(v.reason);
}
