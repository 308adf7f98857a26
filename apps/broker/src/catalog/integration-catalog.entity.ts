import type { CatalogAdmin, CatalogRoleEntry, DoctorLineMessage } from '@doorman/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One database of the catalog as the connector reported it; its schemas are rows of their own. */
export interface CatalogDatabaseSummary {
  name: string;
  owner: string | null;
  publicConnect: boolean;
  error?: string;
  schemaCount: number;
}

/**
 * The latest catalog of one integration: when it was read, the connector's admin,
 * its databases, the doctor's report, and the discovery in flight. Schemas live in
 * integration_catalog_schemas, replaced whole by each discovery.
 */
@Entity({ name: 'integration_catalogs' })
export class IntegrationCatalogEntity {
  @PrimaryColumn({ name: 'integration_id', type: 'uuid' })
  integrationId!: string;

  /** When the connector read the catalog now held; null until the first discovery. */
  @Column({ name: 'discovered_at', type: 'timestamptz', nullable: true })
  discoveredAt!: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  admin!: CatalogAdmin | null;

  @Column({ type: 'jsonb', nullable: true })
  databases!: CatalogDatabaseSummary[] | null;

  /** Existing roles and whether the admin hands them out; null until a connector reports them. */
  @Column({ type: 'jsonb', nullable: true })
  roles!: CatalogRoleEntry[] | null;

  @Column({ type: 'jsonb', nullable: true })
  doctor!: DoctorLineMessage[] | null;

  @Column({ name: 'pending_discovery_id', type: 'uuid', nullable: true })
  pendingDiscoveryId!: string | null;

  @Column({ name: 'pending_since', type: 'timestamptz', nullable: true })
  pendingSince!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'last_error_at', type: 'timestamptz', nullable: true })
  lastErrorAt!: Date | null;
}
