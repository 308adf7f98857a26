import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { MoreThan, type Repository } from 'typeorm';
import { IntegrationEntity } from './integration.entity';

export type IntegrationFields = Omit<IntegrationEntity, 'id' | 'createdAt'>;

/** The PostgreSQL servers Doorman grants on, each through one connector. */
@Injectable()
export class IntegrationRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get integrations(): Repository<IntegrationEntity> {
    return this.txHost.tx.getRepository(IntegrationEntity);
  }

  async insert(fields: IntegrationFields): Promise<IntegrationEntity> {
    return this.integrations.save(this.integrations.create(fields));
  }

  async update(id: string, fields: Partial<IntegrationFields>): Promise<void> {
    await this.integrations.update(id, fields);
  }

  byId(id: string): Promise<IntegrationEntity | null> {
    return this.integrations.findOneBy({ id });
  }

  byName(name: string): Promise<IntegrationEntity | null> {
    return this.integrations.findOneBy({ name });
  }

  existsNamed(name: string): Promise<boolean> {
    return this.integrations.existsBy({ name });
  }

  /** Integrations whose connector's own login is rotated on a schedule. */
  async idsRotatingAdmin(): Promise<string[]> {
    const rows = await this.integrations.find({
      select: { id: true },
      where: { adminRotationDays: MoreThan(0) },
    });
    return rows.map((r) => r.id);
  }

  /** Oldest first. */
  list(): Promise<IntegrationEntity[]> {
    return this.integrations.find({ order: { createdAt: 'ASC' } });
  }
}
