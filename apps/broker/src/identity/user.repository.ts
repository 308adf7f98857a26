import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { type EntityManager, In, IsNull, Not, type Repository } from 'typeorm';
import type { DoormanRole } from './doorman-roles';
import { UserEntity } from './user.entity';

export type NewUser = Pick<UserEntity, 'email' | 'name' | 'roles' | 'slackUserId'>;

/** The people Doorman knows; emails are stored lower-case. */
@Injectable()
export class UserRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  private get users(): Repository<UserEntity> {
    return this.tx.getRepository(UserEntity);
  }

  /** Inserts the person unless the email is taken (concurrent starts race here); returns the row. */
  async ensure(user: Pick<UserEntity, 'email' | 'name' | 'roles'>): Promise<UserEntity> {
    await this.users.createQueryBuilder().insert().values(user).orIgnore().execute();
    return this.users.findOneByOrFail({ email: user.email });
  }

  async insert(user: NewUser): Promise<UserEntity> {
    return this.users.save(this.users.create(user));
  }

  async updateProfile(id: string, profile: { name: string; roles: DoormanRole[] }): Promise<void> {
    await this.users.update(id, profile);
  }

  async setDeactivatedAt(id: string, deactivatedAt: Date | null): Promise<void> {
    await this.users.update(id, { deactivatedAt });
  }

  /** Links only a person with no Slack id yet, to an id nobody has: false when either fails. */
  async linkSlackUser(userId: string, slackUserId: string): Promise<boolean> {
    const res = await this.users
      .createQueryBuilder()
      .update()
      .set({ slackUserId })
      .where('id = :userId AND slack_user_id IS NULL', { userId })
      .andWhere('NOT EXISTS (SELECT 1 FROM users u WHERE u.slack_user_id = :slackUserId)', {
        slackUserId,
      })
      .execute();
    return (res.affected ?? 0) > 0;
  }

  byId(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  byEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email });
  }

  existsWithEmail(email: string): Promise<boolean> {
    return this.users.existsBy({ email });
  }

  bySlackUserId(slackUserId: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ slackUserId });
  }

  async byIds(ids: readonly string[]): Promise<UserEntity[]> {
    return ids.length ? this.users.findBy({ id: In([...new Set(ids)]) }) : [];
  }

  /** The first `limit` people, oldest first. */
  list(limit: number): Promise<UserEntity[]> {
    return this.users.find({ order: { createdAt: 'ASC' }, take: limit });
  }

  all(): Promise<UserEntity[]> {
    return this.users.find();
  }

  countActiveAdmins(): Promise<number> {
    return this.users
      .createQueryBuilder('u')
      .where(`'admin' = ANY(u.roles) AND u.deactivated_at IS NULL`)
      .getCount();
  }

  async deactivatedAmong(ids: readonly string[]): Promise<string[]> {
    if (!ids.length) return [];
    const rows = await this.users.find({
      select: { id: true },
      where: { id: In([...new Set(ids)]), deactivatedAt: Not(IsNull()) },
    });
    return rows.map((r) => r.id);
  }

  /**
   * Whether the person is deactivated, their row share-locked until the ambient transaction
   * ends (so a deactivation that starts meanwhile waits for it); null for no such person.
   */
  async lockActiveState(userId: string): Promise<{ deactivatedAt: Date | null } | null> {
    const [row] = await this.tx.query<Array<{ deactivatedAt: Date | null }>>(
      `SELECT deactivated_at AS "deactivatedAt" FROM users WHERE id = $1 FOR SHARE`,
      [userId],
    );
    return row ?? null;
  }
}
