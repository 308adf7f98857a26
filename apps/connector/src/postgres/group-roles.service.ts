import {
  EVERYTHING,
  EVERYTHING_ROLES,
  isEverything,
  isRoleResource,
  ROLE_LEVEL,
  type GroupGrant,
  type SchemaLevel,
} from '@doorman/contracts';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import { actAs, readAdminSelf } from './acting-roles';
import { judgeExistingRole, roleFactsOf, type RoleFactsRow } from './existing-role';
import {
  formatGroupComment,
  groupRoleName,
  INHERITOR_COMMENT,
  INHERITOR_ROLE,
  isGroupComment,
  MARKER_COMMENT,
  MARKER_ROLE,
} from './group-role';
import * as sql from './sql';
import { classifyError, isAlreadyExists, sqlstateOf } from './sqlstate';
import {
  advisoryKey,
  groupsLockKey,
  type TargetClient,
  type Tx,
  type TxOptions,
} from './target-client';

interface Wanted {
  grant: GroupGrant;
  name: string;
}

/** A group role that cannot be made or kept as it should be (a permanent error), and why. */
export interface GroupFailure {
  grant: GroupGrant;
  error: ConnectorError;
}

/** Runs one group's work so that its failure leaves the rest of the transaction intact. */
type Isolate = (fn: () => Promise<void>) => Promise<void>;

const SAVEPOINT = 'doorman_group';

/** Under a savepoint: a failed statement aborts only what ran since it. */
function isolatedIn(tx: Tx): Isolate {
  return async (fn) => {
    await tx.run(sql.savepoint(SAVEPOINT));
    try {
      await fn();
    } catch (err) {
      await tx.run(sql.rollbackToSavepoint(SAVEPOINT));
      throw err;
    }
    await tx.run(sql.releaseSavepoint(SAVEPOINT));
  };
}

/** Null when `work` succeeded; the group's failure when it failed for good; throws otherwise. */
async function attempt(w: Wanted, work: Promise<void>): Promise<GroupFailure | null> {
  try {
    await work;
    return null;
  } catch (err) {
    const error = classifyError(err);
    if (error.retryable) throw err;
    return { grant: w.grant, error };
  }
}

/**
 * Keeps the roles Doorman's users hang from: the marker and inheritor
 * roles once per server, and one NOLOGIN group role per (database, schema, permission)
 * holding the privileges, including default privileges for objects created later.
 */
export class GroupRolesService {
  private baseRoles: Promise<void> | null = null;

  constructor(private readonly target: TargetClient) {}

  /** doorman_managed and doorman_inheritor, created once per process; safe if several connectors race. */
  ensureBaseRoles(): Promise<void> {
    this.baseRoles ??= this.createBaseRoles().catch((err: unknown) => {
      this.baseRoles = null;
      throw err;
    });
    return this.baseRoles;
  }

  private async createBaseRoles(): Promise<void> {
    const wanted = new Map([
      [MARKER_ROLE, MARKER_COMMENT],
      [INHERITOR_ROLE, INHERITOR_COMMENT],
    ]);
    const existing = await this.target.query<{ name: string }>(sql.readRoles([...wanted.keys()]));
    for (const { name } of existing) wanted.delete(name);
    for (const [name, comment] of wanted) {
      // Roles are cluster-wide while advisory locks are per database, so a concurrent
      // creator may win; its duplicate_object / unique violation means we are done.
      try {
        await this.target.query(sql.createNologinRole(name));
        await this.target.query(sql.commentOnRole(name, comment));
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }

  /**
   * Makes sure every group role for `grants` (all in one database) exists and holds what it
   * should, and returns those that cannot: a permanent error — schema or database
   * missing, a role refused, a name clash — is that group's alone; each is checked and made
   * under its own savepoint, so one never fails the others. A transient error (connection,
   * timeout) throws, and the job is retried. The common path only reads catalogs, outside any
   * transaction (no BEGIN/COMMIT round trips for a read); the per-database lock is taken only
   * when something is missing, and the check is repeated under it.
   */
  async ensureGroups(
    database: string,
    grants: readonly GroupGrant[],
    job: Omit<TxOptions, 'lockKey'>,
  ): Promise<GroupFailure[]> {
    if (grants.length === 0) return [];
    const wanted = dedupe(grants);
    // "Everything" and existing roles are server-wide: their groups are kept from the admin's
    // own database.
    const where = database === EVERYTHING ? this.target.adminDatabase : database;
    const read: Tx = { run: (s) => this.target.query(s, where) };
    try {
      const first = await this.needingWork(read, wanted, (fn) => fn());
      if (first.work.length === 0) return first.failed;
      const made = await this.target.transaction(where, job, async (tx) => {
        await tx.run(sql.advisoryXactLock(advisoryKey(groupsLockKey(database))));
        const alone = isolatedIn(tx);
        const again = await this.needingWork(tx, first.work, alone);
        for (const w of again.work) {
          const failure = await attempt(
            w,
            alone(() => this.configure(tx, w)),
          );
          if (failure) again.failed.push(failure);
        }
        return again.failed;
      });
      return [...first.failed, ...made];
    } catch (err) {
      // The database itself is missing (or refuses the admin for good): every group in it.
      const e = classifyError(err);
      if (e.retryable) throw err;
      return wanted.map((w) => ({ grant: w.grant, error: e }));
    }
  }

  private async needingWork(
    tx: Tx,
    wanted: readonly Wanted[],
    alone: Isolate,
  ): Promise<{ work: Wanted[]; failed: GroupFailure[] }> {
    const rows = await tx.run<{ name: string; comment: string | null }>(
      sql.readRoles(wanted.map((w) => w.name)),
    );
    const existing = new Map(rows.map((r) => [r.name, r.comment]));
    const work: Wanted[] = [];
    const failed: GroupFailure[] = [];
    for (const w of wanted) {
      let needs = false;
      const failure = await attempt(
        w,
        alone(async () => {
          needs = await this.needsWork(tx, w, existing);
        }),
      );
      if (failure) failed.push(failure);
      else if (needs) work.push(w);
    }
    return { work, failed };
  }

  private async needsWork(
    tx: Tx,
    w: Wanted,
    existing: ReadonlyMap<string, string | null>,
  ): Promise<boolean> {
    // An existing role is checked every time, before anything changes: a role given
    // SUPERUSER (or the like) since it was last granted is refused from then on.
    if (isRoleResource(w.grant)) await assertRoleGrantable(tx, w.grant);
    if (!existing.has(w.name)) return true;
    if (!isGroupComment(existing.get(w.name))) {
      throw ConnectorError.permanent(
        ConnectorErrorCode.GroupNameClash,
        `role ${JSON.stringify(w.name)} exists but is not a Doorman group role; left untouched`,
      );
    }
    const [drift] = await tx.run<{ drift: boolean; missing?: boolean }>(
      isEverything(w.grant)
        ? sql.readPredefinedDrift(w.name, everythingRoles(w.grant))
        : isRoleResource(w.grant)
          ? sql.readPredefinedDrift(w.name, [w.grant.schema])
          : sql.readGroupDrift(w.name, w.grant.schema),
    );
    // The group outlived its schema: membership in it would grant nothing.
    if (drift.missing) throw schemaMissing(w.grant);
    return drift.drift;
  }

  private async configure(tx: Tx, w: Wanted): Promise<void> {
    if (isEverything(w.grant)) return this.configureEverything(tx, w);
    if (isRoleResource(w.grant)) return this.configureExistingRole(tx, w);
    const permission = schemaLevel(w.grant);
    const [owners] = await tx.run<{ schema_owner: string; object_owners: string[] }>(
      sql.readSchemaOwners(w.grant.schema),
    );
    if (!owners) throw schemaMissing(w.grant);
    const [exists] = await tx.run(sql.readRoles([w.name]));
    if (!exists) {
      await tx.run(sql.createNologinRole(w.name));
      await tx.run(sql.commentOnRole(w.name, formatGroupComment(w.grant)));
    }
    const allOwners = [owners.schema_owner, ...owners.object_owners];
    // A non-superuser admin grants as the owners: membership for this transaction only.
    const giveBack = await actAs(
      tx.run,
      allOwners,
      `${w.grant.permission} on schema ${JSON.stringify(w.grant.schema)} in database ${JSON.stringify(w.grant.database)}`,
    );
    for (const statement of sql.schemaGrantStatements({
      ...w.grant,
      permission,
      group: w.name,
      owners: allOwners,
    })) {
      await tx.run(statement);
    }
    await giveBack();
  }

  /** Read / write on everything: membership in pg_read_all_data (+ pg_write_all_data). */
  private async configureEverything(tx: Tx, w: Wanted): Promise<void> {
    const roles = everythingRoles(w.grant);
    const [exists] = await tx.run(sql.readRoles([w.name]));
    if (!exists) {
      await tx.run(sql.createNologinRole(w.name));
      await tx.run(sql.commentOnRole(w.name, formatGroupComment(w.grant)));
    }
    try {
      for (const statement of sql.everythingGrantStatements(w.name, roles)) await tx.run(statement);
    } catch (err) {
      const state = sqlstateOf(err);
      // 42704: PostgreSQL before 14 has no such roles; 42501: the admin may not grant them.
      if (state !== '42501' && state !== '42704') throw err;
      throw ConnectorError.permanent(
        ConnectorErrorCode.NotGrantable,
        state === '42704'
          ? `${w.grant.permission} on everything needs PostgreSQL 14 or later (${roles.join(', ')})`
          : `the connector's admin may not grant ${roles.join(', ')}: GRANT ${roles.join(', ')} TO <admin> WITH ADMIN OPTION, INHERIT FALSE, SET FALSE (as a superuser)`,
      );
    }
  }

  /** An existing role: the group becomes a member of it; checked in needingWork. */
  private async configureExistingRole(tx: Tx, w: Wanted): Promise<void> {
    const [exists] = await tx.run(sql.readRoles([w.name]));
    if (!exists) {
      await tx.run(sql.createNologinRole(w.name));
      await tx.run(sql.commentOnRole(w.name, formatGroupComment(w.grant)));
    }
    try {
      await tx.run(sql.existingRoleGrant(w.name, w.grant.schema));
    } catch (err) {
      // The checks said yes, PostgreSQL says no (e.g. ADMIN OPTION given back meanwhile).
      if (sqlstateOf(err) !== '42501') throw err;
      throw ConnectorError.permanent(
        ConnectorErrorCode.NotGrantable,
        `the connector's admin may not grant role ${JSON.stringify(w.grant.schema)}: GRANT ${JSON.stringify(w.grant.schema)} TO <admin> WITH ADMIN OPTION, INHERIT FALSE, SET FALSE (as a superuser)`,
      );
    }
  }
}

/** Refuses, with the reason, an existing role Doorman must not or cannot hand out. */
async function assertRoleGrantable(tx: Tx, grant: GroupGrant): Promise<void> {
  if (grant.permission !== ROLE_LEVEL) {
    throw ConnectorError.permanent(
      ConnectorErrorCode.InvalidRequest,
      `role ${JSON.stringify(grant.schema)} is granted as member only, not ${grant.permission}`,
    );
  }
  const [row] = await tx.run<RoleFactsRow>(sql.readRoleFacts([grant.schema]));
  const admin = await readAdminSelf(tx.run);
  const verdict = judgeExistingRole(grant.schema, row ? roleFactsOf(row) : null, admin);
  if (!verdict.grantable) {
    throw ConnectorError.permanent(
      ConnectorErrorCode.NotGrantable,
      `role ${grant.schema} cannot be granted: ${verdict.reason ?? 'refused'}`,
    );
  }
}

function schemaMissing(grant: GroupGrant): ConnectorError {
  return ConnectorError.permanent(
    ConnectorErrorCode.SchemaMissing,
    `schema ${JSON.stringify(grant.schema)} does not exist in database ${JSON.stringify(grant.database)}`,
  );
}

/** A schema group's level; `member` belongs to role resources only. */
function schemaLevel(grant: GroupGrant): SchemaLevel {
  if (grant.permission === ROLE_LEVEL) {
    throw ConnectorError.permanent(
      ConnectorErrorCode.InvalidRequest,
      `member applies to an existing role (database "*"), not to schema ${JSON.stringify(grant.schema)}`,
    );
  }
  return grant.permission;
}

/** The predefined roles behind read / write on everything; admin on everything is refused. */
function everythingRoles(grant: GroupGrant): readonly string[] {
  const roles = EVERYTHING_ROLES[grant.permission];
  if (!roles) {
    throw ConnectorError.permanent(
      ConnectorErrorCode.InvalidRequest,
      `${grant.permission} cannot be granted on everything: only read (pg_read_all_data) or write (pg_write_all_data)`,
    );
  }
  return roles;
}

function dedupe(grants: readonly GroupGrant[]): Wanted[] {
  const byName = new Map<string, Wanted>();
  for (const grant of grants)
    byName.set(groupRoleName(grant), { grant, name: groupRoleName(grant) });
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
