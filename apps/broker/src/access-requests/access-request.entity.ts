import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { PermissionLevel } from '@doorman/contracts';
import type { RequestStatus } from './request-state';

/**
 * One ask by one requester, and — once approved — its grant: start, expiry, the
 * generation of the person's database user that realises its current transition.
 */
@Entity({ name: 'access_requests' })
@Index(['requesterId', 'integrationId', 'status'])
@Index(['status', 'expiresAt'])
// The lists sort newest first (all, by status): without these, 100,000 rows are sorted per call.
@Index('IDX_access_requests_created_at', ['createdAt'])
@Index('IDX_access_requests_status_created_at', ['status', 'createdAt'])
export class AccessRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'requester_id', type: 'uuid' })
  requesterId!: string;

  @Column({ name: 'integration_id', type: 'uuid' })
  integrationId!: string;

  @Column({ name: 'flow_id', type: 'uuid' })
  flowId!: string;

  @Column({ name: 'flow_version', type: 'int' })
  flowVersion!: number;

  /** The flow's name at the version that judged the request (shown with it, REST and Slack). */
  @Column({ name: 'flow_name', type: 'text', nullable: true })
  flowName!: string | null;

  @Column({ type: 'text' })
  database!: string;

  @Column({ type: 'text' })
  schema!: string;

  @Column({ type: 'text' })
  permission!: PermissionLevel;

  @Column({ name: 'duration_seconds', type: 'int' })
  durationSeconds!: number;

  @Column({ type: 'text', nullable: true })
  justification!: string | null;

  @Column({ type: 'text' })
  status!: RequestStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: string | null;

  @Column({ name: 'decided_by', type: 'uuid', nullable: true })
  decidedBy!: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  @Column({ name: 'granted_at', type: 'timestamptz', nullable: true })
  grantedAt!: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'ended_by', type: 'uuid', nullable: true })
  endedBy!: string | null;

  @Column({ name: 'sync_generation', type: 'int', nullable: true })
  syncGeneration!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'sync_attempts', type: 'int', default: 0 })
  syncAttempts!: number;

  /** 'access', or 'extension' of the ACTIVE request in extendsRequestId. */
  @Column({ type: 'text', default: 'access' })
  kind!: 'access' | 'extension';

  @Column({ name: 'extends_request_id', type: 'uuid', nullable: true })
  extendsRequestId!: string | null;

  /** Everyone who could decide some step, at creation: for visibility and revoke rights. */
  @Column({ name: 'approver_ids', type: 'uuid', array: true, default: () => "'{}'" })
  approverIds!: string[];

  @Column({ name: 'current_step', type: 'int', default: 0 })
  currentStep!: number;

  @Column({ name: 'step_started_at', type: 'timestamptz', nullable: true })
  stepStartedAt!: Date | null;

  @Column({ type: 'boolean', default: false })
  escalated!: boolean;

  @Column({ name: 'pending_expires_at', type: 'timestamptz', nullable: true })
  pendingExpiresAt!: Date | null;

  @Column({ name: 'extension_count', type: 'int', default: 0 })
  extensionCount!: number;

  @Column({ name: 'break_glass', type: 'boolean', default: false })
  breakGlass!: boolean;

  /** Break-glass follow-up review: 'open' until security closes it. */
  @Column({ name: 'review_status', type: 'text', nullable: true })
  reviewStatus!: 'open' | 'closed' | null;

  @Column({ name: 'review_note', type: 'text', nullable: true })
  reviewNote!: string | null;

  @Column({ name: 'review_closed_by', type: 'uuid', nullable: true })
  reviewClosedBy!: string | null;

  @Column({ name: 'review_closed_at', type: 'timestamptz', nullable: true })
  reviewClosedAt!: Date | null;

  /** The first session of the grant's database user seen while it was active (usage/). */
  @Column({ name: 'first_used_at', type: 'timestamptz', nullable: true })
  firstUsedAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  /**
   * Set when the flow's duration counts from the first login: how long the access may wait
   * for it before it ends as unused. Until then `expiresAt` is the hard bound (wait + duration).
   */
  @Column({ name: 'first_login_wait_seconds', type: 'int', nullable: true })
  firstLoginWaitSeconds!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
