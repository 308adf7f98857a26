import {
  describeResource,
  isRoleResource,
  type Residue,
  type RevokeVerification,
} from '@doorman/contracts';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import type { ApprovalEntity } from '../approvals/approval.entity';
import type { AuditEventEntity } from '../audit/audit-event.entity';
import { formatDuration } from '../common/durations';
import { residueLeft } from '../grants/revoke-verification';

/**
 * An access receipt, pure: one document that says who asked for what and why, under which
 * flow version; who approved, when, through which channel and how they had signed in; the
 * database role and every SQL effect the connector reported; the sessions seen while access
 * was active; how it ended, and the connector's check of the target afterwards. Built only
 * from what the broker recorded (the request, its approvals, its audit events, the database
 * user), so the same records give the same bytes — and the same digest — every time.
 */

export const RECEIPT_TYPE = 'doorman.access-receipt';

/** A session the connector saw while the access was active (pg_stat_activity). */
export interface ReceiptSession {
  pid: number;
  database: string | null;
  clientAddr: string | null;
  applicationName: string;
  startedAt: string;
  lastSeenAt: string;
  /** An upper bound: the first report that no longer held the session. */
  endedAt: string | null;
}

export type ApprovalChannel = 'rest' | 'slack' | 'console' | 'cli' | 'auto' | 'break-glass';

export type EndedHow =
  | 'expired'
  | 'revoked'
  | 'revoke-all'
  | 'deactivated'
  | 'unused'
  | 'denied'
  | 'cancelled'
  | 'unanswered'
  | 'failed';

type Person = { id: string; email: string | null } | null;

export interface ReceiptFacts {
  /** Who issues it: the broker's PUBLIC_URL, or "doorman" when it has none. */
  issuer: string;
  request: AccessRequestEntity;
  integration: { id: string; name: string } | null;
  approvals: readonly ApprovalEntity[];
  /** The request's audit events, in id order. */
  events: readonly AuditEventEntity[];
  /** Everyone named: requester, approvers, whoever ended it. */
  emails: ReadonlyMap<string, string>;
  databaseUser: {
    username: string;
    revokeVerification: RevokeVerification | null;
  } | null;
  sessions: { observed: boolean; sessions: readonly ReceiptSession[] };
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function person(id: string | null, emails: ReadonlyMap<string, string>): Person {
  return id ? { id, email: emails.get(id) ?? null } : null;
}

/** The door an approval came through; a bearer token is REST (the CLI's included). */
function channelOf(channel: string): ApprovalChannel {
  switch (channel) {
    case 'slack':
    case 'console':
    case 'cli':
      return channel;
    default:
      return 'rest';
  }
}

/** How the approver had proved who they are, as the decision's audit event recorded it. */
function authenticationOf(e: AuditEventEntity | undefined) {
  const a = e?.details.authentication as
    { method?: string; authTime?: string; acr?: string; amr?: string[] } | undefined;
  if (!a?.method) return null;
  if (a.method === 'token') return { method: 'token' as const };
  return {
    method: 'browser-session' as const,
    authTime: a.authTime ?? null,
    acr: a.acr ?? null,
    amr: a.amr ?? [],
  };
}

const DECISIONS = ['request.step_approved', 'request.approved', 'request.denied'];

function approvalsOf(f: ReceiptFacts) {
  const byPerson = f.approvals.map((a) => {
    const event = f.events.find(
      (e) =>
        DECISIONS.includes(e.action) && e.actorId === a.approverId && e.details.step === a.step + 1,
    );
    return {
      step: a.step + 1,
      by: person(a.approverId, f.emails),
      decision: a.decision,
      reason: a.reason,
      at: a.at.toISOString(),
      channel: channelOf(a.channel),
      authentication: authenticationOf(event),
    };
  });
  // Approved by the flow itself, or opened by break-glass: nobody's decision, still said.
  const opened = f.events
    .filter((e) => e.action === 'request.auto_approved' || e.action === 'request.break_glass')
    .map((e) => ({
      step: null,
      by: null,
      decision: 'approve' as const,
      reason: null,
      at: e.at.toISOString(),
      channel: e.action === 'request.break_glass' ? 'break-glass' : 'auto',
      authentication: null,
    }));
  return [...byPerson, ...opened];
}

/** The SQL effects the connector reported for this grant, event by event. */
function effectsOf(events: readonly AuditEventEntity[]) {
  return events
    .filter((e) => ['grant.activated', 'grant.extended', 'grant.revoked'].includes(e.action))
    .map((e) => ({
      at: e.at.toISOString(),
      event: e.action,
      generation: typeof e.details.generation === 'number' ? e.details.generation : null,
      statements: Array.isArray(e.details.effects) ? (e.details.effects as string[]) : [],
      ...(e.action === 'grant.activated' ? { validUntil: str(e.details.validUntil) } : {}),
      ...(e.action === 'grant.revoked'
        ? { sessionsTerminated: Number(e.details.sessionsTerminated ?? 0) }
        : {}),
    }));
}

function accessOf(f: ReceiptFacts) {
  const r = f.request;
  if (!r.grantedAt) return null;
  const activated = f.events.find((e) => e.action === 'grant.activated');
  return {
    databaseUser: str(activated?.details.username) ?? f.databaseUser?.username ?? null,
    grantedAt: iso(r.grantedAt),
    expiresAt: iso(r.expiresAt),
    /** PostgreSQL's own VALID UNTIL for the role, as the grant's sync set it. */
    validUntil: str(activated?.details.validUntil),
    effects: effectsOf(f.events),
  };
}

export function endedHow(r: Pick<AccessRequestEntity, 'status' | 'statusReason'>): EndedHow | null {
  const reason = r.statusReason ?? '';
  const revokeAll = reason.startsWith('revoke-all:');
  const deactivated = /^requester .* deactivated$/.test(reason);
  switch (r.status) {
    case 'PENDING':
    case 'APPROVED':
    case 'GRANTING':
    case 'ACTIVE':
    case 'APPLIED':
      return null;
    case 'REVOKING':
    case 'REVOKED':
      if (reason === 'expired') return 'expired';
      if (reason === 'unused') return 'unused';
      return revokeAll ? 'revoke-all' : deactivated ? 'deactivated' : 'revoked';
    case 'DENIED':
      return revokeAll ? 'revoke-all' : 'denied';
    case 'CANCELLED':
      return deactivated ? 'deactivated' : 'cancelled';
    case 'EXPIRED':
      return 'unanswered';
    case 'FAILED':
      return 'failed';
  }
}

const ENDING_EVENTS = [
  'grant.revoke_requested',
  'grant.expired',
  'request.denied',
  'request.cancelled',
  'request.expired',
  'sync.failed',
];

function endedOf(f: ReceiptFacts) {
  const r = f.request;
  const how = endedHow(r);
  if (!how) return null;
  const ending = [...f.events].reverse().find((e) => ENDING_EVENTS.includes(e.action));
  const revoked = f.events.find((e) => e.action === 'grant.revoked');
  return {
    how,
    at: iso(r.endedAt) ?? iso(ending?.at),
    by: person(r.endedBy ?? ending?.actorId ?? (how === 'denied' ? r.decidedBy : null), f.emails),
    reason: r.statusReason,
    /** When the connector reported the database user changed (null until it has). */
    appliedAt: iso(revoked?.at),
  };
}

/**
 * The connector's check of the target after this grant ended: recorded with the grant's
 * revoke, else the residue event naming it, else the database user's latest check when it
 * was taken after this grant ended (`source` says which).
 */
function verificationOf(f: ReceiptFacts, endedAt: string | null) {
  const withLeft = (v: RevokeVerification, source: string) => ({
    source,
    checkedAt: v.checkedAt,
    clean: v.clean,
    found: v.found,
    fixed: v.fixed,
    left: residueLeft(v),
  });
  const revoked = f.events.find((e) => e.action === 'grant.revoked');
  const recorded = revoked?.details.verification as RevokeVerification | undefined;
  if (recorded) return withLeft(recorded, 'grant');
  const residue = f.events.find((e) => e.action === 'revoke.residue');
  if (residue) {
    const d = residue.details as {
      checkedAt: string;
      found: Residue[];
      fixed: Residue[];
    };
    return withLeft(
      { checkedAt: d.checkedAt, clean: false, found: d.found, fixed: d.fixed },
      'residue-event',
    );
  }
  const latest = f.databaseUser?.revokeVerification;
  if (latest && endedAt && latest.checkedAt >= endedAt) return withLeft(latest, 'database-user');
  return null;
}

function outcomeOf(
  r: AccessRequestEntity,
): 'pending' | 'active' | 'applied' | 'ended' | 'never-granted' {
  if (r.status === 'APPLIED') return 'applied';
  if (endedHow(r) === null) return r.status === 'ACTIVE' ? 'active' : 'pending';
  return r.grantedAt ? 'ended' : 'never-granted';
}

export function buildReceipt(f: ReceiptFacts) {
  const r = f.request;
  const ended = endedOf(f);
  const access = accessOf(f);
  return {
    type: RECEIPT_TYPE,
    version: 1,
    issuer: f.issuer,
    requestId: r.id,
    status: r.status,
    /** ended / never-granted (denied, cancelled, unanswered, failed) / active / pending / applied (an extension). */
    outcome: outcomeOf(r),
    request: {
      requester: person(r.requesterId, f.emails),
      integration: f.integration ?? { id: r.integrationId, name: null },
      resource: describeResource(r),
      database: r.database,
      schema: r.schema,
      role: isRoleResource(r) ? r.schema : null,
      permission: r.permission,
      duration: formatDuration(r.durationSeconds),
      durationSeconds: r.durationSeconds,
      justification: r.justification,
      kind: r.kind,
      extendsRequestId: r.extendsRequestId,
      breakGlass: r.breakGlass,
      requestedAt: r.createdAt.toISOString(),
      flow: { id: r.flowId, version: r.flowVersion, name: r.flowName },
    },
    approvals: approvalsOf(f),
    access,
    sessionsObserved: f.sessions.observed,
    sessions: f.sessions.sessions.map((s) => ({ ...s })),
    ended,
    verification: access ? verificationOf(f, ended?.at ?? null) : null,
    /** The audit events behind this receipt, with their place in the hash chain once sealed. */
    auditEvents: f.events.map((e) => ({
      id: e.id,
      seq: e.seq,
      at: e.at.toISOString(),
      action: e.action,
      hash: e.hash,
    })),
  };
}

export type Receipt = ReturnType<typeof buildReceipt>;
