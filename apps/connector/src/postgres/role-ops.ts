import { MARKER_ROLE } from './group-role';
import * as sql from './sql';
import type { RoleOp } from './sync-planner';

/**
 * Renders planned operations to SQL. The verifier is the SCRAM-SHA-256 verifier of a new
 * password (never the password) and is required when the plan issues one.
 */
export function renderRoleOps(
  username: string,
  ops: readonly RoleOp[],
  verifier?: string,
): sql.Statement[] {
  const needVerifier = (): string => {
    if (!verifier) throw new TypeError('plan issues a password but no verifier was given');
    return verifier;
  };
  return ops.map((o): sql.Statement => {
    switch (o.op) {
      case 'create-role':
        return sql.createLoginRole({
          username,
          verifier: needVerifier(),
          validUntil: o.validUntil,
          connectionLimit: o.connectionLimit,
          marker: MARKER_ROLE,
        });
      case 'set-login':
        return sql.alterRoleLogin(username, o.login);
      case 'set-valid-until':
        return sql.alterRoleValidUntil(username, o.validUntil);
      case 'set-connection-limit':
        return sql.alterRoleConnectionLimit(username, o.limit);
      case 'set-password':
        return sql.alterRolePassword(username, needVerifier());
      case 'grant-group':
        return sql.grantMembership(o.group, username, o.inheritOnly);
      case 'revoke-group':
        return sql.revokeMembership(o.group, username);
      case 'comment':
        return sql.commentOnRole(username, o.text);
    }
  });
}
