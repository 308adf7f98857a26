import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A person signed in through the browser. The cookie carries a random session id; only its
 * hash is stored, so a copy of this table opens no session.
 */
@Entity({ name: 'browser_sessions' })
export class BrowserSessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('IDX_browser_sessions_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  @Index('IDX_browser_sessions_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** When the provider last authenticated the person (the ID token's auth_time). */
  @Column({ name: 'auth_time', type: 'timestamptz', nullable: true })
  authTime!: Date | null;

  @Column({ type: 'text', nullable: true })
  acr!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  amr!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** The idle timeout slides from here (moved at most once a minute). */
  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;

  /** The absolute end, fixed at sign-in. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
