import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { In, type Repository } from 'typeorm';
import { AccessRequestEntity } from '../access-requests/access-request.entity';
import type { RequestStatus } from '../access-requests/request-state';

/** Asked for or granted, and not over: what a rule change may take away. */
const OPEN: RequestStatus[] = ['PENDING', 'APPROVED', 'GRANTING', 'ACTIVE'];

/** The reads a rule change needs to find what it touches, and what it already did. */
@Injectable()
export class RuleChangeRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get requests(): Repository<AccessRequestEntity> {
    return this.txHost.tx.getRepository(AccessRequestEntity);
  }

  /** Open requests judged under any version of the flow. */
  async openUnderFlow(flowId: string): Promise<string[]> {
    const rows = await this.requests.find({
      select: { id: true },
      where: { flowId, status: In(OPEN) },
      order: { id: 'ASC' },
    });
    return rows.map((r) => r.id);
  }

  /** Open requests of these people, on any integration. */
  async openOf(personIds: readonly string[]): Promise<string[]> {
    if (personIds.length === 0) return [];
    const rows = await this.requests.find({
      select: { id: true },
      where: { requesterId: In([...personIds]), status: In(OPEN) },
      order: { id: 'ASC' },
    });
    return rows.map((r) => r.id);
  }

  /** Pending requests naming any of these people among their approvers. */
  async pendingNaming(personIds: readonly string[]): Promise<string[]> {
    if (personIds.length === 0) return [];
    const rows = await this.requests
      .createQueryBuilder('r')
      .select('r.id', 'id')
      .where('r.status = :status', { status: 'PENDING' })
      .andWhere('r.approver_ids && :ids::uuid[]', { ids: [...personIds] })
      .orderBy('r.id', 'ASC')
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  async setApprovers(requestId: string, approverIds: string[]): Promise<void> {
    await this.requests.update(requestId, { approverIds });
  }

  /** This change already judged this request (its job ran before, then failed further on). */
  async alreadyJudged(changeId: string, requestId: string): Promise<boolean> {
    const rows = await this.txHost.tx.query<unknown[]>(
      `SELECT 1 FROM "audit_events"
        WHERE "request_id" = $1 AND "action" = 'rule_change.applied'
          AND "details"->>'changeId' = $2 AND "details"->>'outcome' <> 'approvers_removed'
        LIMIT 1`,
      [requestId, changeId],
    );
    return rows.length > 0;
  }
}
