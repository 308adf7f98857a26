import type { KeyObject } from 'node:crypto';
import type { GroupGrant, SealedBox, SyncUserJob } from '@doorman/contracts';
import { generatePassword, scramSha256VerifierAsync, seal } from '@doorman/crypto';
import type { QueryResultRow } from 'pg';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import { actAs, readAdminSelf } from './acting-roles';
import { GROUP_COMMENT_PREFIX, groupRoleName, MARKER_ROLE } from './group-role';
import type { GroupRolesService } from './group-roles.service';
import { renderRoleOps } from './role-ops';
import * as sql from './sql';
import { classifyError, sqlstateOf } from './sqlstate';
import { ABSENT_ROLE, planSync, type RoleState, type ServerContext } from './sync-planner';
import { userLockKey, type TargetClient, type Tx } from './target-client';

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

/** How long pg_terminate_backend waits for each session to exit (PostgreSQL 14+). */
const TERMINATE_WAIT_MS = 5000;

export async function readRoleState(tx: Tx, username: string): Promise<RoleState> {
  const [row] = await tx.run<RoleRow>(
    sql.readRoleState(username, MARKER_ROLE, GROUP_COMMENT_PREFIX),
  );
  if (!row) return ABSENT_ROLE;
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

/**
 * Ends every session of `username` on the server; returns how many were ended. An admin
 * without pg_signal_backend (and not a superuser) ends them as a member of the user's role,
 * granted for the moment and revoked after. If even that is refused, logins are already
 * blocked (NOLOGIN was committed first), so the failure is reported, not thrown.
 */
export async function terminateSessions(
  target: TargetClient,
  username: string,
  serverVersionNum: number,
): Promise<number> {
  const wait = serverVersionNum >= 140000 ? TERMINATE_WAIT_MS : null;
  const run = <R extends QueryResultRow>(s: sql.Statement) => target.query<R>(s);
  // The common case (a superuser, or pg_signal_backend) in one round trip; PostgreSQL refuses
  // with 42501 otherwise, and the sessions are ended again as a member of the user's role
  // (those already ended are simply gone).
  try {
    const [row] = await target.query<{ terminated: number }>(sql.terminateSessions(username, wait));
    return row.terminated;
  } catch (err) {
    if (sqlstateOf(err) !== '42501') throw err;
  }
  const self = await readAdminSelf(run);
  const giveBack = self.signalBackend
    ? async () => {}
    : await actAs(run, [username], `ending the sessions of ${JSON.stringify(username)}`);
  try {
    const [row] = await target.query<{ terminated: number }>(sql.terminateSessions(username, wait));
    return row.terminated;
  } finally {
    await giveBack();
  }
}

/**
 * Converges one person's database user to a sync-user job (DESIGN §3): group roles first
 * (their own transactions, per database), then the user in one transaction under the
 * per-user advisory lock, then — after commit, so a killed session cannot log in again —
 * the sessions the plan ends.
 */
export class UserSyncService {
  constructor(
    private readonly target: TargetClient,
    private readonly groups: GroupRolesService,
    private readonly sealKey: KeyObject,
  ) {}

  async sync(job: SyncUserJob, ref: JobRef): Promise<SyncOutcome> {
    await this.groups.ensureBaseRoles();
    const warnings: string[] = [];
    for (const [database, grants] of byDatabase(job.groups)) {
      try {
        await this.groups.ensureGroups(database, grants, {
          jobKind: ref.kind,
          shortId: ref.shortId,
        });
      } catch (err) {
        // A database dropped (or unreachable) under a grant the user already holds must not
        // block the rest of the sync — typically another grant's revoke. Only a group the
        // user does not hold yet needs its database.
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
        const plan = planSync(job, state, server);
        switch (plan.kind) {
          case 'refuse':
            throw ConnectorError.permanent(plan.code, plan.message);
          case 'stale':
            return { plan, server, state, sealedPassword: undefined };
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
            return { plan, server, state, sealedPassword };
          }
        }
      },
    );

    const { plan, server, state, sealedPassword } = txResult;
    const startedAt = server.now.toISOString();
    if (plan.kind === 'stale') {
      // A retry after a crash between commit and termination lands here: a role that may
      // not log in should have no sessions, so end any left over.
      const ended =
        state.exists && !state.canLogin
          ? await this.endSessions(job.username, server.serverVersionNum)
          : { terminated: 0, notes: [] };
      const sessionsTerminated = ended.terminated;
      return {
        status: 'stale',
        startedAt,
        validUntil: state.validUntil?.toISOString() ?? null,
        sessionsTerminated,
        effects: [
          ...warnings,
          `generation ${plan.appliedGeneration} already applied; nothing changed`,
          ...(sessionsTerminated ? [`terminated ${sessionsTerminated} leftover session(s)`] : []),
          ...ended.notes,
        ],
      };
    }
    if (plan.kind !== 'apply') throw new TypeError('unreachable');
    const ended = plan.terminateSessions
      ? await this.endSessions(job.username, server.serverVersionNum)
      : { terminated: 0, notes: [] };
    const sessionsTerminated = ended.terminated;
    return {
      status: 'applied',
      startedAt,
      validUntil:
        plan.validUntil === null || plan.validUntil === 'infinity'
          ? null
          : plan.validUntil.toISOString(),
      sealedPassword,
      passwordIssuedAt: sealedPassword ? startedAt : undefined,
      sessionsTerminated,
      effects: [
        ...warnings,
        ...plan.effects,
        ...(sessionsTerminated ? [`terminated ${sessionsTerminated} session(s)`] : []),
        ...ended.notes,
      ],
    };
  }

  /**
   * Logins are already blocked when this runs (NOLOGIN committed), so an admin that may not
   * end sessions (no pg_signal_backend, no way to act as the user) does not fail the revoke:
   * it is applied, and the result says the sessions stayed and what the operator should grant.
   */
  private async endSessions(
    username: string,
    serverVersionNum: number,
  ): Promise<{ terminated: number; notes: string[] }> {
    try {
      return {
        terminated: await terminateSessions(this.target, username, serverVersionNum),
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

async function preparePassword(key: KeyObject): Promise<{ verifier: string; sealed: SealedBox }> {
  const password = generatePassword();
  return { verifier: await scramSha256VerifierAsync(password), sealed: seal(password, key) };
}

function byDatabase(groups: readonly GroupGrant[]): Map<string, GroupGrant[]> {
  const out = new Map<string, GroupGrant[]>();
  for (const g of groups) out.set(g.database, [...(out.get(g.database) ?? []), g]);
  return out;
}
