import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { RequestStatus } from '../access-requests/request-state';
import { ApprovalEntity } from './approval.entity';

/** A person's decision on a step, about to be written. */
export type NewApproval = Pick<
  ApprovalEntity,
  'requestId' | 'step' | 'approverId' | 'decision' | 'reason' | 'channel'
>;

/** What a decision writes on its request. */
export interface DecisionChanges {
  status: RequestStatus;
  decidedBy: string | null;
  decidedAt: Date;
  statusReason?: string | null;
  endedAt?: Date;
  syncGeneration?: null;
}

/** The approvals table: each person's decision on each step of a request. */
@Injectable()
export class ApprovalRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  private get rows(): Repository<ApprovalEntity> {
    return this.tx.getRepository(ApprovalEntity);
  }

  /** In the order they were given. */
  ofRequest(requestId: string): Promise<ApprovalEntity[]> {
    return this.rows.find({ where: { requestId }, order: { at: 'ASC' } });
  }

  async insert(approval: NewApproval): Promise<void> {
    await this.rows.insert(approval);
  }

  /**
   * The approval that decided its request, and the request's decision: one round trip — the
   * approval's INSERT rides in a CTE of the request's UPDATE. Optional columns are set only
   * when given.
   */
  async insertDeciding(approval: NewApproval, set: DecisionChanges): Promise<void> {
    await this.tx.query(
      `WITH a AS (
         INSERT INTO approvals (request_id, step, approver_id, decision, reason, channel)
         VALUES ($1, $2, $3, $4, $5, $6))
       UPDATE access_requests
          SET status = $7, decided_by = $8, decided_at = $9,
              status_reason = CASE WHEN $10::bool THEN $11 ELSE status_reason END,
              ended_at = CASE WHEN $12::bool THEN $13::timestamptz ELSE ended_at END,
              sync_generation = CASE WHEN $14::bool THEN NULL ELSE sync_generation END,
              updated_at = CURRENT_TIMESTAMP
        WHERE id = $1`,
      [
        approval.requestId,
        approval.step,
        approval.approverId,
        approval.decision,
        approval.reason,
        approval.channel,
        set.status,
        set.decidedBy,
        set.decidedAt,
        'statusReason' in set,
        set.statusReason ?? null,
        'endedAt' in set,
        set.endedAt ?? null,
        'syncGeneration' in set,
      ],
    );
  }
}
