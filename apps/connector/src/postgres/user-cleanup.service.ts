import { parseRoleComment, type CleanupUserJob } from '@doorman/contracts';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import { GROUP_COMMENT_PREFIX, INHERITOR_ROLE, MARKER_ROLE } from './group-role';
import type { GroupRolesService } from './group-roles.service';
import * as sql from './sql';
import { classifyError } from './sqlstate';
import type { QueryResultRow } from 'pg';
import { actAs } from './acting-roles';
import { userLockKey, type TargetClient, type Tx, type TxOptions } from './target-client';
import { readRoleState, terminateSessions, type JobRef } from './user-sync.service';

export interface CleanupOutcome {
  status: 'applied' | 'skipped';
  reassigned: string[];
  effects: string[];
}

/**
 * Deletes a person's database user: in every database, REASSIGN OWNED BY it
 * to doorman_inheritor and DROP OWNED BY it; then end its sessions and DROP ROLE. Only a
 * role in the marker role, belonging to this person and not re-synced since, is touched.
 */
interface RoleStateRow {
  managed: boolean;
  comment: string | null;
}

export class UserCleanupService {
  constructor(
    private readonly target: TargetClient,
    private readonly groups: GroupRolesService,
  ) {}

  async cleanup(job: CleanupUserJob, ref: JobRef): Promise<CleanupOutcome> {
    await this.groups.ensureBaseRoles();
    const admin = this.target.adminDatabase;
    const txOpts = { jobKind: ref.kind, shortId: ref.shortId, lockKey: userLockKey(job.username) };
    // The admin database always takes part: role-level privileges may live there.
    const others = [...new Set(job.databases)].filter((d) => d !== admin);

    // A non-superuser admin acts as the user (DROP OWNED, REASSIGN OWNED) and as the
    // inheritor (REASSIGN OWNED … TO): committed memberships, so every database's
    // transaction sees them, taken only for a role this person's job may touch, and given back.
    const giveBack = await this.actAsUser(job);
    try {
      return await this.cleanupInTx(job, txOpts, admin, others);
    } finally {
      await giveBack();
    }
  }

  private async actAsUser(job: CleanupUserJob): Promise<() => Promise<void>> {
    const run = <R extends QueryResultRow>(s: sql.Statement) => this.target.query<R>(s);
    const [row] = await run<RoleStateRow>(
      sql.readRoleState(job.username, MARKER_ROLE, GROUP_COMMENT_PREFIX),
    );
    const owner = row ? parseRoleComment(row.comment) : null;
    if (!row?.managed || (owner && owner.person !== job.personId)) return async () => {};
    return actAs(run, [job.username, INHERITOR_ROLE], `cleanup of ${JSON.stringify(job.username)}`);
  }

  private cleanupInTx(
    job: CleanupUserJob,
    txOpts: TxOptions,
    admin: string,
    others: string[],
  ): Promise<CleanupOutcome> {
    return this.target.transaction(admin, txOpts, async (tx) => {
      const state = await readRoleState(tx, job.username);
      if (!state.exists) {
        return {
          status: 'skipped',
          reassigned: [],
          effects: ['role does not exist; nothing to clean up'],
        };
      }
      if (!state.managed) {
        throw ConnectorError.permanent(
          ConnectorErrorCode.NameClash,
          `role ${JSON.stringify(job.username)} is not managed by Doorman; refusing to drop it`,
        );
      }
      const comment = parseRoleComment(state.comment);
      if (comment && comment.person !== job.personId) {
        throw ConnectorError.permanent(
          ConnectorErrorCode.RoleOfAnotherPerson,
          `role ${JSON.stringify(job.username)} belongs to another person (${comment.person}); refusing to drop it`,
        );
      }
      if (comment && comment.gen > job.generation) {
        return {
          status: 'skipped',
          reassigned: [],
          effects: [
            `generation ${comment.gen} was applied after this cleanup was decided; kept the role`,
          ],
        };
      }

      const reassigned: string[] = [];
      const effects: string[] = [];
      // The admin database first, inside this transaction, reporting shared objects too.
      reassigned.push(...(await this.disown(tx, admin, job.username, true)));
      for (const database of others) {
        try {
          const objects = await this.target.transaction(database, txOpts, (dbTx) =>
            this.disown(dbTx, database, job.username, false),
          );
          reassigned.push(...objects);
        } catch (err) {
          // A database that no longer exists holds nothing of the user's.
          if (classifyError(err).code !== ConnectorErrorCode.DatabaseMissing) throw err;
          effects.push(`database ${database} does not exist; skipped`);
        }
      }

      await tx.run(sql.alterRoleLogin(job.username, false));
      const sessions = await terminateSessions(this.target, job.username);
      await tx.run(sql.dropRole(job.username));
      effects.push(
        `reassigned ${reassigned.length} object(s) to ${INHERITOR_ROLE}`,
        ...(sessions ? [`terminated ${sessions} session(s)`] : []),
        `dropped role ${job.username}`,
      );
      return { status: 'applied', reassigned, effects };
    });
  }

  private async disown(
    tx: Tx,
    database: string,
    username: string,
    includeShared: boolean,
  ): Promise<string[]> {
    const owned = await tx.run<{ type: string; identity: string }>(
      sql.listOwnedObjects(username, includeShared),
    );
    await tx.run(sql.reassignOwned(username, INHERITOR_ROLE));
    await tx.run(sql.dropOwned(username));
    return owned.map((o) => `${database}: ${o.type} ${o.identity}`);
  }
}
