import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import {
  CONTRACT_VERSION,
  DiscoverJobSchema,
  EVERYTHING,
  isEverything,
  isRoleResource,
  jobIds,
  type CatalogAdmin,
  type CatalogRoleEntry,
  type DiscoverResult,
  type DoctorLineMessage,
  type PermissionLevel,
} from '@doorman/contracts';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../identity/actor';
import type { IntegrationEntity } from '../integrations/integration.entity';
import { IntegrationsService } from '../integrations/integrations.service';
import { OutboxService } from '../outbox/outbox.service';
import { CatalogSchemaEntity } from './catalog-schema.entity';
import {
  discoveryDue,
  everythingFacts,
  isFresh,
  judgeGrantability,
  roleFacts,
  schemaKey,
} from './catalog.policy';
import { CatalogRepository } from './catalog.repository';
import type { CatalogDatabaseSummary } from './integration-catalog.entity';

/** A discovery with no result after this long is considered lost (its job or its result). */
const PENDING_TIMEOUT_MS = 5 * 60_000;

export interface CatalogView {
  integrationId: string;
  /** When the connector read it; null until the first discovery. */
  discoveredAt: Date | null;
  /** Young enough to refuse requests the admin cannot grant (CATALOG_STALE_AFTER_MS). */
  fresh: boolean;
  pending: boolean;
  lastError: string | null;
  lastErrorAt: Date | null;
  admin: CatalogAdmin | null;
  /** Existing roles offered as `member` where grantable; null until reported. */
  roles: CatalogRoleEntry[] | null;
  databases: Array<
    Omit<CatalogDatabaseSummary, 'schemaCount'> & {
      schemas: Array<{
        schema: string;
        owner: string;
        grantable: PermissionLevel[];
        reason: string | null;
        tables: Array<{ name: string; owner: string }>;
        tableCount: number;
      }>;
    }
  >;
}

export interface DoctorView {
  integrationId: string;
  discoveredAt: Date | null;
  pending: boolean;
  lastError: string | null;
  admin: CatalogAdmin | null;
  summary: Record<DoctorLineMessage['status'], number>;
  lines: DoctorLineMessage[];
}

/** Per fresh catalog: the levels grantable on each known schema (the Slack form's options). */
export type GrantableIndex = Map<string, Map<string, PermissionLevel[]>>;

/**
 * The catalog of each integration: what exists (databases, schemas, tables, owners)
 * and what the connector's admin can grant on it, plus the doctor's report. Kept fresh by a
 * periodic discovery per integration (every CATALOG_REFRESH_MS, checked by the `catalog-refresh`
 * schedule every SWEEP_INTERVAL_MS; its cost
 * grows with integrations, never with grants) and on demand; once across replicas (the
 * catalog row is locked, one discovery in flight at a time).
 */
@Injectable()
export class CatalogService {
  private readonly logger = new Logger(CatalogService.name);
  private busy = false;

  constructor(
    private readonly catalogs: CatalogRepository,
    private readonly integrations: IntegrationsService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** Enqueues the discoveries that are due; the connector does the reading. */
  async tick(now = new Date()): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const due = await this.catalogs.integrationIdsDue(
        now,
        this.config.CATALOG_REFRESH_MS,
        PENDING_TIMEOUT_MS,
      );
      for (const id of due) await this.discoverIfDue(id, now);
    } catch (err) {
      this.logger.warn({ err }, 'catalog refresh check failed; next tick retries');
    } finally {
      this.busy = false;
    }
  }

  private async discoverIfDue(integrationId: string, now: Date): Promise<void> {
    const integration = await this.integrations.get(integrationId).catch(() => null);
    if (!integration) return;
    await this.enqueueIfStillDue(integration, now);
  }

  @Transactional()
  private async enqueueIfStillDue(integration: IntegrationEntity, now: Date): Promise<void> {
    const row = await this.catalogs.lock(integration.id);
    // Another replica may have enqueued it since the query: look again under the lock.
    if (this.inFlight(row.pendingSince, now)) return;
    if (discoveryDue(row.discoveredAt, row.lastErrorAt, this.config.CATALOG_REFRESH_MS) > now)
      return;
    await this.enqueue(integration, now);
  }

  /** On demand (admin, security): a discovery already in flight is the answer. */
  @Transactional()
  async discoverNow(
    actor: Actor,
    integrationId: string,
  ): Promise<{ discoveryId: string; alreadyPending: boolean }> {
    const integration = await this.integrations.get(integrationId);
    const now = new Date();
    const row = await this.catalogs.lock(integrationId);
    if (row.pendingDiscoveryId && this.inFlight(row.pendingSince, now))
      return { discoveryId: row.pendingDiscoveryId, alreadyPending: true };
    const discoveryId = await this.enqueue(integration, now);
    await this.audit.record({
      action: 'catalog.discovery_requested',
      actor,
      integrationId,
      details: { discoveryId },
    });
    return { discoveryId, alreadyPending: false };
  }

  /** Stores a discovery's outcome, unless a newer discovery superseded it (or it came twice). */
  @Transactional()
  async onResult(r: DiscoverResult): Promise<void> {
    const row = await this.catalogs.lock(r.integrationId);
    if (row.pendingDiscoveryId !== r.discoveryId) return; // superseded or repeated
    if (r.status === 'failed') {
      const error = r.error ?? { code: 'UNKNOWN', message: 'discovery failed', retryable: true };
      await this.catalogs.recordFailure(
        r.integrationId,
        `${error.code}: ${error.message}`,
        new Date(),
      );
      this.logger.warn({ integrationId: r.integrationId, error }, 'discovery failed');
      await this.audit.record({
        action: 'catalog.discovery_failed',
        actorType: 'connector',
        channel: 'connector',
        integrationId: r.integrationId,
        details: { discoveryId: r.discoveryId, error },
      });
      return;
    }
    const schemas = r.databases.flatMap((d) =>
      d.schemas.map((s) =>
        Object.assign(new CatalogSchemaEntity(), {
          integrationId: r.integrationId,
          database: d.name,
          schema: s.schema,
          owner: s.owner,
          grantable: s.grantable,
          reason: s.reason ?? null,
          tables: s.tables,
          tableCount: s.tableCount,
        }),
      ),
    );
    await this.catalogs.replaceCatalog(
      {
        integrationId: r.integrationId,
        discoveredAt: new Date(r.at),
        admin: r.admin ?? null,
        roles: r.roles ?? null,
        databases: r.databases.map((d) => ({
          name: d.name,
          owner: d.owner,
          publicConnect: d.publicConnect,
          ...(d.error ? { error: d.error } : {}),
          schemaCount: d.schemas.length,
        })),
        doctor: r.doctor,
      },
      schemas,
    );
  }

  async view(integrationId: string, now = new Date()): Promise<CatalogView> {
    await this.integrations.get(integrationId);
    const [row, schemas] = await Promise.all([
      this.catalogs.find(integrationId),
      this.catalogs.schemasOf(integrationId),
    ]);
    return {
      integrationId,
      discoveredAt: row?.discoveredAt ?? null,
      fresh: isFresh(row?.discoveredAt ?? null, now, this.config.CATALOG_STALE_AFTER_MS),
      pending: row
        ? row.pendingDiscoveryId !== null && this.inFlight(row.pendingSince, now)
        : false,
      lastError: row?.lastError ?? null,
      lastErrorAt: row?.lastErrorAt ?? null,
      admin: row?.admin ?? null,
      roles: row?.roles ?? null,
      databases: (row?.databases ?? []).map(({ schemaCount: _count, ...d }) => ({
        ...d,
        schemas: schemas
          .filter((s) => s.database === d.name)
          .map((s) => ({
            schema: s.schema,
            owner: s.owner,
            grantable: s.grantable,
            reason: s.reason,
            tables: s.tables,
            tableCount: s.tableCount,
          })),
      })),
    };
  }

  async doctor(integrationId: string, now = new Date()): Promise<DoctorView> {
    await this.integrations.get(integrationId);
    const row = await this.catalogs.find(integrationId);
    const lines = row?.doctor ?? [];
    const summary = { ok: 0, missing: 0, warn: 0, info: 0 };
    for (const l of lines) summary[l.status] += 1;
    return {
      integrationId,
      discoveredAt: row?.discoveredAt ?? null,
      pending: row
        ? row.pendingDiscoveryId !== null && this.inFlight(row.pendingSince, now)
        : false,
      lastError: row?.lastError ?? null,
      admin: row?.admin ?? null,
      summary,
      lines,
    };
  }

  /**
   * Refuses, before anyone approves, a level the integration's admin cannot grant on a
   * schema, when a fresh catalog says so; otherwise the connector's grant remains the check.
   */
  async assertGrantable(
    integrationId: string,
    ask: { database: string; schema: string; permission: PermissionLevel },
    now = new Date(),
  ): Promise<void> {
    const row = await this.catalogs.find(integrationId);
    if (!row?.discoveredAt) return;
    const schema = isEverything(ask)
      ? everythingFacts(row.admin?.grantablePredefined ?? [])
      : isRoleResource(ask)
        ? roleFacts(row.roles, ask.schema)
        : await this.catalogs.schemaOf(integrationId, ask.database, ask.schema);
    const verdict = judgeGrantability(
      { discoveredAt: row.discoveredAt, adminName: row.admin?.name ?? null },
      schema,
      ask,
      now,
      this.config.CATALOG_STALE_AFTER_MS,
    );
    if (!verdict.ok)
      throw DomainError.notGrantable(verdict.reason, {
        field: verdict.field,
        discoveredAt: row.discoveredAt.toISOString(),
      });
  }

  /** The schemas and levels of every fresh catalog among these integrations. */
  async grantableIndex(integrationIds: string[], now = new Date()): Promise<GrantableIndex> {
    const catalogs = (await this.catalogs.findMany(integrationIds)).filter((c) =>
      isFresh(c.discoveredAt, now, this.config.CATALOG_STALE_AFTER_MS),
    );
    const fresh = catalogs.map((c) => c.integrationId);
    const index: GrantableIndex = new Map(
      catalogs.map((c) => [
        c.integrationId,
        new Map([
          [
            schemaKey(EVERYTHING, EVERYTHING),
            everythingFacts(c.admin?.grantablePredefined ?? []).grantable,
          ],
          ...(c.roles ?? []).map(
            (r) =>
              [schemaKey(EVERYTHING, r.name), roleFacts(c.roles, r.name)?.grantable ?? []] as const,
          ),
        ]),
      ]),
    );
    for (const s of await this.catalogs.grantableOf(fresh))
      index.get(s.integrationId)?.set(schemaKey(s.database, s.schema), s.grantable);
    return index;
  }

  private inFlight(pendingSince: Date | null, now: Date): boolean {
    return pendingSince !== null && now.getTime() - pendingSince.getTime() < PENDING_TIMEOUT_MS;
  }

  /** Marks the discovery pending and writes its job, both in the ambient transaction. */
  private async enqueue(integration: IntegrationEntity, now: Date): Promise<string> {
    const discoveryId = randomUUID();
    await this.catalogs.markPending(integration.id, discoveryId, now);
    const job = DiscoverJobSchema.parse({
      v: CONTRACT_VERSION,
      kind: 'discover',
      integrationId: integration.id,
      discoveryId,
      databases: integration.databases,
    });
    await this.outbox.add({
      job: { kind: 'connector', connectorId: integration.connectorId, job },
      jobId: jobIds.discover(integration.id, discoveryId),
    });
    return discoveryId;
  }
}
