import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';

/** Whether the database answers at all. */
@Injectable()
export class HealthRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async ping(): Promise<void> {
    await this.txHost.tx.query('SELECT 1');
  }
}
