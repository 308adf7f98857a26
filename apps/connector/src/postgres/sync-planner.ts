import {
  formatRoleComment,
  parseRoleComment,
  type GroupGrant,
  type SyncUserJob,
} from '@doorman/contracts';
import { ConnectorErrorCode } from '../common/connector.error';
import { groupRoleName } from './group-role';
import type { ValidUntil } from './sql';

/**
 * The pure heart of the connector: compare what the database holds for one
 * person's role with what the broker wants, and list the operations that close the gap.
 * No I/O, no clock of its own: the database's now() comes in with the state.
 */

/** What PostgreSQL holds for the role, read under the per-user advisory lock. */
export interface RoleState {
  exists: boolean;
  /** Member of the marker role doorman_managed. */
  managed: boolean;
  comment: string | null;
  canLogin: boolean;
  /** null means no limit (NULL or 'infinity'). */
  validUntil: Date | null;
  connectionLimit: number;
  /** Doorman group roles (by comment) the role is a member of. */
  doormanGroups: readonly string[];
}

export const ABSENT_ROLE: RoleState = {
  exists: false,
  managed: false,
  comment: null,
  canLogin: false,
  validUntil: null,
  connectionLimit: -1,
  doormanGroups: [],
};

export interface ServerContext {
  /** The database's now() in the job's transaction. */
  now: Date;
  /** current_setting('server_version_num'), e.g. 150004. */
  serverVersionNum: number;
}

export type RoleOp =
  /** CREATE ROLE … LOGIN PASSWORD … VALID UNTIL … CONNECTION LIMIT … IN ROLE doorman_managed */
  | { op: 'create-role'; validUntil: ValidUntil; connectionLimit: number }
  | { op: 'set-login'; login: boolean }
  | { op: 'set-valid-until'; validUntil: ValidUntil }
  | { op: 'set-connection-limit'; limit: number }
  | { op: 'set-password' }
  | { op: 'grant-group'; group: string; inheritOnly: boolean }
  | { op: 'revoke-group'; group: string }
  | { op: 'comment'; text: string };

export type SyncPlan =
  | { kind: 'refuse'; code: ConnectorErrorCode; message: string }
  | { kind: 'stale'; appliedGeneration: number }
  | {
      kind: 'apply';
      ops: RoleOp[];
      /** A new password must be generated (create-role or set-password is in ops). */
      issuesPassword: boolean;
      /** VALID UNTIL the role ends up with; null if there is no role. */
      validUntil: ValidUntil | null;
      /** pg_terminate_backend for the user's sessions after commit. */
      terminateSessions: boolean;
      effects: string[];
    };

/** VALID UNTIL for a role that must not log in: well in the past, and stable across retries. */
export const EXPIRED: Date = new Date('1970-01-01T00:00:00.000Z');

/** PostgreSQL 16 added GRANT … WITH INHERIT TRUE, SET FALSE. */
export const PG16 = 160000;

export function targetValidUntil(job: SyncUserJob, now: Date): ValidUntil {
  if (!job.login) return EXPIRED;
  const candidates: number[] = [];
  if (job.validUntil !== null) candidates.push(Date.parse(job.validUntil));
  if (job.startingDurationSeconds !== null) {
    candidates.push(now.getTime() + job.startingDurationSeconds * 1000);
  }
  // Login wanted but no expiry known: the broker did not bound it, so neither do we.
  return candidates.length === 0 ? 'infinity' : new Date(Math.max(...candidates));
}

function sameValidUntil(current: Date | null, target: ValidUntil): boolean {
  if (target === 'infinity') return current === null;
  return current !== null && current.getTime() === target.getTime();
}

function show(v: ValidUntil): string {
  return v === 'infinity' ? 'infinity' : v.toISOString();
}

/**
 * The job without the groups in `leftOut` — groups that cannot be applied and that the role
 * does not hold yet. LOGIN and VALID UNTIL count only the groups kept, from the
 * job's per-group times: a grant that cannot be applied neither lets the user log in nor
 * lengthens their access. The caller makes sure the job has them (`groupTimes`).
 */
export function withoutGroups(job: SyncUserJob, leftOut: readonly string[]): SyncUserJob {
  if (leftOut.length === 0) return job;
  const out = new Set(leftOut);
  const kept = (g: GroupGrant) => !out.has(groupRoleName(g));
  const groups = job.groups.filter(kept);
  const times = (job.groupTimes ?? []).filter(kept);
  const latest = (values: Array<number | null>): number | null => {
    const known = values.filter((v): v is number => v !== null);
    return known.length === 0 ? null : Math.max(...known);
  };
  const validUntil = latest(times.map((t) => (t.validUntil ? Date.parse(t.validUntil) : null)));
  const login = job.login && groups.length > 0;
  return {
    ...job,
    login,
    groups,
    groupTimes: times,
    validUntil: login && validUntil !== null ? new Date(validUntil).toISOString() : null,
    startingDurationSeconds: login ? latest(times.map((t) => t.startingDurationSeconds)) : null,
  };
}

export function planSync(job: SyncUserJob, state: RoleState, server: ServerContext): SyncPlan {
  const user = job.username;
  if (state.exists && !state.managed) {
    return {
      kind: 'refuse',
      code: ConnectorErrorCode.NameClash,
      message: `role ${JSON.stringify(user)} exists but is not managed by Doorman (not a member of the marker role); name clash with unmanaged role, left untouched`,
    };
  }
  const comment = parseRoleComment(state.comment);
  if (state.exists && comment && comment.person !== job.personId) {
    return {
      kind: 'refuse',
      code: ConnectorErrorCode.RoleOfAnotherPerson,
      message: `role ${JSON.stringify(user)} belongs to another person (${comment.person}); left untouched`,
    };
  }
  if (comment && comment.gen >= job.generation) {
    return { kind: 'stale', appliedGeneration: comment.gen };
  }

  const desiredGroups = [...new Set(job.groups.map(groupRoleName))].sort();
  const inheritOnly = server.serverVersionNum >= PG16;
  const newComment = formatRoleComment({
    person: job.personId,
    email: job.personEmail,
    gen: job.generation,
  });
  const validUntil = targetValidUntil(job, server.now);

  if (!state.exists) {
    if (!job.login) {
      return {
        kind: 'apply',
        ops: [],
        issuesPassword: false,
        validUntil: null,
        terminateSessions: false,
        effects: ['no database user exists; nothing to revoke'],
      };
    }
    return {
      kind: 'apply',
      ops: [
        { op: 'create-role', validUntil, connectionLimit: job.connectionLimit },
        ...desiredGroups.map((group): RoleOp => ({ op: 'grant-group', group, inheritOnly })),
        { op: 'comment', text: newComment },
      ],
      issuesPassword: true,
      validUntil,
      terminateSessions: false,
      effects: [
        `created role ${user} (LOGIN, VALID UNTIL ${show(validUntil)}, CONNECTION LIMIT ${job.connectionLimit})`,
        'issued a new password',
        ...desiredGroups.map((g) => `granted ${g}`),
      ],
    };
  }

  const ops: RoleOp[] = [];
  const effects: string[] = [];
  if (state.canLogin !== job.login) {
    ops.push({ op: 'set-login', login: job.login });
    effects.push(job.login ? 'enabled LOGIN' : 'disabled LOGIN (NOLOGIN)');
  }
  if (!sameValidUntil(state.validUntil, validUntil)) {
    ops.push({ op: 'set-valid-until', validUntil });
    effects.push(`set VALID UNTIL ${show(validUntil)}`);
  }
  if (state.connectionLimit !== job.connectionLimit) {
    ops.push({ op: 'set-connection-limit', limit: job.connectionLimit });
    effects.push(`set CONNECTION LIMIT ${job.connectionLimit}`);
  }
  // A password for a role that may not log in would be shown to nobody.
  const issuesPassword = job.login && job.rotatePassword;
  if (issuesPassword) {
    ops.push({ op: 'set-password' });
    effects.push('issued a new password');
  }
  const current = new Set(state.doormanGroups);
  const wanted = new Set(desiredGroups);
  for (const group of desiredGroups) {
    if (!current.has(group)) {
      ops.push({ op: 'grant-group', group, inheritOnly });
      effects.push(`granted ${group}`);
    }
  }
  const revoked = [...current].filter((g) => !wanted.has(g)).sort();
  for (const group of revoked) {
    ops.push({ op: 'revoke-group', group });
    effects.push(`revoked ${group}`);
  }
  ops.push({ op: 'comment', text: newComment });

  // Before 16, a session that ran SET ROLE <group> keeps the group's privileges after the
  // REVOKE (verified on 15); only ending the session takes them away.
  const terminateSessions = !job.login || (revoked.length > 0 && server.serverVersionNum < PG16);
  return { kind: 'apply', ops, issuesPassword, validUntil, terminateSessions, effects };
}
