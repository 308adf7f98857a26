import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AccessRequestEntity } from '../access-requests/access-request.entity';

/** Answers for auditors: who had access to a resource in a time range, and what a person asked for. */
@Injectable()
export class AccessHistoryService {
  constructor(
    @InjectRepository(AccessRequestEntity)
    private readonly requests: Repository<AccessRequestEntity>,
  ) {}

  /** Grants that were in force at any moment of [from, to) on the resource. */
  async whoHadAccess(q: {
    integrationId: string;
    database: string;
    schema?: string;
    from: Date;
    to: Date;
  }) {
    const qb = this.requests
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
    return qb.getRawMany();
  }

  async requestsOf(userId: string): Promise<AccessRequestEntity[]> {
    return this.requests.find({
      where: { requesterId: userId },
      order: { createdAt: 'ASC' },
      take: 10000,
    });
  }
}
