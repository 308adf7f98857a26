import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { Repository } from 'typeorm';
import { ScimProviderEntity } from './scim-provider.entity';

/** The identity providers allowed to provision over SCIM. */
@Injectable()
export class ScimProviderRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get providers(): Repository<ScimProviderEntity> {
    return this.txHost.tx.getRepository(ScimProviderEntity);
  }

  insert(p: Pick<ScimProviderEntity, 'name' | 'tokenHash' | 'createdById'>) {
    return this.providers.save(this.providers.create({ ...p, tokenIssuedAt: new Date() }));
  }

  existsNamed(name: string): Promise<boolean> {
    return this.providers.existsBy({ name });
  }

  byId(id: string): Promise<ScimProviderEntity | null> {
    return this.providers.findOneBy({ id });
  }

  byTokenHash(tokenHash: string): Promise<ScimProviderEntity | null> {
    return this.providers.findOneBy({ tokenHash });
  }

  list(): Promise<ScimProviderEntity[]> {
    return this.providers.find({ order: { name: 'ASC' } });
  }

  /** The old token stops working the moment this commits. */
  async replaceToken(id: string, tokenHash: string, tokenIssuedAt: Date): Promise<void> {
    await this.providers.update(id, { tokenHash, tokenIssuedAt });
  }
}
