import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Rotation of a connector's own login to one integration's server: when it
 * last worked, when it is due, the one in flight. The password itself never reaches the broker.
 */
@Entity({ name: 'admin_rotations' })
export class AdminRotationEntity {
  @PrimaryColumn({ name: 'integration_id', type: 'uuid' })
  integrationId!: string;

  @Column({ name: 'last_rotated_at', type: 'timestamptz', nullable: true })
  lastRotatedAt!: Date | null;

  @Column({ name: 'due_at', type: 'timestamptz', nullable: true })
  dueAt!: Date | null;

  @Column({ name: 'pending_rotation_id', type: 'uuid', nullable: true })
  pendingRotationId!: string | null;

  @Column({ name: 'pending_since', type: 'timestamptz', nullable: true })
  pendingSince!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
