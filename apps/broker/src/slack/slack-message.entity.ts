import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A Slack message Doorman posted about a request, so it can be updated in place later
 * (every approver's copy when someone decides), and a claim that makes one-time notices
 * (the expiry warning) happen once across broker replicas.
 */
export type SlackMessageKind =
  | 'approval'
  | 'expiry_warning'
  /** The requester's "submitted" DM (Cancel while pending), and their "ready" DM (Reveal, Revoke). */
  | 'submitted'
  | 'ready'
  | 'failure_notice'
  | 'break_glass';

@Entity({ name: 'slack_messages' })
@Index(['requestId', 'kind', 'recipientUserId'], { unique: true })
export class SlackMessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId!: string;

  @Column({ type: 'text' })
  kind!: SlackMessageKind;

  /** The Doorman user the message was sent to; for a post in a flow's channel, see askRound. */
  @Column({ name: 'recipient_user_id', type: 'uuid' })
  recipientUserId!: string;

  /** Null while claimed but not yet posted. */
  @Column({ type: 'text', nullable: true })
  channel!: string | null;

  @Column({ type: 'text', nullable: true })
  ts!: string | null;

  /**
   * The notice job that claimed it, while not posted: that job's retry (after its broker
   * stopped mid-post, or Slack failed) takes the claim over; anyone else leaves it to that job.
   */
  @Column({ name: 'claimed_by', type: 'text', nullable: true })
  claimedBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
