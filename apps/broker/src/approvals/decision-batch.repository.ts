import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';

/** The class of the group commit's per-person advisory locks ("dbat"). */
const PERSON_LOCKS = 0x64626174;

/** The locks a group commit takes up front, beyond its requests' rows. */
@Injectable()
export class DecisionBatchRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /**
   * Holds each (integration, person) until the ambient transaction ends, in one order for
   * every batch: two batches in flight that will both write (or first create) the same people's
   * database users queue behind each other instead of deadlocking. Unrelated people may share
   * a key (a hash), which only makes them wait.
   */
  async lockPeople(
    pairs: ReadonlyArray<{ integrationId: string; personId: string }>,
  ): Promise<void> {
    if (pairs.length === 0) return;
    await this.txHost.tx.query(
      `SELECT count(pg_advisory_xact_lock($1::int, s.k))
         FROM (SELECT DISTINCT hashtext(p) AS k FROM unnest($2::text[]) AS p ORDER BY k OFFSET 0) s`,
      [PERSON_LOCKS, pairs.map((p) => `${p.integrationId}:${p.personId}`)],
    );
  }
}
