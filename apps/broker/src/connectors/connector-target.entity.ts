import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One server a connector with a targets file serves, as its last heartbeat for that
 * integration told: whether it reached the server, and which version answered.
 */
@Entity({ name: 'connector_targets' })
export class ConnectorTargetEntity {
  @PrimaryColumn({ name: 'integration_id', type: 'uuid' })
  integrationId!: string;

  @Column({ name: 'connector_id', type: 'uuid' })
  connectorId!: string;

  /** From the last heartbeat that reached the server; kept while it is away. */
  @Column({ name: 'server_version', type: 'text', nullable: true })
  serverVersion!: string | null;

  @Column({ name: 'last_heartbeat_at', type: 'timestamptz' })
  lastHeartbeatAt!: Date;

  /** The last heartbeat in which the server answered; null if it never did. */
  @Column({ name: 'last_reached_at', type: 'timestamptz', nullable: true })
  lastReachedAt!: Date | null;
}
