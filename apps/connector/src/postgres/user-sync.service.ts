import type { KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Batcher,
  type FailedGroup,
  type GroupGrant,
  type RevokeVerification,
  type SealedBox,
  type SyncUserJob,
} from '@doorman/contracts';
import { generatePassword, scramSha256VerifierAsync, seal } from '@doorman/crypto';
import type { QueryResultRow } from 'pg';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import { actAs, readAdminSelf } from './acting-roles';
import { GROUP_COMMENT_PREFIX, groupRoleName, MARKER_ROLE } from './group-role';
import type { GroupFailure, GroupRolesService } from './group-roles.service';
import { RevokeVerifier } from './revoke-verifier';
import { renderRoleOps } from './role-ops';
import * as sql from './sql';
import { classifyError, sqlstateOf } from './sqlstate';
import {
  ABSENT_ROLE,
  planSync,
  type RoleState,
  type ServerContext,
  type SyncPlan,
  withoutGroups,
} from './sync-planner';
import { advisoryKey, userLockKey, type TargetClient, type Tx } from './target-client';

export interface JobRef {
  kind: string;
  shortId: string;
}

export interface SyncOutcome {
  status: 'applied' | 'stale';
  startedAt: string;
  validUntil: string | null;
  sealedPassword?: SealedBox;
  passwordIssuedAt?: string;
  sessionsTerminated: number;
  effects: string[];
  /** Groups left out because they cannot be applied, each with its own error. */
  failedGroups?: FailedGroup[];
  /** The server's clock after the transaction's last statement. */
  appliedAt?: string;
  /** The plan took groups away or ended logins (read by the sync itself; not in the result). */
  tookAway?: boolean;
  /** What the target still held after access ended, and what was removed (see RevokeVerifier). */
  verification?: RevokeVerification;
}

interface RoleRow {
  oid: string;
  can_login: boolean;
  valid_until_ms: number | null;
  connection_limit: number;
  comment: string | null;
  managed: boolean;
  doorman_groups: string[];
}

/** How long ending sessions waits for them to exit, and how often it looks. */
const TERMINATE_WAIT_MS = 5000;
const TERMINATE_POLL_MS = 5;

/** Users whose access ends, changed in one transaction; and such transactions at once. */
const ENDINGS_BATCH = 64;
const ENDING_BATCHES_IN_FLIGHT = 2;

interface Ending {
  job: SyncUserJob;
  ref: JobRef;
}

export async function readRoleState(tx: Tx, username: string): Promise<RoleState> {
  const [row] = await tx.run<RoleRow>(
    sql.readRoleState(username, MARKER_ROLE, GROUP_COMMENT_PREFIX),
  );
  return row ? roleState(row) : ABSENT_ROLE;
}

/** `readRoleState` for several users in one round trip. */
async function readRoleStates(
  tx: Tx,
  usernames: readonly string[],
): Promise<Map<string, RoleState>> {
  const rows = await tx.run<RoleRow & { username: string }>(
    sql.readRoleStates(usernames, MARKER_ROLE, GROUP_COMMENT_PREFIX),
  );
  return new Map(rows.map((row) => [row.username, roleState(row)]));
}

function roleState(row: RoleRow): RoleState {
  return {
    exists: true,
    managed: row.managed,
    comment: row.comment,
    canLogin: row.can_login,
    validUntil: row.valid_until_ms === null ? null : new Date(row.valid_until_ms),
    connectionLimit: row.connection_limit,
    doormanGroups: row.doorman_groups,
  };
}

export async function readServer(tx: Tx): Promise<ServerContext> {
  const [row] = await tx.run<{ now_ms: number; version_num: number }>(sql.readServerClock());
  return { now: new Date(row.now_ms), serverVersionNum: row.version_num };
}

/** The server's clock as the transaction's last statement: see SyncOutcome.appliedAt. */
async function readClock(tx: Tx): Promise<string> {
  const [row] = await tx.run<{ now_ms: number }>(sql.readClock());
  return new Date(row.now_ms).toISOString();
}

/**
 * Ends every session of the users: signals them all at once, then waits (polling every few
 * milliseconds) until their backends are gone or TERMINATE_WAIT_MS passed. pg_terminate_backend's
 * own timeout checks every 100 ms, one backend after another: at least 100 ms a session, which
 * held a connector worker for that long on every revoke. Returns how many sessions
 * of each user were signalled.
 */
async function signalAndWait(
  target: TargetClient,
  usernames: readonly string[],
): Promise<Map<string, number>> {
  const rows = await target.query<{ pid: number; username: string }>(sql.signalSessions(usernames));
  const ended = new Map<string, number>();
  for (const r of rows) ended.set(r.username, (ended.get(r.username) ?? 0) + 1);
  const pids = rows.map((r) => r.pid);
  const deadline = Date.now() + TERMINATE_WAIT_MS;
  while (pids.length > 0 && Date.now() < deadline) {
    const [{ alive }] = await target.query<{ alive: number }>(sql.liveBackends(pids));
    if (alive === 0) break;
    await sleep(TERMINATE_POLL_MS);
  }
  return ended;
}

/**
 * Ends every session of `username` on the server; returns how many were ended. An admin
 * without pg_signal_backend (and not a superuser) ends them as a member of the user's role,
 * granted for the moment and revoked after. If even that is refused, logins are already
 * blocked (NOLOGIN was committed first), so the failure is reported, not thrown.
 */
export async function terminateSessions(target: TargetClient, username: string): Promise<number> {
  const run = <R extends QueryResultRow>(s: sql.Statement) => target.query<R>(s);
  // The common case (a superuser, or pg_signal_backend) in one round trip; PostgreSQL refuses
  // with 42501 otherwise, and the sessions are ended again as a member of the user's role
  // (those already ended are simply gone).
  try {
    return (await signalAndWait(target, [username])).get(username) ?? 0;
  } catch (err) {
    if (sqlstateOf(err) !== '42501') throw err;
  }
  const self = await readAdminSelf(run);
  const giveBack = self.signalBackend
    ? async () => {}
    : await actAs(run, [username], `ending the sessions of ${JSON.stringify(username)}`);
  try {
    return (await signalAndWait(target, [username])).get(username) ?? 0;
  } finally {
    await giveBack();
  }
}

/**
 * Converges one person's database user to a sync-user job: group roles first
 * (their own transactions, per database), then the user in one transaction under the
 * per-user advisory lock, then — after commit, so a killed session cannot log in again —
 * the sessions the plan ends.
 */
export class UserSyncService {
  private readonly endings = new Batcher<Ending, SyncOutcome>(
    (items) => this.endTogether(items),
    ENDINGS_BATCH,
    ENDING_BATCHES_IN_FLIGHT,
  );

  constructor(
    private readonly target: TargetClient,
    private readonly groups: GroupRolesService,
    private readonly sealKey: KeyObject,
    private readonly verifier = new RevokeVerifier(target, (username) =>
      terminateSessions(target, username),
    ),
  ) {}

  async sync(job: SyncUserJob, ref: JobRef): Promise<SyncOutcome> {
    // Access ends (no group left): users waiting for that are changed together.
    const out =
      !job.login && job.groups.length === 0
        ? await this.endings.add({ job, ref })
        : await this.syncOne(job, ref);
    return this.verifyEnding(job, out);
  }

  /**
   * When the sync took groups away or ended logins, the target's own catalogs are read for
   * what should not be there any more (granted by anyone, in any database) and it is removed.
   * A retry of a committed ending (stale) is checked again: the proof belongs to its result.
   * A role that does not exist has nothing left to check.
   */
  private async verifyEnding(
    job: SyncUserJob,
    { tookAway, ...out }: SyncOutcome,
  ): Promise<SyncOutcome> {
    if (!tookAway) return out;
    const keep = [MARKER_ROLE, ...new Set(job.groups.map(groupRoleName))];
    const verification = await this.verifier.verify({
      username: job.username,
      generation: job.generation,
      login: job.login,
      keep,
    });
    return { ...out, verification };
  }

  private async syncOne(job: SyncUserJob, ref: JobRef): Promise<SyncOutcome> {
    await this.groups.ensureBaseRoles();
    const warnings: string[] = [];
    // Group roles that cannot be made (schema missing, role refused, …): their grants are left
    // out and the rest is applied.
    const unapplicable = new Map<string, GroupFailure>();
    for (const [database, grants] of byDatabase(job.groups)) {
      try {
        const failures = await this.groups.ensureGroups(database, grants, {
          jobKind: ref.kind,
          shortId: ref.shortId,
        });
        for (const f of failures) unapplicable.set(groupRoleName(f.grant), f);
      } catch (err) {
        // A database unreachable under a grant the user already holds must not block the rest
        // of the sync — typically another grant's revoke. Only a group the user does not hold
        // yet needs its database.
        if (!(await this.holdsAll(job.username, grants))) throw err;
        const e = classifyError(err);
        warnings.push(
          `could not check group roles in database ${database} (${e.code}); kept the memberships already held`,
        );
      }
    }

    // A password the plan will most likely issue is prepared before the transaction: its 4,096
    // PBKDF2 rounds run off the event loop and outside the user's advisory lock. The plain
    // password lives only in this function: PostgreSQL gets the SCRAM verifier, the broker a
    // sealed box. Neither is logged.
    const prepared =
      job.login && job.rotatePassword ? await preparePassword(this.sealKey) : undefined;
    const txResult = await this.target.transaction(
      this.target.adminDatabase,
      { jobKind: ref.kind, shortId: ref.shortId, lockKey: userLockKey(job.username) },
      async (tx) => {
        const server = await readServer(tx);
        const state = await readRoleState(tx, job.username);
        const leftOut = this.leaveOut(job, state, unapplicable, warnings);
        const plan = planSync(withoutGroups(job, leftOut), state, server);
        const failed = leftOut.map((name) => failedGroup(unapplicable.get(name)!));
        switch (plan.kind) {
          case 'refuse':
            throw ConnectorError.permanent(plan.code, plan.message);
          case 'stale':
            return { plan, server, state, failed, appliedAt: await readClock(tx) };
          case 'apply': {
            let sealedPassword: SealedBox | undefined;
            let verifier: string | undefined;
            if (plan.issuesPassword) {
              const p = prepared ?? (await preparePassword(this.sealKey));
              verifier = p.verifier;
              sealedPassword = p.sealed;
            }
            for (const statement of renderRoleOps(job.username, plan.ops, verifier)) {
              await tx.run(statement);
            }
            return { plan, server, state, failed, appliedAt: await readClock(tx), sealedPassword };
          }
        }
      },
    );

    const { plan, server, state, failed, appliedAt, sealedPassword } = txResult;
    const ended = endsSessions(plan, state) ? await this.endSessions(job.username) : NONE_ENDED;
    return outcome(plan, state, server, ended, { warnings, appliedAt, failed, sealedPassword });
  }

  /**
   * The unapplicable groups the role does not hold yet: left out of this sync. One it holds
   * stays (a check that failed does not take away a membership that works), with a warning.
   * A job without per-group times (an older broker) cannot be applied in part: it fails whole.
   */
  private leaveOut(
    job: SyncUserJob,
    state: RoleState,
    unapplicable: ReadonlyMap<string, GroupFailure>,
    warnings: string[],
  ): string[] {
    const held = new Set(state.doormanGroups);
    const leftOut: string[] = [];
    for (const [name, f] of unapplicable) {
      if (!held.has(name)) leftOut.push(name);
      else
        warnings.push(
          `could not check group roles in database ${f.grant.database} (${f.error.code}); kept the memberships already held`,
        );
    }
    if (leftOut.length > 0 && !job.groupTimes) throw unapplicable.get(leftOut[0])!.error;
    return leftOut.sort();
  }

  /**
   * Ends access for many users in one transaction: their advisory locks in key
   * order, one read of their roles, every ALTER ROLE in one round trip, then one
   * pg_terminate_backend over all their sessions. Refused plans fail their own job only; if the
   * transaction fails, each user is synced on its own, so every job gets its own outcome and
   * SQLSTATE classification.
   */
  private async endTogether(items: Ending[]): Promise<Array<SyncOutcome | Error>> {
    if (items.length === 1) return [await this.settle(items[0])];
    // One job per user in the transaction; another one for the same user runs after it.
    const together: Ending[] = [];
    const after: Ending[] = [];
    const seen = new Set<string>();
    for (const it of items) {
      (seen.has(it.job.username) ? after : together).push(it);
      seen.add(it.job.username);
    }
    let outcomes: Map<Ending, SyncOutcome | Error>;
    try {
      outcomes = await this.endInOneTransaction(together);
    } catch {
      outcomes = new Map();
      for (const it of together) outcomes.set(it, await this.settle(it));
    }
    for (const it of after) outcomes.set(it, await this.settle(it));
    return items.map((it) => outcomes.get(it) ?? new Error('no outcome'));
  }

  private async settle(it: Ending): Promise<SyncOutcome | Error> {
    try {
      return await this.syncOne(it.job, it.ref);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  private async endInOneTransaction(items: Ending[]): Promise<Map<Ending, SyncOutcome | Error>> {
    await this.groups.ensureBaseRoles();
    const keys = [...new Set(items.map((it) => advisoryKey(userLockKey(it.job.username))))].sort(
      (a, b) => (a < b ? -1 : a > b ? 1 : 0),
    );
    const { server, planned, appliedAt } = await this.target.transaction(
      this.target.adminDatabase,
      { jobKind: 'sync-user', shortId: `${items[0].ref.shortId}+${items.length - 1}` },
      async (tx) => {
        await tx.run(sql.advisoryXactLocks(keys));
        const server = await readServer(tx);
        const states = await readRoleStates(
          tx,
          items.map((it) => it.job.username),
        );
        const planned = items.map((it) => {
          const state = states.get(it.job.username) ?? ABSENT_ROLE;
          return { it, state, plan: planSync(it.job, state, server) };
        });
        const statements = planned.flatMap(({ it, plan }) => {
          if (plan.kind !== 'apply') return [];
          if (plan.issuesPassword) throw new TypeError('ending access never issues a password');
          return renderRoleOps(it.job.username, plan.ops);
        });
        // Utility statements take no parameters (sql.ts): all of them in one round trip.
        if (statements.some((st) => st.values.length > 0))
          for (const st of statements) await tx.run(st);
        else if (statements.length > 0)
          await tx.run({ text: statements.map((st) => st.text).join(';\n'), values: [] });
        return { server, planned, appliedAt: await readClock(tx) };
      },
    );
    const ending = planned.filter(({ plan, state }) => endsSessions(plan, state));
    const ended = await this.endSessionsOf(ending.map(({ it }) => it.job.username));
    const outcomes = new Map<Ending, SyncOutcome | Error>();
    for (const { it, state, plan } of planned) {
      if (plan.kind === 'refuse') {
        outcomes.set(it, ConnectorError.permanent(plan.code, plan.message));
        continue;
      }
      const mine = ended.get(it.job.username) ?? NONE_ENDED;
      outcomes.set(
        it,
        mine instanceof Error
          ? mine
          : outcome(plan, state, server, mine, { warnings: [], appliedAt }),
      );
    }
    return outcomes;
  }

  /** `endSessions` for several users: one statement, or one by one where that is refused. */
  private async endSessionsOf(usernames: readonly string[]): Promise<Map<string, Ended | Error>> {
    const out = new Map<string, Ended | Error>();
    if (usernames.length === 0) return out;
    try {
      const ended = await signalAndWait(this.target, usernames);
      for (const name of usernames) out.set(name, { terminated: ended.get(name) ?? 0, notes: [] });
      return out;
    } catch {
      // Refused (an admin without pg_signal_backend) or failed: each user the usual way.
      for (const name of usernames) {
        try {
          out.set(name, await this.endSessions(name));
        } catch (err) {
          out.set(name, err instanceof Error ? err : new Error(String(err)));
        }
      }
      return out;
    }
  }

  /**
   * Logins are already blocked when this runs (NOLOGIN committed), so an admin that may not
   * end sessions (no pg_signal_backend, no way to act as the user) does not fail the revoke:
   * it is applied, and the result says the sessions stayed and what the operator should grant.
   */
  private async endSessions(username: string): Promise<Ended> {
    try {
      return {
        terminated: await terminateSessions(this.target, username),
        notes: [],
      };
    } catch (err) {
      const e = classifyError(err);
      if (
        e.code !== ConnectorErrorCode.InsufficientPrivilege &&
        e.code !== ConnectorErrorCode.NotGrantable
      )
        throw err;
      return {
        terminated: 0,
        notes: [
          `logins are blocked, but open sessions could not be ended (${e.code}); ` +
            `let the connector's admin end them: GRANT pg_signal_backend TO <admin>`,
        ],
      };
    }
  }

  private async holdsAll(username: string, grants: readonly GroupGrant[]): Promise<boolean> {
    const [row] = await this.target.query<{ doorman_groups: string[] }>(
      sql.readRoleState(username, MARKER_ROLE, GROUP_COMMENT_PREFIX),
    );
    const held = new Set(row?.doorman_groups ?? []);
    return grants.every((g) => held.has(groupRoleName(g)));
  }
}

interface Ended {
  terminated: number;
  notes: string[];
}

const NONE_ENDED: Ended = { terminated: 0, notes: [] };

/**
 * Whether the user's sessions end after the commit: the plan says so, or — a retry after a
 * crash between commit and termination — the role already may not log in and may have some left.
 */
function endsSessions(plan: SyncPlan, state: RoleState): boolean {
  if (plan.kind === 'apply') return plan.terminateSessions;
  return plan.kind === 'stale' && state.exists && !state.canLogin;
}

/** What a committed sync transaction adds to its outcome. */
interface Committed {
  warnings: readonly string[];
  appliedAt: string;
  /** Groups left out of the sync. */
  failed?: FailedGroup[];
  sealedPassword?: SealedBox;
}

/** The result of a sync whose transaction committed (a plan applied or found stale). */
function outcome(
  plan: SyncPlan,
  state: RoleState,
  server: ServerContext,
  ended: Ended,
  { warnings, appliedAt, failed = [], sealedPassword }: Committed,
): SyncOutcome {
  const startedAt = server.now.toISOString();
  const sessionsTerminated = ended.terminated;
  const notGranted = failed.map((f) => `not granted ${groupRoleName(f)} (${f.error.code})`);
  if (plan.kind === 'stale')
    return {
      status: 'stale',
      // A retry of an ending already applied (the role may not log in) is checked again; a
      // stale job the role has moved past is not the role's state any more.
      tookAway: endsSessions(plan, state),
      startedAt,
      appliedAt,
      validUntil: state.validUntil?.toISOString() ?? null,
      sessionsTerminated,
      failedGroups: failed,
      effects: [
        ...warnings,
        `generation ${plan.appliedGeneration} already applied; nothing changed`,
        ...notGranted,
        ...(sessionsTerminated ? [`terminated ${sessionsTerminated} leftover session(s)`] : []),
        ...ended.notes,
      ],
    };
  if (plan.kind !== 'apply') throw new TypeError('unreachable');
  return {
    status: 'applied',
    tookAway:
      state.exists &&
      (plan.terminateSessions ||
        plan.ops.some((o) => o.op === 'revoke-group' || (o.op === 'set-login' && !o.login))),
    startedAt,
    appliedAt,
    validUntil:
      plan.validUntil === null || plan.validUntil === 'infinity'
        ? null
        : plan.validUntil.toISOString(),
    sealedPassword,
    passwordIssuedAt: sealedPassword ? startedAt : undefined,
    sessionsTerminated,
    failedGroups: failed,
    effects: [
      ...warnings,
      ...plan.effects,
      ...notGranted,
      ...(sessionsTerminated ? [`terminated ${sessionsTerminated} session(s)`] : []),
      ...ended.notes,
    ],
  };
}

async function preparePassword(key: KeyObject): Promise<{ verifier: string; sealed: SealedBox }> {
  const password = generatePassword();
  return { verifier: await scramSha256VerifierAsync(password), sealed: seal(password, key) };
}

/** A group left out, as the result reports it (its error never carries the SQL sent). */
function failedGroup(f: GroupFailure): FailedGroup {
  return {
    ...f.grant,
    error: {
      code: f.error.code,
      message: f.error.message.slice(0, 2000),
      sqlstate: f.error.sqlstate,
      retryable: false,
    },
  };
}

function byDatabase(groups: readonly GroupGrant[]): Map<string, GroupGrant[]> {
  const out = new Map<string, GroupGrant[]>();
  for (const g of groups) out.set(g.database, [...(out.get(g.database) ?? []), g]);
  return out;
}
