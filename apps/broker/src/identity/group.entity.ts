import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'groups' })
export class GroupEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ name: 'member_ids', type: 'uuid', array: true, default: () => "'{}'" })
  memberIds!: string[];

  /** When set, the members follow this Slack user group (kept in step by the Slack module). */
  @Column({ name: 'slack_usergroup_id', type: 'text', nullable: true })
  slackUsergroupId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
