import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { In, IsNull, Not, type Repository } from 'typeorm';
import { GroupEntity } from './group.entity';

export type GroupFields = Pick<GroupEntity, 'name' | 'memberIds' | 'slackUsergroupId'>;

/** Groups of people; members are user ids, or follow a Slack user group. */
@Injectable()
export class GroupRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get groups(): Repository<GroupEntity> {
    return this.txHost.tx.getRepository(GroupEntity);
  }

  async insert(group: GroupFields): Promise<GroupEntity> {
    return this.groups.save(this.groups.create(group));
  }

  async update(id: string, fields: Partial<GroupFields>): Promise<void> {
    await this.groups.update(id, fields);
  }

  byId(id: string): Promise<GroupEntity | null> {
    return this.groups.findOneBy({ id });
  }

  /** The group, locked until the ambient transaction ends (one member sync at a time). */
  lockForUpdate(id: string): Promise<GroupEntity | null> {
    return this.groups.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  byName(name: string): Promise<GroupEntity | null> {
    return this.groups.findOneBy({ name });
  }

  existsNamed(name: string): Promise<boolean> {
    return this.groups.existsBy({ name });
  }

  async byIds(ids: readonly string[]): Promise<GroupEntity[]> {
    return ids.length ? this.groups.findBy({ id: In([...new Set(ids)]) }) : [];
  }

  /** Groups that follow this Slack user group, or any, by name. */
  followingSlack(usergroupId?: string): Promise<GroupEntity[]> {
    return this.groups.find({
      where: { slackUsergroupId: usergroupId ?? Not(IsNull()) },
      order: { name: 'ASC' },
    });
  }

  list(): Promise<GroupEntity[]> {
    return this.groups.find({ order: { name: 'ASC' } });
  }

  async idsWithMember(userId: string): Promise<string[]> {
    const rows = await this.groups
      .createQueryBuilder('g')
      .select('g.id', 'id')
      .where(':userId = ANY(g.member_ids)', { userId })
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }
}
