import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';

/** Arbitrary, fixed: the advisory lock that one policy apply at a time holds. */
const POLICY_APPLY_LOCK_KEY = 0x706f6c69; // "poli"

/** What applying a policy file needs of the database beyond the features' own tables. */
@Injectable()
export class PolicyRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /**
   * Waits until no other apply is running, then holds the lock until the ambient transaction
   * ends: replicas starting together with the same POLICY_FILE apply it one after the other,
   * and the second finds nothing to change instead of tripping over the first's new rows.
   */
  async lockApplies(): Promise<void> {
    await this.txHost.tx.query('SELECT pg_advisory_xact_lock($1)', [POLICY_APPLY_LOCK_KEY]);
  }
}
