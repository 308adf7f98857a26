import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { DomainError, ErrorCode } from '../common/errors';
import type { Actor } from '../identity/actor';
import { UsersService } from '../identity/users.service';
import type { UserEntity } from '../identity/user.entity';
import { RequestsService } from '../requests/requests.service';

export interface DeactivationResult {
  user: UserEntity;
  /** Grants revoked (sessions ended by the normal revoke path). */
  revoked: string[];
  /** Pending requests cancelled. */
  cancelled: string[];
}

/** Rounds of ending a person's open requests: one that moved meanwhile is caught by the next. */
const MAX_ROUNDS = 5;

/**
 * Cuts a person off: deactivated first, so from that moment no token of theirs
 * authenticates and Slack does not act as them — they can neither ask nor approve, and the
 * approval rules no longer count them — then every open request of theirs ends through the
 * requests service: pending ones cancelled, approved or held grants revoked.
 */
@Injectable()
export class DeactivationService {
  private readonly logger = new Logger(DeactivationService.name);

  constructor(
    private readonly users: UsersService,
    private readonly requests: RequestsService,
    private readonly audit: AuditService,
  ) {}

  async deactivate(actor: Actor, userId: string): Promise<DeactivationResult> {
    const user = await this.users.setDeactivated(actor, userId, true);
    const revoked: string[] = [];
    const cancelled: string[] = [];
    const reason = `requester ${user.email} deactivated`;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const open = await this.requests.openRequestsOf(userId);
      if (!open.length) break;
      for (const req of open) {
        try {
          if (req.status === 'PENDING') {
            if (await this.requests.cancelForDeactivated(actor, req.id, reason))
              cancelled.push(req.id);
          } else {
            await this.requests.revoke(actor, req.id, reason);
            revoked.push(req.id);
          }
        } catch (e) {
          // It moved on its own meanwhile (approved, expired): the next round sees where.
          if (!(e instanceof DomainError && e.code === ErrorCode.IllegalTransition)) throw e;
        }
      }
    }
    const left = await this.requests.openRequestsOf(userId);
    if (left.length)
      this.logger.warn(
        { userId, requestIds: left.map((r) => r.id) },
        'requests of a deactivated person still open after every round',
      );
    await this.audit.record({
      action: 'user.access_ended',
      actor,
      details: { userId, revoked, cancelled, stillOpen: left.map((r) => r.id) },
    });
    return { user, revoked, cancelled };
  }

  /** Back in: tokens that were not revoked work again; grants ended stay ended. */
  async reactivate(actor: Actor, userId: string): Promise<UserEntity> {
    return this.users.setDeactivated(actor, userId, false);
  }
}
