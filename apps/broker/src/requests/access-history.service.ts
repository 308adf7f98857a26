import { Injectable } from '@nestjs/common';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import {
  AccessRequestRepository,
  type AccessWindow,
} from '../access-requests/access-request.repository';

/** Answers for auditors: who had access to a resource in a time range, and what a person asked for. */
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

  requestsOf(userId: string): Promise<AccessRequestEntity[]> {
    return this.requests.allOf(userId, 10000);
  }
}
