import {
  parseRoleComment,
  VERIFICATION_LIMITS,
  type Residue,
  type RevokeVerification,
} from '@doorman/contracts';
import type { QueryResultRow } from 'pg';
import { actAs, readAdminSelf, type AdminSelf } from './acting-roles';
import {
  planResidue,
  residueKey,
  type AclRow,
  type Dependent,
  type Expected,
  type Fix,
  type Member,
  type Membership,
  type ResidueRead,
  type Session,
  type SharedState,
} from './residue-plan';
import * as rsql from './residue-sql';
import { GROUP_COMMENT_PREFIX, MARKER_ROLE } from './group-role';
import * as sql from './sql';
import { classifyError } from './sqlstate';
import { userLockKey, type TargetClient } from './target-client';

/** A sync that took access away, as the check needs it. */
export interface Ending {
  username: string;
  generation: number;
  /** May the role still log in? */
  login: boolean;
  /** Roles it should still be a member of: the marker role and its Doorman groups. */
  keep: readonly string[];
}

const NEWER_SYNC = 'a newer sync of this user ran meanwhile and owns the role now';

interface SharedRow {
  can_login: boolean;
  valid_until_ms: number | null;
  attributes: rsql.RoleAttribute[];
  memberships: Membership[];
  members: Member[];
  databases: string[];
  shared_objects: boolean;
  sessions: Session[];
  now_ms: number;
}

/**
 * Proof that access ended: after a sync that took groups away or ended logins, reads from the
 * target itself what the user still holds (in every database where pg_shdepend names the role,
 * not only the ones Doorman granted in), removes what should not be there, reads again, and
 * reports what it found and what is gone. Never throws: the sync itself is committed, and a
 * check that could not run is reported as such (not clean).
 */
export class RevokeVerifier {
  constructor(
    private readonly target: TargetClient,
    /** Ends every session of a user (as the sync does), returning how many. */
    private readonly endSessions: (username: string) => Promise<number>,
  ) {}

  async verify(ending: Ending): Promise<RevokeVerification> {
    try {
      return await this.check(ending);
    } catch (err) {
      const e = classifyError(err);
      return {
        checkedAt: new Date().toISOString(),
        clean: false,
        found: [
          {
            kind: 'unreadable',
            object: 'server',
            detail: `the check could not run (${e.code}): ${e.message}`.slice(0, 1000),
          },
        ],
        fixed: [],
      };
    }
  }

  private async check({ username, keep, login, generation }: Ending): Promise<RevokeVerification> {
    const self = await readAdminSelf((s) => this.target.query(s));
    const expected: Expected = { login, serverVersionNum: self.versionNum };
    const before = planResidue(await this.read(username, keep), expected);
    if (before.found.length === 0) return report(before.found, [], new Map(), this.checkedAt());

    const refused = new Map<string, string>();
    const current = await this.fixRole(
      username,
      generation,
      before.fixes.filter((f) => f.database === null),
      self,
      refused,
    );
    for (const fix of before.fixes.filter((f) => f.database !== null)) {
      try {
        await this.apply(fix, self);
      } catch (err) {
        const e = classifyError(err);
        refused.set(residueKey(fix.residue), `${e.code}: ${e.message}`);
      }
    }
    if (before.endSessions && !current) {
      for (const r of before.found)
        if (r.kind === 'session') refused.set(residueKey(r), NEWER_SYNC);
    } else if (before.endSessions) {
      try {
        await this.endSessions(username);
      } catch (err) {
        const e = classifyError(err);
        for (const r of before.found)
          if (r.kind === 'session') refused.set(residueKey(r), `${e.code}: ${e.message}`);
      }
    }

    const after = planResidue(await this.read(username, keep), expected);
    const left = new Set(after.found.map(residueKey));
    const seen = new Set(before.found.map(residueKey));
    const fixed = before.found.filter((r) => !left.has(residueKey(r)));
    // A session that opened meanwhile (a membership being gone, it is no residue by itself)
    // is not one of ours to end: only what the second read still finds of the first stays.
    const found = [
      ...before.found,
      ...after.found.filter((r) => !seen.has(residueKey(r)) && r.kind !== 'session'),
    ];
    return report(found, fixed, refused, this.checkedAt(), left);
  }

  private checkedAt(): string {
    return new Date().toISOString();
  }

  private async read(username: string, keep: readonly string[]): Promise<ResidueRead> {
    const admin = this.target.adminDatabase;
    const [row] = await this.target.query<SharedRow>(rsql.readResidueShared(username, keep));
    const databases: ResidueRead['databases'] = new Map();
    if (!row) return { username, shared: null, databases };
    const shared: SharedState = {
      canLogin: row.can_login,
      validUntilMs: row.valid_until_ms,
      attributes: row.attributes,
      memberships: row.memberships,
      members: row.members,
      databases: row.databases,
      sessions: row.sessions,
      nowMs: row.now_ms,
    };
    // Only the databases pg_shdepend names; the admin database also answers for shared objects
    // (databases, tablespaces, parameters), which it lists under no database. A clean role
    // needs no read beyond the first.
    const toRead = [
      ...(row.shared_objects || shared.databases.includes(admin) ? [admin] : []),
      ...shared.databases.filter((d) => d !== admin),
    ];
    for (const database of toRead) {
      try {
        const acls = await this.target.query<AclRow>(rsql.readDatabaseAcls(username), database);
        const dependents = await this.target.query<Dependent>(
          rsql.readOwnedAndOther(username, database === admin),
          database,
        );
        if (database === admin)
          acls.push(...(await this.target.query<AclRow>(rsql.readSharedAcls(username), database)));
        databases.set(database, { acls, dependents });
      } catch (err) {
        const e = classifyError(err);
        databases.set(database, { error: `${e.code}: ${e.message}`.slice(0, 500) });
      }
    }
    return { username, shared, databases };
  }

  /**
   * The role's own residue (LOGIN, attributes, memberships) in one transaction under the
   * user's advisory lock, and only while the role still holds this job's generation: a newer
   * sync (a new grant) may have given LOGIN or a group back since, and owns the role now.
   * Each fix under its own savepoint, so one refused does not undo the others. Returns
   * whether the generation was still this job's.
   */
  private async fixRole(
    username: string,
    generation: number,
    fixes: Fix[],
    self: AdminSelf,
    refused: Map<string, string>,
  ): Promise<boolean> {
    return this.target.transaction(
      this.target.adminDatabase,
      { jobKind: 'verify-revoke', shortId: String(generation), lockKey: userLockKey(username) },
      async (tx) => {
        const [row] = await tx.run<{ comment: string | null }>(
          sql.readRoleState(username, MARKER_ROLE, GROUP_COMMENT_PREFIX),
        );
        const held = parseRoleComment(row?.comment)?.gen;
        if (held !== undefined && held > generation) {
          for (const f of fixes) refused.set(residueKey(f.residue), NEWER_SYNC);
          return false;
        }
        const run = <R extends QueryResultRow>(s: sql.Statement) => tx.run<R>(s);
        for (const [i, fix] of fixes.entries()) {
          const point = `residue_${i}`;
          await run(sql.savepoint(point));
          try {
            const borrow = fix.as !== null && fix.as !== self.name && !self.superuser;
            const giveBack = borrow
              ? await actAs(run, [fix.as!], `removing ${fix.residue.object}`)
              : async () => {};
            await run(fix.statement);
            await giveBack();
            await run(sql.releaseSavepoint(point));
          } catch (err) {
            await run(sql.rollbackToSavepoint(point));
            const e = classifyError(err);
            refused.set(residueKey(fix.residue), `${e.code}: ${e.message}`);
          }
        }
        return true;
      },
    );
  }

  /**
   * Runs one removal in its own transaction, as the role whose grant it is: a superuser
   * SET ROLEs to it (PostgreSQL revokes only what the acting role granted; a superuser acts as
   * the owner otherwise), a managed-service admin borrows its privileges for the transaction
   * (actAs; refused, with the reason, for a superuser's grant).
   */
  private async apply(fix: Fix, self: AdminSelf): Promise<void> {
    const database = fix.database ?? this.target.adminDatabase;
    await this.target.transaction(
      database,
      { jobKind: 'verify-revoke', shortId: 'x' },
      async (tx) => {
        const run = <R extends QueryResultRow>(s: sql.Statement) => tx.run<R>(s);
        if (fix.as !== null && fix.as !== self.name) {
          if (self.superuser) {
            if (fix.residue.kind !== 'membership') await run(rsql.setLocalRole(fix.as));
          } else {
            // The borrowed membership is given back before the commit: it never outlives the fix.
            const giveBack = await actAs(run, [fix.as], `removing ${fix.residue.object}`);
            await run(fix.statement);
            await giveBack();
            return;
          }
        }
        await run(fix.statement);
      },
    );
  }
}

/** The verification as the result carries it: within the contract's limits. */
function report(
  found: Residue[],
  fixed: Residue[],
  refused: ReadonlyMap<string, string>,
  checkedAt: string,
  left: ReadonlySet<string> = new Set(),
): RevokeVerification {
  const annotated = found.map((r) => {
    const key = residueKey(r);
    if (!left.has(key)) return r;
    const why = refused.get(key);
    const note =
      r.kind === 'owned' || r.kind === 'other'
        ? ''
        : `; still there${why ? ` (the connector's admin was refused: ${why})` : ''}`;
    return { ...r, detail: `${r.detail}${note}`.slice(0, 1000) };
  });
  const max = VERIFICATION_LIMITS.entries;
  return {
    checkedAt,
    clean: found.length === 0,
    found: annotated.slice(0, max),
    fixed: fixed.slice(0, max),
  };
}
