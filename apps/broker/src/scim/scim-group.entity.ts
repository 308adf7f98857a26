import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A Doorman group whose name and members one provider pushes over SCIM. */
@Entity({ name: 'scim_groups' })
export class ScimGroupEntity {
  @PrimaryColumn({ name: 'group_id', type: 'uuid', primaryKeyConstraintName: 'PK_scim_groups' })
  groupId!: string;

  @Index('IDX_scim_groups_provider_id')
  @Column({ name: 'provider_id', type: 'uuid' })
  providerId!: string;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
