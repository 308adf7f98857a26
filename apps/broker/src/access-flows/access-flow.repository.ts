import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { AccessFlowVersionEntity } from './access-flow-version.entity';
import { AccessFlowEntity } from './access-flow.entity';
import type { FlowDefinition } from './flow-definition';

/** Access flows and their versions; a version, once written, never changes. */
@Injectable()
export class AccessFlowRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  private get flows(): Repository<AccessFlowEntity> {
    return this.tx.getRepository(AccessFlowEntity);
  }

  /** A new flow at version 1, with that version recorded. */
  async insert(definition: FlowDefinition, createdBy: string): Promise<AccessFlowEntity> {
    const row = await this.flows.save(
      this.flows.create({
        name: definition.name,
        integrationId: definition.integrationId,
        version: 1,
        definition,
      }),
    );
    await this.tx
      .getRepository(AccessFlowVersionEntity)
      .insert({ flowId: row.id, version: 1, definition, createdBy });
    return row;
  }

  /** The flow, locked until the ambient transaction ends (one edit, one version, at a time). */
  lockForUpdate(id: string): Promise<AccessFlowEntity | null> {
    return this.flows.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Moves the flow to `version` with this definition, and records the version. */
  async writeVersion(
    id: string,
    version: number,
    definition: FlowDefinition,
    createdBy: string,
  ): Promise<void> {
    await this.flows.update(id, {
      name: definition.name,
      integrationId: definition.integrationId,
      version,
      definition,
    });
    await this.tx
      .getRepository(AccessFlowVersionEntity)
      .insert({ flowId: id, version, definition, createdBy });
  }

  existsNamed(name: string): Promise<boolean> {
    return this.flows.existsBy({ name });
  }

  byId(id: string): Promise<AccessFlowEntity | null> {
    return this.flows.findOneBy({ id });
  }

  byName(name: string): Promise<AccessFlowEntity | null> {
    return this.flows.findOneBy({ name });
  }

  version(flowId: string, version: number): Promise<AccessFlowVersionEntity | null> {
    return this.tx.getRepository(AccessFlowVersionEntity).findOneBy({ flowId, version });
  }

  /** Oldest first. */
  ofIntegration(integrationId: string): Promise<AccessFlowEntity[]> {
    return this.flows.find({ where: { integrationId }, order: { createdAt: 'ASC' } });
  }

  /** Oldest first. */
  list(): Promise<AccessFlowEntity[]> {
    return this.flows.find({ order: { createdAt: 'ASC' } });
  }
}
