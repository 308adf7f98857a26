import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager } from 'typeorm';
import type { Page } from './scim-protocol';
import { ScimGroupEntity } from './scim-group.entity';
import { ScimUserEntity } from './scim-user.entity';
import type { ScimGroupView, ScimUserView } from './scim-resources';

export type UserFilter = { attribute: 'userName' | 'externalId' | 'id'; value: string } | null;
export type GroupFilter = { attribute: 'displayName' | 'externalId' | 'id'; value: string } | null;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Which people and groups each provider provisions, read together with the Doorman rows they
 * stand for. A person or group belongs to one provider at most.
 */
@Injectable()
export class ScimLinkRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  /** The provider's people matching the filter, oldest first, one page of them and the total. */
  async users(
    providerId: string,
    filter: UserFilter,
    page: Page,
  ): Promise<{ total: number; rows: ScimUserView[] }> {
    if (filter?.attribute === 'id' && !UUID.test(filter.value)) return { total: 0, rows: [] };
    const where = ['s.provider_id = $1'];
    const params: unknown[] = [providerId];
    if (filter) {
      params.push(filter.attribute === 'userName' ? filter.value.toLowerCase() : filter.value);
      where.push(
        {
          userName: `u.email = $2`,
          externalId: `s.external_id = $2`,
          id: `u.id = $2`,
        }[filter.attribute],
      );
    }
    const from = `FROM "scim_users" s JOIN "users" u ON u."id" = s."user_id" WHERE ${where.join(' AND ')}`;
    const [{ n }] = await this.tx.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n ${from}`,
      params,
    );
    if (page.count === 0) return { total: n, rows: [] };
    const rows = await this.tx.query<ScimUserRow[]>(
      `SELECT ${USER_COLUMNS} ${from} ORDER BY u."created_at", u."id" OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, page.startIndex - 1, page.count],
    );
    return { total: n, rows: rows.map(userView) };
  }

  async user(providerId: string, userId: string): Promise<ScimUserView | null> {
    if (!UUID.test(userId)) return null;
    return (await this.users(providerId, { attribute: 'id', value: userId }, ONE)).rows[0] ?? null;
  }

  /** Which provider, if any, provisions this person. */
  async providerOfUser(userId: string): Promise<string | null> {
    const link = await this.tx.getRepository(ScimUserEntity).findOneBy({ userId });
    return link?.providerId ?? null;
  }

  async saveUserLink(
    link: Pick<
      ScimUserEntity,
      'userId' | 'providerId' | 'externalId' | 'displayName' | 'givenName' | 'familyName'
    > &
      Partial<Pick<ScimUserEntity, 'deactivatedByScim'>>,
  ): Promise<void> {
    await this.tx.getRepository(ScimUserEntity).save(link);
  }

  async setDeactivatedByScim(userId: string, deactivatedByScim: boolean): Promise<void> {
    await this.tx.getRepository(ScimUserEntity).update({ userId }, { deactivatedByScim });
  }

  /** Whether this provider deactivated the person (and so may reactivate them). */
  async deactivatedByScim(userId: string): Promise<boolean> {
    const link = await this.tx.getRepository(ScimUserEntity).findOneBy({ userId });
    return link?.deactivatedByScim ?? false;
  }

  async deleteUserLink(userId: string): Promise<void> {
    await this.tx.getRepository(ScimUserEntity).delete({ userId });
  }

  /** The provider's groups matching the filter, by name, one page of them and the total. */
  async groups(
    providerId: string,
    filter: GroupFilter,
    page: Page,
  ): Promise<{ total: number; rows: ScimGroupView[] }> {
    if (filter?.attribute === 'id' && !UUID.test(filter.value)) return { total: 0, rows: [] };
    const where = ['s.provider_id = $1'];
    const params: unknown[] = [providerId];
    if (filter) {
      params.push(filter.value);
      where.push(
        {
          displayName: `g.name = $2`,
          externalId: `s.external_id = $2`,
          id: `g.id = $2`,
        }[filter.attribute],
      );
    }
    const from = `FROM "scim_groups" s JOIN "groups" g ON g."id" = s."group_id" WHERE ${where.join(' AND ')}`;
    const [{ n }] = await this.tx.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n ${from}`,
      params,
    );
    if (page.count === 0) return { total: n, rows: [] };
    const rows = await this.tx.query<ScimGroupView[]>(
      `SELECT g."id", g."name" AS "displayName", s."external_id" AS "externalId", g."member_ids" AS "memberIds",
              s."created_at" AS "created", s."updated_at" AS "lastModified"
       ${from} ORDER BY g."name", g."id" OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, page.startIndex - 1, page.count],
    );
    return { total: n, rows };
  }

  async group(providerId: string, groupId: string): Promise<ScimGroupView | null> {
    if (!UUID.test(groupId)) return null;
    return (
      (await this.groups(providerId, { attribute: 'id', value: groupId }, ONE)).rows[0] ?? null
    );
  }

  async providerOfGroup(groupId: string): Promise<string | null> {
    const link = await this.tx.getRepository(ScimGroupEntity).findOneBy({ groupId });
    return link?.providerId ?? null;
  }

  async saveGroupLink(
    link: Pick<ScimGroupEntity, 'groupId' | 'providerId' | 'externalId'>,
  ): Promise<void> {
    await this.tx.getRepository(ScimGroupEntity).save(link);
  }

  /** Marks the link changed (its lastModified), when only the group's own row changed. */
  async touchGroupLink(groupId: string): Promise<void> {
    await this.tx.query(`UPDATE "scim_groups" SET "updated_at" = now() WHERE "group_id" = $1`, [
      groupId,
    ]);
  }

  async deleteGroupLink(groupId: string): Promise<void> {
    await this.tx.getRepository(ScimGroupEntity).delete({ groupId });
  }
}

const ONE: Page = { startIndex: 1, count: 1 };

const USER_COLUMNS = `u."id", u."email", u."deactivated_at" AS "deactivatedAt", s."external_id" AS "externalId",
  s."display_name" AS "displayName", s."given_name" AS "givenName", s."family_name" AS "familyName",
  s."created_at" AS "created", s."updated_at" AS "lastModified"`;

interface ScimUserRow {
  id: string;
  email: string;
  deactivatedAt: Date | null;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  created: Date;
  lastModified: Date;
}

function userView(r: ScimUserRow): ScimUserView {
  const { email, deactivatedAt, ...rest } = r;
  return { ...rest, userName: email, active: deactivatedAt === null };
}
