import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { In, type Repository } from 'typeorm';
import { AccessRequestEntity } from '../access-requests/access-request.entity';
import type { RequestStatus } from '../access-requests/request-state';
import { ROLE_FOR } from '../common/role-rules';

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

  /**
   * The periodic review's first pass, set-based: open requests the judge may now refuse — judged
   * under an older version of their flow, their requester without the requester role, or no
   * longer named by their flow's requestors (directly or through a group). The judge decides.
   */
  async reviewCandidates(): Promise<string[]> {
    const rows = await this.txHost.tx.query<Array<{ id: string }>>(
      `SELECT r."id" FROM "access_requests" r
         JOIN "access_flows" f ON f."id" = r."flow_id"
         JOIN "users" u ON u."id" = r."requester_id"
        WHERE r."status" = ANY($1::text[])
          AND (r."flow_version" < f."version"
               OR NOT ($2 = ANY(u."roles"))
               OR NOT (
                 COALESCE(f."definition"->'requestorUserIds', '[]'::jsonb) ? r."requester_id"::text
                 OR EXISTS (
                   SELECT 1 FROM "groups" g
                    WHERE COALESCE(f."definition"->'requestorGroupIds', '[]'::jsonb) ? g."id"::text
                      AND r."requester_id" = ANY(g."member_ids"))))
        ORDER BY r."id"`,
      [OPEN, ROLE_FOR.ask],
    );
    return rows.map((r) => r.id);
  }

  /** Pending requests naming an approver who does not hold the approver role. */
  async pendingNamingWithoutApproverRole(): Promise<string[]> {
    const rows = await this.txHost.tx.query<Array<{ id: string }>>(
      `SELECT r."id" FROM "access_requests" r
        WHERE r."status" = 'PENDING'
          AND EXISTS (SELECT 1 FROM "users" u
                       WHERE u."id" = ANY(r."approver_ids") AND NOT ($1 = ANY(u."roles")))
        ORDER BY r."id"`,
      [ROLE_FOR.approve],
    );
    return rows.map((r) => r.id);
  }

  /**
   * The requester was already told this request is kept, for this very reason (by a change or
   * an earlier review): telling again would add nothing.
   */
  async alreadyTold(requestId: string, reason: string): Promise<boolean> {
    const rows = await this.txHost.tx.query<unknown[]>(
      `SELECT 1 FROM "audit_events"
        WHERE "request_id" = $1 AND "action" = 'rule_change.applied'
          AND "details"->>'outcome' = 'kept' AND "details"->>'reason' = $2
        LIMIT 1`,
      [requestId, reason],
    );
    return rows.length > 0;
  }
}
