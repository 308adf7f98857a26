import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An identity provider (Okta, Entra ID, …) allowed to provision people and groups over SCIM.
 * Its bearer token is shown once; only the token's hash is stored, so this table opens nothing.
 */
@Entity({ name: 'scim_providers' })
export class ScimProviderEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_scim_providers' })
  id!: string;

  @Index('IDX_scim_providers_name', { unique: true })
  @Column({ type: 'text' })
  name!: string;

  @Index('IDX_scim_providers_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  /** The admin who created the provider. */
  @Column({ name: 'created_by_id', type: 'uuid' })
  createdById!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When the token in use was minted: at creation, then at each rotation. */
  @Column({ name: 'token_issued_at', type: 'timestamptz' })
  tokenIssuedAt!: Date;
}
