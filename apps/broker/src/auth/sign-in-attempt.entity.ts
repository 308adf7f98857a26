import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A sign-in under way, between the redirect to the provider and its callback. The browser
 * holds a random binding value in a short-lived cookie (only its hash is here), so a callback
 * completes only in the browser that started it; PKCE verifier and nonce never leave the broker.
 */
@Entity({ name: 'sign_in_attempts' })
export class SignInAttemptEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('IDX_sign_in_attempts_binding_hash', { unique: true })
  @Column({ name: 'binding_hash', type: 'text' })
  bindingHash!: string;

  @Column({ type: 'text' })
  state!: string;

  @Column({ type: 'text' })
  nonce!: string;

  @Column({ name: 'code_verifier', type: 'text' })
  codeVerifier!: string;

  @Column({ name: 'return_to', type: 'text' })
  returnTo!: string;

  /** Set when the sign-in asked for a fresh authentication (step-up): max_age sent. */
  @Column({ name: 'max_age', type: 'integer', nullable: true })
  maxAge!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Index('IDX_sign_in_attempts_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
