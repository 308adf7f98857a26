/**
 * What the connector keeps in a managed role's comment: who it belongs to and the last
 * generation applied. The comment is the connector's only memory.
 */
export interface RoleComment {
  person: string;
  email: string;
  gen: number;
}

const PREFIX = 'doorman:v1 ';

export function formatRoleComment(c: RoleComment): string {
  return PREFIX + JSON.stringify({ person: c.person, email: c.email, gen: c.gen });
}

export function parseRoleComment(comment: string | null | undefined): RoleComment | null {
  if (!comment?.startsWith(PREFIX)) return null;
  try {
    const v = JSON.parse(comment.slice(PREFIX.length)) as Partial<RoleComment>;
    if (typeof v.person !== 'string' || typeof v.email !== 'string' || typeof v.gen !== 'number')
      return null;
    return { person: v.person, email: v.email, gen: v.gen };
  } catch {
    return null;
  }
}
