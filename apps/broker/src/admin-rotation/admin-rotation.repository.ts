import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { Repository } from 'typeorm';
import { AdminRotationEntity } from './admin-rotation.entity';

export type AdminRotationFields = Partial<Omit<AdminRotationEntity, 'integrationId'>>;

/** Per integration: when its connector's own login was rotated, is due, and what is in flight. */
@Injectable()
export class AdminRotationRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get rotations(): Repository<AdminRotationEntity> {
    return this.txHost.tx.getRepository(AdminRotationEntity);
  }

  /** The integration's row, created empty if missing, locked until the ambient transaction ends. */
  async lock(integrationId: string): Promise<AdminRotationEntity> {
    await this.rotations
      .createQueryBuilder()
      .insert()
      .values({ integrationId })
      .orIgnore()
      .execute();
    return this.rotations.findOneOrFail({
      where: { integrationId },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** The row if there is one, locked until the ambient transaction ends. */
  lockExisting(integrationId: string): Promise<AdminRotationEntity | null> {
    return this.rotations.findOne({
      where: { integrationId },
      lock: { mode: 'pessimistic_write' },
    });
  }

  of(integrationId: string): Promise<AdminRotationEntity | null> {
    return this.rotations.findOneBy({ integrationId });
  }

  async update(integrationId: string, fields: AdminRotationFields): Promise<void> {
    await this.rotations.update(integrationId, fields);
  }
}
