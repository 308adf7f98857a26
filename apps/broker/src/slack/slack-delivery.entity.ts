import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A one-time Slack notice that was delivered, by its message key (the notice job and the
 * recipient): a notice job retried after Slack took the message does not send it twice.
 * Messages kept to be updated in place are recorded in slack_messages instead.
 */
@Entity({ name: 'slack_deliveries' })
export class SlackDeliveryEntity {
  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'text', nullable: true })
  channel!: string | null;

  @Column({ type: 'text', nullable: true })
  ts!: string | null;

  @CreateDateColumn({ name: 'delivered_at', type: 'timestamptz' })
  deliveredAt!: Date;
}
