import { createHash } from 'node:crypto';
import type { GroupGrant, PermissionLevel } from '@doorman/contracts';

/** Every database user Doorman creates is a member; Doorman never alters a role that is not. */
export const MARKER_ROLE = 'doorman_managed';
/** Receives the objects of a deleted user (REASSIGN OWNED). */
export const INHERITOR_ROLE = 'doorman_inheritor';

/** Comment prefix that marks a group role as Doorman's; membership checks rely on it. */
export const GROUP_COMMENT_PREFIX = 'doorman:group:v1 ';

const PREFIX = 'doorman_';
const HASH_CHARS = 10;
/** 63-byte identifier limit, minus the prefix, the separator and the hash. */
const READABLE_MAX = 63 - PREFIX.length - 1 - HASH_CHARS;

/** Lower-case ASCII letters, digits and single underscores; accents folded, the rest dropped. */
export function sanitizeForRoleName(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * The NOLOGIN group role holding one (database, schema, permission): a readable part for
 * people reading `\du`, and a hash of the exact triple so two triples that sanitize alike
 * (e.g. schemas `a b` and `a_b`) never share a role. Always ASCII and at most 63 bytes.
 */
export function groupRoleName(grant: GroupGrant): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([grant.database, grant.schema, grant.permission]))
    .digest('hex')
    .slice(0, HASH_CHARS);
  const readable = sanitizeForRoleName(`${grant.permission}_${grant.database}_${grant.schema}`)
    .slice(0, READABLE_MAX)
    .replace(/_+$/, '');
  return `${PREFIX}${readable}_${hash}`;
}

export interface GroupDescription {
  database: string;
  schema: string;
  permission: PermissionLevel;
}

export function formatGroupComment(g: GroupDescription): string {
  return (
    GROUP_COMMENT_PREFIX +
    JSON.stringify({ database: g.database, schema: g.schema, permission: g.permission })
  );
}

export function isGroupComment(comment: string | null | undefined): boolean {
  return comment?.startsWith(GROUP_COMMENT_PREFIX) ?? false;
}

export const MARKER_COMMENT = 'doorman: marker of database users managed by Doorman';
export const INHERITOR_COMMENT = 'doorman: owns objects of deleted Doorman users';
