import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A Doorman person as one provider provisions them: the provider's own id for them and the
 * name parts it sent (the person's name in Doorman is made from these). One provider a person.
 */
@Entity({ name: 'scim_users' })
export class ScimUserEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_scim_users' })
  userId!: string;

  @Index('IDX_scim_users_provider_id')
  @Column({ name: 'provider_id', type: 'uuid' })
  providerId!: string;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId!: string | null;

  @Column({ name: 'display_name', type: 'text', nullable: true })
  displayName!: string | null;

  @Column({ name: 'given_name', type: 'text', nullable: true })
  givenName!: string | null;

  @Column({ name: 'family_name', type: 'text', nullable: true })
  familyName!: string | null;

  /**
   * Set when this provider deactivated the person. Only then may it reactivate them: a person
   * security cut off by hand stays cut off, whatever the provider sends.
   */
  @Column({ name: 'deactivated_by_scim', type: 'boolean', default: false })
  deactivatedByScim!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
