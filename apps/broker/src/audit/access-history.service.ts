import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import {
  AccessRequestRepository,
  type AccessWindow,
} from '../access-requests/access-request.repository';

/**
 * Answers for auditors: who had access to a resource in a time range, what a person asked for,
 * and whose request a trail belongs to (a requester may read their own).
 */
@Injectable()
export class AccessHistoryService {
  constructor(private readonly requests: AccessRequestRepository) {}

  /** Grants that were in force at any moment of [from, to) on the resource. */
  whoHadAccess(q: {
    integrationId: string;
    database: string;
    schema?: string;
    from: Date;
    to: Date;
  }): Promise<AccessWindow[]> {
    return this.requests.whoHadAccess(q);
  }

  /** The person who asked for the request; not found when there is no such request. */
  async requesterOf(requestId: string): Promise<string> {
    const request = await this.requests.findById(requestId);
    if (!request) throw DomainError.notFound('access request', requestId);
    return request.requesterId;
  }

  requestsOf(userId: string): Promise<AccessRequestEntity[]> {
    return this.requests.allOf(userId, 10000);
  }
}
