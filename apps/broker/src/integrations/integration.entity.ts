import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { SslMode } from '@doorman/contracts';

/** One PostgreSQL server reached through one connector. */
@Entity({ name: 'integrations' })
export class IntegrationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ name: 'connector_id', type: 'uuid' })
  connectorId!: string;

  @Column({ type: 'text' })
  host!: string;

  @Column({ type: 'int' })
  port!: number;

  @Column({ type: 'text', array: true })
  databases!: string[];

  @Column({ name: 'ssl_mode', type: 'text' })
  sslMode!: SslMode;

  @Column({ name: 'rotation_days', type: 'int', default: 0 })
  rotationDays!: number;

  @Column({ name: 'cleanup_days', type: 'int', default: 0 })
  cleanupDays!: number;

  @Column({ name: 'admin_rotation_days', type: 'int', default: 0 })
  adminRotationDays!: number;

  @Column({ name: 'custom_access_details', type: 'varchar', length: 400, nullable: true })
  customAccessDetails!: string | null;

  @Column({ name: 'owner_ids', type: 'uuid', array: true, default: () => "'{}'" })
  ownerIds!: string[];

  @Column({ name: 'connection_limit', type: 'int', default: 10 })
  connectionLimit!: number;

  /**
   * Whether credentials are revealed to a token someone else minted for the requester (an
   * admin acting as them). On by default; off, only the person's own tokens and Slack reveal.
   */
  @Column({ name: 'reveal_to_minted_tokens', type: 'boolean', default: true })
  revealToMintedTokens!: boolean;

  /**
   * PEM of the CA that signed the server's certificate: handed out with credentials, so a
   * verify-ca / verify-full connection works as given. Public, not a secret.
   */
  @Column({ name: 'ca_certificate', type: 'text', nullable: true })
  caCertificate!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
