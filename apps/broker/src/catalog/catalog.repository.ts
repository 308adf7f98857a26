import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { In, type EntityManager } from 'typeorm';
import { CatalogSchemaEntity } from './catalog-schema.entity';
import { IntegrationCatalogEntity } from './integration-catalog.entity';

/** What each integration's connector last read of its server: the catalog and doctor report. */
@Injectable()
export class CatalogRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  /**
   * Integrations whose catalog was never read or is older than `refreshMs` (a failure counts
   * as a read, so a broken connector is asked again once a period, not on every tick), with
   * no discovery in flight younger than `pendingTimeoutMs`. One query, whatever the grants.
   */
  async integrationIdsDue(
    now: Date,
    refreshMs: number,
    pendingTimeoutMs: number,
  ): Promise<string[]> {
    const rows = await this.tx.query<Array<{ id: string }>>(
      `SELECT i.id FROM integrations i
         LEFT JOIN integration_catalogs c ON c.integration_id = i.id
        WHERE (c.integration_id IS NULL
               OR GREATEST(c.discovered_at, c.last_error_at) IS NULL
               OR GREATEST(c.discovered_at, c.last_error_at) <= $1::timestamptz - make_interval(secs => $2::double precision / 1000))
          AND (c.pending_since IS NULL
               OR c.pending_since <= $1::timestamptz - make_interval(secs => $3::double precision / 1000))
        ORDER BY i.created_at`,
      [now.toISOString(), refreshMs, pendingTimeoutMs],
    );
    return rows.map((r) => r.id);
  }

  /** The integration's catalog row, created empty if missing, locked until the transaction ends. */
  async lock(integrationId: string): Promise<IntegrationCatalogEntity> {
    const repo = this.tx.getRepository(IntegrationCatalogEntity);
    await repo.createQueryBuilder().insert().values({ integrationId }).orIgnore().execute();
    return repo.findOneOrFail({ where: { integrationId }, lock: { mode: 'pessimistic_write' } });
  }

  async markPending(integrationId: string, discoveryId: string, since: Date): Promise<void> {
    await this.tx
      .getRepository(IntegrationCatalogEntity)
      .update(integrationId, { pendingDiscoveryId: discoveryId, pendingSince: since });
  }

  /** Replaces the catalog whole: a schema dropped since the last discovery disappears. */
  async replaceCatalog(
    header: Pick<
      IntegrationCatalogEntity,
      'integrationId' | 'discoveredAt' | 'admin' | 'databases' | 'roles' | 'doctor'
    >,
    schemas: CatalogSchemaEntity[],
  ): Promise<void> {
    await this.tx.getRepository(IntegrationCatalogEntity).update(header.integrationId, {
      ...header,
      pendingDiscoveryId: null,
      pendingSince: null,
      lastError: null,
      lastErrorAt: null,
    });
    const rows = this.tx.getRepository(CatalogSchemaEntity);
    await rows.delete({ integrationId: header.integrationId });
    for (let i = 0; i < schemas.length; i += 500) await rows.insert(schemas.slice(i, i + 500));
  }

  async recordFailure(integrationId: string, error: string, at: Date): Promise<void> {
    await this.tx.getRepository(IntegrationCatalogEntity).update(integrationId, {
      pendingDiscoveryId: null,
      pendingSince: null,
      lastError: error,
      lastErrorAt: at,
    });
  }

  find(integrationId: string): Promise<IntegrationCatalogEntity | null> {
    return this.tx.getRepository(IntegrationCatalogEntity).findOneBy({ integrationId });
  }

  schemasOf(integrationId: string): Promise<CatalogSchemaEntity[]> {
    return this.tx
      .getRepository(CatalogSchemaEntity)
      .find({ where: { integrationId }, order: { database: 'ASC', schema: 'ASC' } });
  }

  schemaOf(
    integrationId: string,
    database: string,
    schema: string,
  ): Promise<CatalogSchemaEntity | null> {
    return this.tx
      .getRepository(CatalogSchemaEntity)
      .findOneBy({ integrationId, database, schema });
  }

  findMany(integrationIds: string[]): Promise<IntegrationCatalogEntity[]> {
    if (!integrationIds.length) return Promise.resolve([]);
    return this.tx.getRepository(IntegrationCatalogEntity).find({
      select: { integrationId: true, discoveredAt: true, admin: true, roles: true },
      where: { integrationId: In(integrationIds) },
    });
  }

  /** What can be granted where, without the tables (the Slack form's options). */
  grantableOf(integrationIds: string[]): Promise<CatalogSchemaEntity[]> {
    if (!integrationIds.length) return Promise.resolve([]);
    return this.tx.getRepository(CatalogSchemaEntity).find({
      select: { integrationId: true, database: true, schema: true, grantable: true },
      where: { integrationId: In(integrationIds) },
    });
  }
}
