import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { PermissionLevel } from '@doorman/contracts';
import { Brackets, type EntityManager, In, LessThanOrEqual, type Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AccessRequestEntity } from './access-request.entity';
import { HELD_STATUSES, type RequestStatus } from './request-state';

/** How many ids one IN list binds (PostgreSQL takes at most 65,535 parameters a statement). */
export const IN_LIST_CHUNK = 5000;

/** Columns a service may change on a request (timestamps of the row are the table's). */
export type RequestChanges = QueryDeepPartialEntity<AccessRequestEntity>;

export type NewRequest = Pick<
  AccessRequestEntity,
  | 'requesterId'
  | 'integrationId'
  | 'database'
  | 'schema'
  | 'permission'
  | 'durationSeconds'
  | 'justification'
  | 'flowId'
  | 'flowVersion'
  | 'flowName'
  | 'status'
  | 'kind'
  | 'extendsRequestId'
  | 'approverIds'
  | 'currentStep'
  | 'stepStartedAt'
  | 'pendingExpiresAt'
  | 'breakGlass'
  | 'reviewStatus'
> &
  Partial<Pick<AccessRequestEntity, 'firstLoginWaitSeconds'>>;

/** A request's outcome from a connector's result, as one row of a set-based UPDATE. */
export interface RequestOutcome {
  id: string;
  status: RequestStatus;
  grantedAt: string | null;
  expiresAt: string | null;
  endedAt: string | null;
  attempts: number | null;
}

/** One grant in force on a resource during a time range (auditors' "who had access"). */
export interface AccessWindow {
  requestId: string;
  userId: string;
  email: string;
  database: string;
  schema: string;
  permission: PermissionLevel;
  from: Date;
  until: Date | null;
  status: RequestStatus;
  breakGlass: boolean;
}

export interface RequestListFilter {
  /** Only the viewer's own requests. */
  mine: boolean;
  status?: string;
  limit: number;
  viewerId: string;
  /** The viewer reads every request (an auditor); otherwise theirs and those they may decide. */
  seesAll: boolean;
}

/** Not over yet: what a deactivation ends and a revoke-all takes back. */
const OPEN_STATUSES: RequestStatus[] = ['PENDING', 'APPROVED', 'GRANTING', 'ACTIVE'];
/** A connector is converging the person's role toward these. */
const IN_FLIGHT: RequestStatus[] = ['GRANTING', 'REVOKING'];

/**
 * The access_requests table: every read and write of the AccessRequest aggregate, in the
 * ambient transaction when one is open. Locks are row locks held until that transaction ends;
 * several rows are always locked in id order, so two transactions never wait in a cycle.
 */
@Injectable()
export class AccessRequestRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  private get rows(): Repository<AccessRequestEntity> {
    return this.tx.getRepository(AccessRequestEntity);
  }

  findById(id: string): Promise<AccessRequestEntity | null> {
    return this.rows.findOneBy({ id });
  }

  lockForUpdate(id: string): Promise<AccessRequestEntity | null> {
    return this.rows.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async lockMany(ids: readonly string[]): Promise<AccessRequestEntity[]> {
    if (ids.length === 0) return [];
    return this.rows.find({
      where: { id: In([...ids]) },
      lock: { mode: 'pessimistic_write' },
      order: { id: 'ASC' },
    });
  }

  /** Every request on the integration that is not over yet, locked (revoke-all). */
  lockOpenOnIntegration(integrationId: string): Promise<AccessRequestEntity[]> {
    return this.rows.find({
      where: { integrationId, status: In(OPEN_STATUSES) },
      lock: { mode: 'pessimistic_write' },
      order: { id: 'ASC' },
    });
  }

  async insert(request: NewRequest): Promise<AccessRequestEntity> {
    return this.rows.save(this.rows.create(request));
  }

  async update(id: string, changes: RequestChanges): Promise<void> {
    await this.rows.update(id, changes);
  }

  /** The same change on many requests, in bounded statements. */
  async updateMany(ids: readonly string[], changes: RequestChanges): Promise<void> {
    for (let i = 0; i < ids.length; i += IN_LIST_CHUNK)
      await this.rows.update({ id: In(ids.slice(i, i + IN_LIST_CHUNK)) }, changes);
  }

  /** What the people hold on the integration (GRANTING or ACTIVE): their desired state. */
  async heldBy(
    integrationId: string,
    personIds: readonly string[],
  ): Promise<AccessRequestEntity[]> {
    if (personIds.length === 0) return [];
    return this.rows.find({
      where: {
        integrationId,
        requesterId: In([...personIds]),
        status: In([...HELD_STATUSES]),
      },
    });
  }

  /** Being granted or revoked by this generation of the person's sync or an older one. */
  realisedBy(
    integrationId: string,
    personId: string,
    generation: number,
  ): Promise<AccessRequestEntity[]> {
    return this.rows.find({
      where: {
        integrationId,
        requesterId: personId,
        status: In(IN_FLIGHT),
        syncGeneration: LessThanOrEqual(generation),
      },
    });
  }

  /** Everything being granted or revoked for these people, on any integration. */
  async inFlightOf(personIds: readonly string[]): Promise<AccessRequestEntity[]> {
    if (personIds.length === 0) return [];
    return this.rows.find({
      where: { requesterId: In([...personIds]), status: In(IN_FLIGHT) },
    });
  }

  activeOf(integrationId: string, personId: string): Promise<AccessRequestEntity[]> {
    return this.rows.find({ where: { integrationId, requesterId: personId, status: 'ACTIVE' } });
  }

  /** Granted, active or being revoked: the person's access on the integration has not ended. */
  hasAccessUnderWay(integrationId: string, personId: string): Promise<boolean> {
    return this.rows.existsBy({
      integrationId,
      requesterId: personId,
      status: In(['GRANTING', 'ACTIVE', 'REVOKING']),
    });
  }

  /** Of these people, `integrationId/personId` of each whose access is under way somewhere. */
  async accessUnderWay(personIds: readonly string[]): Promise<Set<string>> {
    const open = await this.tx.query<Array<{ integration_id: string; requester_id: string }>>(
      `SELECT DISTINCT integration_id::text AS integration_id, requester_id::text AS requester_id
         FROM access_requests
        WHERE requester_id = ANY($1::uuid[]) AND status IN ('GRANTING', 'ACTIVE', 'REVOKING')`,
      [[...personIds]],
    );
    return new Set(open.map((o) => `${o.integration_id}/${o.requester_id}`));
  }

  /**
   * Stamps the requests of these people that are being granted or revoked and not yet part of
   * a sync with the generation that realises them.
   */
  async stampSyncGenerations(
    integrationId: string,
    personIds: readonly string[],
    generations: readonly number[],
  ): Promise<void> {
    await this.tx.query(
      `UPDATE access_requests r SET sync_generation = v.generation, updated_at = now()
         FROM unnest($2::uuid[], $3::int[]) AS v(person, generation)
        WHERE r.integration_id = $1 AND r.requester_id = v.person
          AND r.status IN ('GRANTING', 'REVOKING') AND r.sync_generation IS NULL`,
      [integrationId, [...personIds], [...generations]],
    );
  }

  /** Many connector outcomes in one statement. */
  async applyOutcomes(rows: readonly RequestOutcome[]): Promise<void> {
    if (rows.length === 0) return;
    await this.tx.query(
      `UPDATE access_requests r
          SET status = v.status,
              granted_at = COALESCE(v.granted_at, r.granted_at),
              expires_at = COALESCE(v.expires_at, r.expires_at),
              ended_at = COALESCE(v.ended_at, r.ended_at),
              sync_attempts = COALESCE(v.attempts, r.sync_attempts),
              last_error = NULL,
              updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[],
                     $5::timestamptz[], $6::int[])
              AS v(id, status, granted_at, expires_at, ended_at, attempts)
        WHERE r.id = v.id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.status),
        rows.map((r) => r.grantedAt),
        rows.map((r) => r.expiresAt),
        rows.map((r) => r.endedAt),
        rows.map((r) => r.attempts),
      ],
    );
  }

  /** The requester's access to exactly this resource that is approved, being granted or active. */
  grantedOrGranting(ask: {
    requesterId: string;
    integrationId: string;
    database: string;
    schema: string;
    permission: PermissionLevel;
  }): Promise<AccessRequestEntity | null> {
    return this.rows.findOne({
      where: { ...ask, kind: 'access', status: In(['APPROVED', 'GRANTING', 'ACTIVE']) },
    });
  }

  hasPendingExtension(grantId: string): Promise<boolean> {
    return this.rows.existsBy({ extendsRequestId: grantId, status: 'PENDING' });
  }

  /** Newest first. */
  list(filter: RequestListFilter): Promise<AccessRequestEntity[]> {
    const qb = this.rows.createQueryBuilder('r').orderBy('r.created_at', 'DESC').take(filter.limit);
    if (filter.status) qb.andWhere('r.status = :status', { status: filter.status });
    if (filter.mine) {
      qb.andWhere('r.requester_id = :me', { me: filter.viewerId });
    } else if (!filter.seesAll) {
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('r.requester_id = :me', { me: filter.viewerId })
            .orWhere(':me = ANY(r.approver_ids)', { me: filter.viewerId }),
        ),
      );
    }
    return qb.getMany();
  }

  /** Oldest first. */
  openOf(requesterId: string): Promise<AccessRequestEntity[]> {
    return this.rows.find({
      where: { requesterId, status: In(OPEN_STATUSES) },
      order: { createdAt: 'ASC' },
    });
  }

  /** Break-glass grants by the state of their review, newest first. */
  breakGlassByReview(status: 'open' | 'closed', limit: number): Promise<AccessRequestEntity[]> {
    return this.rows.find({
      where: { breakGlass: true, reviewStatus: status },
      order: { createdAt: 'DESC' },
      take: limit,
    });
  }

  /** ACTIVE grants whose time is up (on one integration, or anywhere). */
  async overdueGrantIds(now: Date, opts: { integrationId?: string; limit?: number } = {}) {
    const rows = await this.rows.find({
      select: { id: true },
      where: {
        status: 'ACTIVE',
        expiresAt: LessThanOrEqual(now),
        ...(opts.integrationId ? { integrationId: opts.integrationId } : {}),
      },
      take: opts.limit,
    });
    return rows.map((r) => r.id);
  }

  /** PENDING requests past their pending TTL. */
  async pendingPastTtlIds(now: Date, limit: number): Promise<string[]> {
    const rows = await this.rows.find({
      select: { id: true },
      where: { status: 'PENDING', pendingExpiresAt: LessThanOrEqual(now) },
      take: limit,
    });
    return rows.map((r) => r.id);
  }

  /** PENDING requests whose current step started by `now`: candidates for a step timeout. */
  waitingSteps(
    now: Date,
    limit: number,
  ): Promise<Array<Pick<AccessRequestEntity, 'id' | 'currentStep'>>> {
    return this.rows.find({
      select: { id: true, currentStep: true },
      where: { status: 'PENDING', stepStartedAt: LessThanOrEqual(now) },
      take: limit,
    });
  }

  /** Grants in force at any moment of [from, to) on the resource, with their person's email. */
  whoHadAccess(q: {
    integrationId: string;
    database: string;
    schema?: string;
    from: Date;
    to: Date;
  }): Promise<AccessWindow[]> {
    const qb = this.rows
      .createQueryBuilder('r')
      .innerJoin('users', 'u', 'u.id = r.requester_id')
      .select([
        'r.id AS "requestId"',
        'r.requester_id AS "userId"',
        'u.email AS "email"',
        'r.database AS "database"',
        'r.schema AS "schema"',
        'r.permission AS "permission"',
        'r.granted_at AS "from"',
        'coalesce(r.ended_at, r.expires_at) AS "until"',
        'r.status AS "status"',
        'r.break_glass AS "breakGlass"',
      ])
      .where("r.kind = 'access' AND r.granted_at IS NOT NULL")
      .andWhere('r.integration_id = :i AND r.database = :db', {
        i: q.integrationId,
        db: q.database,
      })
      .andWhere('r.granted_at < :to', { to: q.to })
      .andWhere('coalesce(r.ended_at, r.expires_at, now()) > :from', { from: q.from })
      .orderBy('r.granted_at', 'ASC')
      .limit(10000);
    if (q.schema) qb.andWhere('r.schema = :schema', { schema: q.schema });
    return qb.getRawMany<AccessWindow>();
  }

  /** Oldest first. */
  allOf(requesterId: string, limit: number): Promise<AccessRequestEntity[]> {
    return this.rows.find({
      where: { requesterId },
      order: { createdAt: 'ASC' },
      take: limit,
    });
  }
}
