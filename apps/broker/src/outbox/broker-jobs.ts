import { connectorQueueName, TIMERS_QUEUE, type ConnectorJob } from '@doorman/contracts';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Timers of pending requests: a step's timeout and the pending TTL. */
export const REQUEST_TIMERS_QUEUE = 'request-timers';

/** Slack notices of audited changes, delivered by the notifications processor. */
export const NOTIFICATIONS_QUEUE = 'broker-notifications';

const ExpireGrantSchema = z.object({ kind: z.literal('expire-grant'), requestId: z.uuid() });
const CleanupDueSchema = z.object({ kind: z.literal('cleanup-due'), databaseUserId: z.uuid() });
const RetrySyncSchema = z.object({
  kind: z.literal('retry-sync'),
  databaseUserId: z.uuid(),
  generation: z.number().int().positive(),
});
const StepTimeoutSchema = z.object({
  kind: z.literal('step-timeout'),
  requestId: z.uuid(),
  step: z.number().int().min(0),
});
const PendingExpireSchema = z.object({
  kind: z.literal('pending-expire'),
  requestId: z.uuid(),
  step: z.number().int().min(0),
});

/** A grant's expiry, a database user's cleanup date, a refused revoke tried again. */
export const GrantTimerJobSchema = z.discriminatedUnion('kind', [
  ExpireGrantSchema,
  CleanupDueSchema,
  RetrySyncSchema,
]);
export type GrantTimerJob = z.infer<typeof GrantTimerJobSchema>;

export const RequestTimerJobSchema = z.discriminatedUnion('kind', [
  StepTimeoutSchema,
  PendingExpireSchema,
]);
export type RequestTimerJob = z.infer<typeof RequestTimerJobSchema>;

/**
 * Tell Slack about one audited change. Only the event's id: the processor reads the event (and
 * the request as it stands) when it runs, so no message text or secret sits in Redis.
 */
export const NotifyJobSchema = z.object({
  kind: z.literal('notify'),
  auditEventId: z.string().regex(/^[1-9][0-9]{0,18}$/),
});
export type NotifyJob = z.infer<typeof NotifyJobSchema>;

/** One notice per audit event: a second enqueue of the same event is the same job. */
export function notifyJobId(auditEventId: string): string {
  return `notify-${auditEventId}`;
}

/** Rules that changed, judged against the access they allowed (rule-changes/). */
export const RULE_CHANGES_QUEUE = 'broker-rule-changes';

/**
 * A change that may leave open access no longer allowed: a flow's new version, members who
 * left a group, Doorman roles taken from a person. Ids only; who made it by id and channel.
 */
export const RuleChangeJobSchema = z.object({
  kind: z.literal('rule-change'),
  changeId: z.uuid(),
  cause: z.discriminatedUnion('type', [
    z.object({ type: z.literal('flow'), flowId: z.uuid(), version: z.number().int().positive() }),
    z.object({
      type: z.literal('membership'),
      groupId: z.uuid(),
      removedUserIds: z.array(z.uuid()).min(1),
    }),
    z.object({
      type: z.literal('roles'),
      userId: z.uuid(),
      removedRoles: z.array(z.enum(['requester', 'approver'])).min(1),
    }),
  ]),
  changedBy: z.object({ id: z.string().nullable(), channel: z.string() }),
});
export type RuleChangeJob = z.infer<typeof RuleChangeJobSchema>;

/** The job for one change, written in the change's own transaction. */
export function ruleChangeJob(
  cause: RuleChangeJob['cause'],
  changedBy: { id: string | null; channel: string },
): OutboxJob {
  const changeId = randomUUID();
  return {
    job: { kind: 'rule-change', changeId, cause, changedBy },
    jobId: `rule-change-${changeId}`,
  };
}

/** Work for a connector, on that connector's queue. */
export interface ConnectorBoundJob {
  kind: 'connector';
  connectorId: string;
  job: ConnectorJob;
}

/**
 * Every job the broker enqueues through the outbox, one discriminated union: the outbox
 * stores where each goes, the processors parse them back with the schemas above.
 */
export type BrokerJob =
  ConnectorBoundJob | GrantTimerJob | RequestTimerJob | NotifyJob | RuleChangeJob;

/** A job as written to the outbox: its deterministic id (a double enqueue is one job) and time. */
export interface OutboxJob {
  job: BrokerJob;
  jobId: string;
  runAt?: Date | null;
}

/** Where a job goes in BullMQ: its queue, its name there, and its data. */
export interface Routed {
  queue: string;
  jobName: string;
  payload: Record<string, unknown>;
}

export function route(job: BrokerJob): Routed {
  switch (job.kind) {
    case 'connector':
      return {
        queue: connectorQueueName(job.connectorId),
        jobName: job.job.kind,
        payload: job.job,
      };
    case 'expire-grant':
    case 'cleanup-due':
    case 'retry-sync':
      return { queue: TIMERS_QUEUE, jobName: job.kind, payload: job };
    case 'step-timeout':
    case 'pending-expire':
      return { queue: REQUEST_TIMERS_QUEUE, jobName: job.kind, payload: job };
    case 'notify':
      return { queue: NOTIFICATIONS_QUEUE, jobName: job.kind, payload: job };
    case 'rule-change':
      return { queue: RULE_CHANGES_QUEUE, jobName: job.kind, payload: job };
  }
}

/**
 * A timer job's data as the processors read it. Jobs enqueued before the union carried no
 * `kind` in their data, only as the job's name: the name fills it in.
 */
export function timerData(name: string, data: unknown): unknown {
  return data && typeof data === 'object' ? { kind: name, ...data } : data;
}
