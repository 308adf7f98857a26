import { createHash } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import {
  CONNECTOR_JOB_KINDS,
  CONTRACT_VERSION,
  ConnectorMessageSchema,
  parseConnectorJob,
  type CleanupUserJob,
  type CleanupUserResult,
  type ConnectorJob,
  type ConnectorJobKind,
  type ConnectorMessage,
  type DiscoverJob,
  type DiscoverResult,
  type JobError,
  type RotateAdminJob,
  type RotateAdminResult,
  type SyncUserJob,
  type SyncUserResult,
} from '@doorman/contracts';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import type { AdminRotationService } from '../postgres/admin-rotation.service';
import type { DiscoveryService } from './discovery.service';
import { classifyError } from '../postgres/sqlstate';
import type { UserCleanupService } from '../postgres/user-cleanup.service';
import type { JobRef, UserSyncService } from '../postgres/user-sync.service';
import type { ResultsPublisher } from './results.publisher';

/** What runs one target's jobs (a Target; narrowed so fakes stay small). */
export interface JobTarget {
  readonly label: string;
  readonly sync: Pick<UserSyncService, 'sync'>;
  readonly cleanup: Pick<UserCleanupService, 'cleanup'>;
  readonly adminRotation?: Pick<AdminRotationService, 'rotate'>;
  readonly discovery?: Pick<DiscoveryService, 'discover'>;
}

/** Which target serves a job's integration (ConnectorTargets). */
export interface JobTargets {
  forIntegration(integrationId: string): JobTarget | undefined;
  describe(): string;
}

type PersonJob = Exclude<ConnectorJob, { kind: 'rotate-admin' | 'discover' }>;
type Handler<K extends ConnectorJobKind> = K extends PersonJob['kind']
  ? (
      target: JobTarget,
      job: Extract<ConnectorJob, { kind: K }>,
      ref: JobRef,
      base: ResultBase,
    ) => Promise<ConnectorMessage>
  : K extends 'rotate-admin'
    ? (
        target: JobTarget | undefined,
        job: RotateAdminJob,
        jobId: string,
        attempt: number,
      ) => Promise<RotateAdminResult>
    : (
        target: JobTarget | undefined,
        job: DiscoverJob,
        jobId: string,
        attempt: number,
      ) => Promise<DiscoverResult>;
type Handlers = { [K in ConnectorJobKind]: Handler<K> };

interface ResultBase {
  v: typeof CONTRACT_VERSION;
  connectorId: string;
  jobId: string;
  integrationId: string;
  personId: string;
  username: string;
  generation: number;
  attempt: number;
  correlationId?: string;
}

const MAX_EFFECTS = 200;
const MAX_TEXT = 500;
const MAX_REASSIGNED = 5000;

const clip = (items: readonly string[], max: number): string[] =>
  items.slice(0, max).map((s) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s));

/** The result message id for one attempt: a redelivered attempt adds nothing twice. */
export function resultJobId(jobId: string, attempt: number): string {
  return `result-${jobId}-${attempt}`.replace(/:/g, '_');
}

/** A short, stable tag of the job for application_name (visible in pg_stat_activity). */
export function shortJobId(jobId: string): string {
  return createHash('sha256').update(jobId).digest('hex').slice(0, 10);
}

/**
 * The job boundary: validates a payload, runs its handler, reports one result
 * per attempt on the results queue, and maps failures onto BullMQ: retryable errors are
 * rethrown (BullMQ retries with the broker's backoff), permanent ones become
 * UnrecoverableError.
 */
export class ConnectorJobsService {
  private readonly handlers: Handlers;

  constructor(
    private readonly connectorId: string,
    private readonly targets: JobTargets,
    private readonly results: ResultsPublisher,
    private readonly logger: Logger,
  ) {
    this.handlers = {
      'sync-user': (t, job, ref, base) => this.runSync(t, job, ref, base),
      'cleanup-user': (t, job, ref, base) => this.runCleanup(t, job, ref, base),
      'rotate-admin': (t, job, jobId, attempt) => this.runRotateAdmin(t, job, jobId, attempt),
      discover: (t, job, jobId, attempt) => this.runDiscover(t, job, jobId, attempt),
    };
  }

  /** Refuse to start if the contract knows a job kind this connector cannot handle. */
  assertHandlers(): void {
    const missing = CONNECTOR_JOB_KINDS.filter((k) => typeof this.handlers[k] !== 'function');
    if (missing.length > 0) throw new Error(`no handler for job kind(s): ${missing.join(', ')}`);
  }

  async process(bullJob: Job): Promise<string> {
    const jobId = bullJob.id ?? 'unknown';
    const attempt = bullJob.attemptsMade + 1;
    const parsed = parseConnectorJob(bullJob.data);
    if (!parsed.ok) {
      const reason = `invalid job payload: ${parsed.reason}`;
      this.logger.warn({ jobId, jobName: bullJob.name, attempt, reason }, 'refused job');
      await this.reportUnparsable(bullJob.data, jobId, attempt, reason);
      throw new UnrecoverableError(reason);
    }

    const job = parsed.value;
    const target = this.targets.forIntegration(job.integrationId);
    if (job.kind === 'rotate-admin') {
      // Never retried by BullMQ: a failed rotation leaves the old password working and is
      // reported; the broker decides when to try again.
      const result = await this.handlers['rotate-admin'](target, job, jobId, attempt);
      await this.results.publish(result, resultJobId(jobId, attempt));
      const fields = { jobId, kind: job.kind, attempt, effects: result.effects };
      if (result.status === 'applied') this.logger.info(fields, 'job done');
      else
        this.logger.error(
          { ...fields, error: result.error },
          'admin rotation failed; old password kept',
        );
      return result.status;
    }
    if (job.kind === 'discover') {
      // Read-only and never retried by BullMQ: a failure is reported with its reason, and the
      // broker's next scheduled (or on-demand) discovery tries again.
      const result = await this.handlers.discover(target, job, jobId, attempt);
      await this.results.publish(result, resultJobId(jobId, attempt));
      const fields = { jobId, kind: job.kind, attempt };
      if (result.status === 'applied')
        this.logger.info(
          { ...fields, databases: result.databases.length, doctorLines: result.doctor.length },
          'job done',
        );
      else this.logger.warn({ ...fields, error: result.error }, 'discovery failed');
      return result.status;
    }
    const ref: JobRef = { kind: job.kind, shortId: shortJobId(jobId) };
    const base: ResultBase = {
      v: CONTRACT_VERSION,
      connectorId: this.connectorId,
      jobId,
      integrationId: job.integrationId,
      personId: job.personId,
      username: job.username,
      generation: job.generation,
      attempt,
      correlationId: job.correlationId,
    };
    const log = this.logger.child({
      jobId,
      kind: job.kind,
      integrationId: job.integrationId,
      tag: ref.shortId,
      username: job.username,
      generation: job.generation,
      attempt,
      correlationId: job.correlationId,
    });
    const started = process.hrtime.bigint();

    let message: ConnectorMessage;
    let failure: ConnectorError | undefined;
    try {
      if (!target) throw this.notServed(job.integrationId);
      message = await this.dispatch(target, job, ref, base);
    } catch (err) {
      failure = classifyError(err);
      message = this.failureMessage(job, base, failure);
    }
    await this.results.publish(message, resultJobId(jobId, attempt));

    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (failure === undefined) {
      const status = 'status' in message ? message.status : 'ok';
      log.info({ status, ms, effects: 'effects' in message ? message.effects : [] }, 'job done');
      return status;
    }
    const errorFields = {
      code: failure.code,
      sqlstate: failure.sqlstate,
      retryable: failure.retryable,
      message: failure.message,
    };
    if (failure.retryable) {
      log.warn({ ms, error: errorFields }, 'job failed; will retry');
      throw failure;
    }
    log.error({ ms, error: errorFields }, 'job failed permanently');
    throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
  }

  /** A job for an integration no target of this connector is: permanent, and reported. */
  private notServed(integrationId: string): ConnectorError {
    return ConnectorError.permanent(
      ConnectorErrorCode.InvalidRequest,
      `this connector does not serve integration ${integrationId} (it serves ${this.targets.describe()}): add it to CONNECTOR_TARGETS_FILE or move the integration to the connector that reaches it`,
    );
  }

  private async runRotateAdmin(
    target: JobTarget | undefined,
    job: RotateAdminJob,
    jobId: string,
    attempt: number,
  ): Promise<RotateAdminResult> {
    const base = {
      v: CONTRACT_VERSION,
      kind: 'rotate-admin' as const,
      connectorId: this.connectorId,
      jobId,
      integrationId: job.integrationId,
      rotationId: job.rotationId,
      attempt,
    };
    if (!target?.adminRotation) {
      const e = target
        ? ConnectorError.permanent(
            ConnectorErrorCode.InvalidRequest,
            'admin rotation is not available in this connector',
          )
        : this.notServed(job.integrationId);
      return {
        ...base,
        status: 'failed',
        effects: [],
        error: { code: e.code, message: e.message.slice(0, 2000), retryable: false },
      };
    }
    let out;
    try {
      out = await target.adminRotation.rotate();
    } catch (err) {
      const e = classifyError(err);
      out = {
        status: 'failed' as const,
        effects: [],
        error: { code: e.code, message: e.message.slice(0, 2000), retryable: e.retryable },
      };
    }
    return { ...base, ...out, effects: clip(out.effects, 50) };
  }

  private async runDiscover(
    target: JobTarget | undefined,
    job: DiscoverJob,
    jobId: string,
    attempt: number,
  ): Promise<DiscoverResult> {
    const base = {
      v: CONTRACT_VERSION,
      kind: 'discover' as const,
      connectorId: this.connectorId,
      jobId,
      integrationId: job.integrationId,
      discoveryId: job.discoveryId,
      attempt,
    };
    const failed = (error: JobError): DiscoverResult => ({
      ...base,
      status: 'failed',
      at: new Date().toISOString(),
      databases: [],
      doctor: [],
      error,
    });
    if (!target) {
      const e = this.notServed(job.integrationId);
      return failed({ code: e.code, message: e.message.slice(0, 2000), retryable: false });
    }
    if (!target.discovery) {
      return failed({
        code: 'INVALID_REQUEST',
        message: 'discovery is not available in this connector',
        retryable: false,
      });
    }
    try {
      return { ...base, status: 'applied', ...(await target.discovery.discover(job)) };
    } catch (err) {
      const e = classifyError(err);
      return failed({
        code: e.code,
        message: e.message.slice(0, 2000),
        sqlstate: e.sqlstate,
        retryable: e.retryable,
      });
    }
  }

  private dispatch(
    target: JobTarget,
    job: PersonJob,
    ref: JobRef,
    base: ResultBase,
  ): Promise<ConnectorMessage> {
    switch (job.kind) {
      case 'sync-user':
        return this.handlers['sync-user'](target, job, ref, base);
      case 'cleanup-user':
        return this.handlers['cleanup-user'](target, job, ref, base);
    }
  }

  private async runSync(
    target: JobTarget,
    job: SyncUserJob,
    ref: JobRef,
    base: ResultBase,
  ): Promise<SyncUserResult> {
    const out = await target.sync.sync(job, ref);
    return {
      ...base,
      kind: 'sync-user',
      status: out.status,
      startedAt: out.startedAt,
      validUntil: out.validUntil,
      sealedPassword: out.sealedPassword,
      passwordIssuedAt: out.passwordIssuedAt,
      sessionsTerminated: out.sessionsTerminated,
      effects: clip(out.effects, MAX_EFFECTS),
      failedGroups: out.failedGroups,
      appliedAt: out.appliedAt,
      verification: out.verification,
    };
  }

  private async runCleanup(
    target: JobTarget,
    job: CleanupUserJob,
    ref: JobRef,
    base: ResultBase,
  ): Promise<CleanupUserResult> {
    const out = await target.cleanup.cleanup(job, ref);
    const reassigned =
      out.reassigned.length > MAX_REASSIGNED
        ? [
            ...clip(out.reassigned, MAX_REASSIGNED - 1),
            `… and ${out.reassigned.length - MAX_REASSIGNED + 1} more`,
          ]
        : clip(out.reassigned, MAX_REASSIGNED);
    return {
      ...base,
      kind: 'cleanup-user',
      status: out.status,
      reassigned,
      effects: clip(out.effects, MAX_EFFECTS),
    };
  }

  private failureMessage(job: PersonJob, base: ResultBase, e: ConnectorError): ConnectorMessage {
    const error: JobError = {
      code: e.code,
      message: e.message.slice(0, 2000),
      sqlstate: e.sqlstate,
      retryable: e.retryable,
    };
    switch (job.kind) {
      case 'sync-user':
        return {
          ...base,
          kind: 'sync-user',
          status: 'failed',
          sessionsTerminated: 0,
          effects: [],
          error,
        };
      case 'cleanup-user':
        return {
          ...base,
          kind: 'cleanup-user',
          status: 'failed',
          reassigned: [],
          effects: [],
          error,
        };
    }
  }

  /**
   * A payload that does not parse still gets a failed result when it names enough of the
   * job for the broker to know which one it was; otherwise the failed BullMQ job is the record.
   */
  private async reportUnparsable(
    data: unknown,
    jobId: string,
    attempt: number,
    reason: string,
  ): Promise<void> {
    const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    const candidate = {
      v: CONTRACT_VERSION,
      kind: d.kind,
      connectorId: this.connectorId,
      jobId,
      integrationId: d.integrationId,
      personId: d.personId,
      username: d.username,
      generation: d.generation,
      attempt,
      status: 'failed',
      error: { code: 'INVALID_PAYLOAD', message: reason.slice(0, 2000), retryable: false },
    };
    const parsed = ConnectorMessageSchema.safeParse(candidate);
    if (!parsed.success) return;
    try {
      await this.results.publish(parsed.data, resultJobId(jobId, attempt));
    } catch (err) {
      this.logger.warn({ jobId, err }, 'could not report the refused job');
    }
  }
}
