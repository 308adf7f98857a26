import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AuditEventEntity } from './audit-event.entity';

/** One event as written: the columns the trail fills in (the sealer fills in the rest). */
export type AuditEventRow = Pick<
  AuditEventEntity,
  | 'action'
  | 'actorId'
  | 'actorType'
  | 'channel'
  | 'requestId'
  | 'integrationId'
  | 'details'
  | 'sourceAddress'
>;

export interface AuditFilter {
  requestId?: string;
  integrationId?: string;
  actorId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  database?: string;
  schema?: string;
}

/** The audit trail's table: appended to, read a page at a time; never updated here. */
@Injectable()
export class AuditEventRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  /** Appends the rows in the ambient transaction, in order; returns their new ids in order. */
  async append(rows: readonly AuditEventRow[]): Promise<string[]> {
    const ids: string[] = [];
    // A thousand rows a statement: 8 parameters a row, PostgreSQL binds at most 65,535.
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows
        .slice(i, i + 1000)
        .map((row): QueryDeepPartialEntity<AuditEventEntity> => ({
          ...row,
          details: row.details as object,
        }));
      const { identifiers } = await this.tx.getRepository(AuditEventEntity).insert(chunk);
      for (const ident of identifiers) ids.push(String(ident?.id));
    }
    return ids;
  }

  async byId(id: string): Promise<AuditEventEntity | null> {
    return this.tx.getRepository(AuditEventEntity).findOneBy({ id });
  }

  /** A page of matching events in id order, after `afterId` when given. */
  async page(
    filter: AuditFilter & { limit: number; afterId?: string },
  ): Promise<AuditEventEntity[]> {
    const qb = this.tx
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .orderBy('e.id', 'ASC')
      .take(filter.limit);
    if (filter.afterId) qb.andWhere('e.id > :after', { after: filter.afterId });
    if (filter.requestId) qb.andWhere('e.request_id = :r', { r: filter.requestId });
    if (filter.integrationId) qb.andWhere('e.integration_id = :i', { i: filter.integrationId });
    if (filter.actorId) qb.andWhere('e.actor_id = :a', { a: filter.actorId });
    if (filter.action) qb.andWhere('e.action = :action', { action: filter.action });
    if (filter.from) qb.andWhere('e.at >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('e.at < :to', { to: filter.to });
    if (filter.database && filter.schema) {
      // Events of requests on that resource.
      qb.andWhere(
        'e.request_id IN (SELECT r.id FROM access_requests r WHERE r.database = :db AND r.schema = :schema' +
          (filter.integrationId ? ' AND r.integration_id = :i)' : ')'),
        { db: filter.database, schema: filter.schema },
      );
    }
    return qb.getMany();
  }
}
