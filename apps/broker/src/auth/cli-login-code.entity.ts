import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A one-time code the broker sent to a CLI's loopback address after the person signed in in the
 * browser. Only its hash is here, with the PKCE challenge the CLI chose: the code is worth a
 * token only together with the verifier, which never left the CLI.
 */
@Entity({ name: 'cli_login_codes' })
export class CliLoginCodeEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_cli_login_codes' })
  id!: string;

  @Index('IDX_cli_login_codes_code_hash', { unique: true })
  @Column({ name: 'code_hash', type: 'text' })
  codeHash!: string;

  /** base64url(SHA-256(verifier)), as the CLI sent it (PKCE S256). */
  @Column({ type: 'text' })
  challenge!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Index('IDX_cli_login_codes_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
