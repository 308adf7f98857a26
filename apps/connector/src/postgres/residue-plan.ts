import { escapeIdentifier as ident } from 'pg';
import type { Residue } from '@doorman/contracts';
import * as rsql from './residue-sql';
import * as sql from './sql';

/**
 * Pure: from what the target's catalogs hold for a user whose access ended (in full or in
 * part), what should not be there and the statement that removes each. Doorman gives its users
 * exactly one thing, memberships of its group roles (and the marker role): anything else
 * granted to them directly, by anyone, is residue. Objects the user owns are reported only:
 * dropping them would drop data, and who inherits them (REASSIGN OWNED) is a human's decision.
 */

export interface Membership {
  role: string;
  grantor: string;
  adminOption: boolean;
  /** PostgreSQL 16+ (null before: a member always inherits and may SET ROLE). */
  inheritOption?: boolean | null;
  setOption?: boolean | null;
}

/** A membership's options as GRANT spells them, only those that differ from a plain GRANT. */
function membershipOptions(m: Membership): string {
  const opts = [
    m.adminOption ? 'ADMIN OPTION' : null,
    m.inheritOption === false ? 'INHERIT FALSE' : null,
    m.setOption === false ? 'SET FALSE' : null,
  ].filter((o): o is string => o !== null);
  return opts.length > 0 ? ` WITH ${opts.join(', ')}` : '';
}

export interface Session {
  pid: number;
  database: string | null;
  applicationName: string | null;
  clientAddr: string | null;
  backendStart: string | null;
}

/** A role made a member of the user's role (by `grantor`). */
export interface Member {
  member: string;
  grantor: string;
}

/** The role as readResidueShared reads it. */
export interface SharedState {
  canLogin: boolean;
  validUntilMs: number | null;
  attributes: rsql.RoleAttribute[];
  memberships: Membership[];
  /** Roles that are members of the user (absent: none read). */
  members?: Member[];
  /** Databases where pg_shdepend ties something to the role. */
  databases: string[];
  sessions: Session[];
  nowMs: number;
}

export interface AclRow extends rsql.AclObject {
  grantor: string;
  privileges: string[];
}

export interface Dependent {
  deptype: 'o' | 'r' | 'a';
  type: string;
  identity: string;
}

/** Everything read for one user: the shared state, and per database its ACLs and dependents. */
export interface ResidueRead {
  username: string;
  /** null: no such role (nothing can be left). */
  shared: SharedState | null;
  /** Keyed by database; the admin database's entry holds the shared objects too. */
  databases: Map<string, { acls: AclRow[]; dependents: Dependent[] } | { error: string }>;
}

export interface Expected {
  /** May the role still log in after this sync? */
  login: boolean;
  serverVersionNum: number;
}

/** One removal: the statement, where it runs, and whom the connector acts as to run it. */
export interface Fix {
  residue: Residue;
  database: string | null;
  /** The role whose grant this is (run as it), or null: the admin's own right. */
  as: string | null;
  statement: sql.Statement;
}

export interface ResiduePlan {
  found: Residue[];
  fixes: Fix[];
  /** End the user's sessions after the fixes (see `sessionsAreResidue`). */
  endSessions: boolean;
}

const q = (s: string | null): string => (s === null ? '' : ident(s));

/** How an ACL row's object reads in a report: `table "public"."orders" in database "app"`. */
export function aclObjectName(o: rsql.AclObject, database: string | null): string {
  const where = database === null ? '' : ` in database ${ident(database)}`;
  const qn = o.schema === null ? q(o.name) : `${q(o.schema)}.${q(o.name)}`;
  switch (o.kind) {
    case 'schema':
      return `schema ${q(o.schema)}${where}`;
    case 'column':
      return `column ${qn}.${q(o.column)}${where}`;
    case 'routine':
      return `routine ${qn}(${o.args ?? ''})${where}`;
    case 'large-object':
      return `large object ${o.name ?? ''}${where}`;
    case 'default':
      return (
        `default privileges of ${ident(o.owner)}` +
        `${o.schema === null ? '' : ` in schema ${ident(o.schema)}`} on ${o.objtype ?? '?'}${where}`
      );
    case 'database':
    case 'tablespace':
    case 'parameter':
      return `${o.kind} ${q(o.name)}`;
    default:
      return `${o.kind} ${qn}${where}`;
  }
}

/**
 * Sessions are residue when the role may no longer log in, or when a membership it should not
 * hold was found: a session that SET ROLE to that role keeps acting as it after the REVOKE,
 * until it ends. Privileges revoked directly take effect at the next statement.
 */
function sessionsAreResidue(shared: SharedState, expected: Expected, memberships: number): boolean {
  return shared.sessions.length > 0 && (!expected.login || memberships > 0);
}

export function planResidue(read: ResidueRead, expected: Expected): ResiduePlan {
  const found: Residue[] = [];
  const fixes: Fix[] = [];
  const { username, shared } = read;
  if (shared === null) return { found, fixes, endSessions: false };
  const role = ident(username);

  const loginLeft =
    !expected.login &&
    shared.canLogin &&
    (shared.validUntilMs === null || shared.validUntilMs > shared.nowMs);
  // VALID UNTIL only bounds password logins: a certificate, peer or trust rule ignores it, so a
  // role that must not log in loses LOGIN even when its password has expired.
  if (!expected.login && shared.canLogin) {
    const residue: Residue = {
      kind: 'login',
      object: `role ${role}`,
      detail: loginLeft
        ? 'can still log in'
        : 'LOGIN with an expired VALID UNTIL (which certificate and peer logins ignore)',
    };
    found.push(residue);
    fixes.push({
      residue,
      database: null,
      as: null,
      statement: sql.alterRoleLogin(username, false),
    });
  }
  if (shared.attributes.length > 0) {
    const residue: Residue = {
      kind: 'attribute',
      object: `role ${role}`,
      detail: `holds ${shared.attributes.join(', ')}`,
    };
    found.push(residue);
    fixes.push({
      residue,
      database: null,
      as: null,
      statement: rsql.dropRoleAttributes(username, shared.attributes),
    });
  }
  const pg16 = expected.serverVersionNum >= 160000;
  for (const m of shared.memberships) {
    const residue: Residue = {
      kind: 'membership',
      object: `role ${ident(m.role)}`,
      detail: `member${membershipOptions(m)}, granted by ${ident(m.grantor)}`,
    };
    found.push(residue);
    fixes.push({
      residue,
      database: null,
      as: m.grantor,
      statement: rsql.revokeMembershipGrantedBy(m.role, username, pg16 ? m.grantor : null),
    });
  }
  // Whoever is a member of the user acts as it or inherits from it: whatever the user is given
  // next (a new grant reuses the role) would be theirs too.
  for (const m of shared.members ?? []) {
    const residue: Residue = {
      kind: 'membership',
      object: `role ${ident(m.member)}`,
      detail: `a member of ${role} (it would take on the user's next access), granted by ${ident(m.grantor)}`,
    };
    found.push(residue);
    fixes.push({
      residue,
      database: null,
      as: m.grantor,
      statement: rsql.revokeMembershipGrantedBy(username, m.member, pg16 ? m.grantor : null),
    });
  }

  for (const [database, got] of read.databases) {
    if ('error' in got) {
      found.push({
        kind: 'unreadable',
        object: `database ${ident(database)}`,
        detail: `the role is named in its catalogs, which could not be read: ${got.error}`,
      });
      continue;
    }
    for (const acl of got.acls) {
      const isShared =
        acl.kind === 'database' || acl.kind === 'tablespace' || acl.kind === 'parameter';
      const residue: Residue = {
        kind: acl.kind === 'default' ? 'default-privilege' : 'privilege',
        object: aclObjectName(acl, isShared ? null : database),
        detail: `${acl.privileges.join(', ')} granted by ${ident(acl.grantor)}`,
      };
      found.push(residue);
      fixes.push({ residue, database, as: acl.grantor, statement: rsql.revokeAcl(acl, username) });
    }
    for (const d of got.dependents) {
      if (d.deptype === 'o')
        found.push({
          kind: 'owned',
          object: `${d.type} ${d.identity} in database ${ident(database)}`,
          detail:
            `owned by ${role}; left in place (dropping it would drop data): ` +
            `choose who inherits it, then REASSIGN OWNED BY ${role} TO <role>`,
        });
      else
        found.push({
          kind: 'other',
          object: `${d.type} ${d.identity} in database ${ident(database)}`,
          detail:
            d.deptype === 'r'
              ? `a policy names ${role}; not changed by the connector`
              : `an ACL names ${role}; not changed by the connector`,
        });
    }
  }

  const endSessions = sessionsAreResidue(shared, expected, shared.memberships.length);
  if (endSessions) for (const s of shared.sessions) found.push(sessionResidue(s));
  return { found, fixes, endSessions };
}

export function sessionResidue(s: Session): Residue {
  return {
    kind: 'session',
    object: `session pid ${s.pid}`,
    detail:
      `open since ${s.backendStart ?? '?'} on database ${s.database ?? '?'}` +
      ` from ${s.clientAddr ?? 'a local socket'}` +
      (s.applicationName ? `, application_name ${JSON.stringify(s.applicationName)}` : ''),
  };
}

/** The same residue in two reads (before and after the fixes). */
export const residueKey = (r: Residue): string => `${r.kind}\u0000${r.object}\u0000${r.detail}`;
