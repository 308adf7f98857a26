import type { PermissionLevel } from '@doorman/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One schema of an integration's catalog: its owner, tables, and what the admin can grant there. */
@Entity({ name: 'integration_catalog_schemas' })
export class CatalogSchemaEntity {
  @PrimaryColumn({ name: 'integration_id', type: 'uuid' })
  integrationId!: string;

  @PrimaryColumn({ name: 'database', type: 'text' })
  database!: string;

  @PrimaryColumn({ name: 'schema', type: 'text' })
  schema!: string;

  @Column({ type: 'text' })
  owner!: string;

  @Column({ type: 'text', array: true })
  grantable!: PermissionLevel[];

  /** Why nothing (or not everything) can be granted here. */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ type: 'jsonb' })
  tables!: Array<{ name: string; owner: string }>;

  /** How many tables there are (the list may be clipped). */
  @Column({ name: 'table_count', type: 'int' })
  tableCount!: number;
}
