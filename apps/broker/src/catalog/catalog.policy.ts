import {
  describeResource,
  everythingLevels,
  isEverything,
  isRoleResource,
  ROLE_LEVEL,
  type CatalogRoleEntry,
  type PermissionLevel,
} from '@doorman/contracts';

/** What the grantability check needs to know of a catalog (plain data, so the rules test without a database). */
export interface CatalogFacts {
  discoveredAt: Date | null;
  adminName: string | null;
}

export interface SchemaFacts {
  grantable: readonly string[];
  reason: string | null;
}

export type GrantabilityVerdict =
  | { ok: true; basis: 'catalog' | 'no-catalog' | 'stale-catalog' | 'not-in-catalog' }
  | { ok: false; field: 'schema' | 'permission'; reason: string };

/** A catalog is trusted to refuse requests only while younger than `staleAfterMs`. */
export function isFresh(discoveredAt: Date | null, now: Date, staleAfterMs: number): boolean {
  return discoveredAt !== null && now.getTime() - discoveredAt.getTime() <= staleAfterMs;
}

/**
 * Pure: may this level be asked for on this schema, judged by the integration's catalog?
 * Only a fresh catalog that knows the schema refuses; without one (never discovered, too
 * old, or a schema created since) the request goes on and the connector's grant is the check.
 */
export function judgeGrantability(
  catalog: CatalogFacts | null,
  schema: SchemaFacts | null,
  ask: { database: string; schema: string; permission: PermissionLevel },
  now: Date,
  staleAfterMs: number,
): GrantabilityVerdict {
  if (!catalog || catalog.discoveredAt === null) return { ok: true, basis: 'no-catalog' };
  if (!isFresh(catalog.discoveredAt, now, staleAfterMs))
    return { ok: true, basis: 'stale-catalog' };
  if (!schema) return { ok: true, basis: 'not-in-catalog' };
  if (schema.grantable.includes(ask.permission)) return { ok: true, basis: 'catalog' };
  const admin = catalog.adminName ?? "the integration's admin";
  const where = describeResource(ask);
  const seen = `(catalog read ${catalog.discoveredAt.toISOString()})`;
  if (isRoleResource(ask)) {
    return {
      ok: false,
      field: schema.grantable.length === 0 ? 'schema' : 'permission',
      reason: `${admin} cannot grant ${where}: ${schema.reason ?? `only ${schema.grantable.join(', ')}`} ${seen}`,
    };
  }
  if (schema.grantable.length === 0) {
    return {
      ok: false,
      field: 'schema',
      reason: `${admin} cannot grant ${isEverything(ask) ? ask.permission : 'anything'} on ${where}: ${schema.reason ?? 'not grantable'} ${seen}`,
    };
  }
  return {
    ok: false,
    field: 'permission',
    reason: `${admin} cannot grant ${ask.permission} on ${where}, only ${schema.grantable.join(', ')}${schema.reason ? `: ${schema.reason}` : ''} ${seen}`,
  };
}

/**
 * Pure: "everything on the server" as a schema of the catalog: the levels the admin may grant
 * through pg_read_all_data / pg_write_all_data.
 */
export function everythingFacts(grantablePredefined: readonly string[]): {
  grantable: PermissionLevel[];
  reason: string | null;
} {
  const grantable = everythingLevels(grantablePredefined);
  return {
    grantable,
    reason:
      grantable.length === 2
        ? null
        : 'it may not grant pg_read_all_data / pg_write_all_data (PostgreSQL 14+; on 16+ it needs ADMIN OPTION on them)',
  };
}

/**
 * Pure: an existing role as a schema of the catalog: `member` when the admin hands
 * it out, nothing with the reason otherwise; null when the catalog does not list it (a LOGIN
 * role, one created since, or a connector that does not report roles): the connector decides.
 */
export function roleFacts(
  roles: readonly CatalogRoleEntry[] | null,
  name: string,
): { grantable: PermissionLevel[]; reason: string | null } | null {
  const role = roles?.find((r) => r.name === name);
  if (!role) return null;
  return role.grantable
    ? { grantable: [ROLE_LEVEL], reason: null }
    : { grantable: [], reason: role.reason ?? 'refused' };
}

/** Pure: when an integration's catalog should be read again, given the last success and failure. */
export function discoveryDue(
  discoveredAt: Date | null,
  lastErrorAt: Date | null,
  refreshMs: number,
): Date {
  const last = Math.max(discoveredAt?.getTime() ?? 0, lastErrorAt?.getTime() ?? 0);
  return new Date(last === 0 ? 0 : last + refreshMs);
}

/** Pure: the key of one schema in a grantable index (database and schema never contain NUL). */
export const schemaKey = (database: string, schema: string): string => `${database}\0${schema}`;
