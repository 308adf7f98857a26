import { DomainError } from '../common/errors';

/** Schema URNs of RFC 7643 / 7644 that Doorman speaks. */
export const SCIM = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** The detail error types of RFC 7644 §3.12 that Doorman answers with. */
export type ScimType =
  | 'invalidFilter'
  | 'invalidValue'
  | 'invalidPath'
  | 'invalidSyntax'
  | 'mutability'
  | 'uniqueness'
  | 'noTarget';

/** A request the protocol refuses: a DomainError the SCIM edge answers 400 with this scimType. */
export function scimInvalid(scimType: ScimType, message: string): DomainError {
  return DomainError.validation(message, { scimType });
}

/** The largest page served, whatever count asks for (RFC 7644 §3.4.2.4 lets us cap it). */
export const MAX_PAGE = 200;

export interface Page {
  /** 1-based, as SCIM counts. */
  startIndex: number;
  count: number;
}

/** startIndex below 1 means 1; a missing count is the cap; a negative count means 0 (§3.4.2.4). */
export function pageOf(query: { startIndex?: unknown; count?: unknown }): Page {
  const int = (v: unknown, fallback: number) => {
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n))
      throw scimInvalid('invalidValue', `not an integer: ${JSON.stringify(v)}`);
    return n;
  };
  return {
    startIndex: Math.max(1, int(query.startIndex, 1)),
    count: Math.min(MAX_PAGE, Math.max(0, int(query.count, MAX_PAGE))),
  };
}

export interface EqFilter<A extends string> {
  attribute: A;
  value: string;
}

/**
 * The filters identity providers send to find a resource before creating it: one attribute,
 * `eq`, a quoted string (`userName eq "bjensen@example.com"`). Attribute names and the operator
 * are case-insensitive (RFC 7644 §3.4.2.2); `aliases` maps each accepted name, lower-case, to
 * the attribute it means. Anything richer is refused as invalidFilter rather than misread.
 */
export function parseEqFilter<A extends string>(
  filter: string | undefined,
  aliases: Readonly<Record<string, A>>,
): EqFilter<A> | null {
  if (filter === undefined || filter.trim() === '') return null;
  const m = /^\s*([A-Za-z][\w.:$-]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
  if (!m) throw scimInvalid('invalidFilter', `unsupported filter: only attribute eq "value"`);
  const attribute = aliases[stripSchema(m[1]).toLowerCase()];
  if (!attribute) throw scimInvalid('invalidFilter', `cannot filter on ${m[1]}`);
  return { attribute, value: JSON.parse(`"${m[2]}"`) as string };
}

/** `urn:…:User:name.givenName` → `name.givenName`: a path may carry its schema's URN. */
export function stripSchema(path: string): string {
  for (const urn of [SCIM.user, SCIM.group])
    if (path.toLowerCase().startsWith(`${urn.toLowerCase()}:`)) return path.slice(urn.length + 1);
  return path;
}

/** SCIM booleans, and the strings "True" / "False" Entra ID sends for them. */
export function scimBoolean(value: unknown, attribute: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value))
    return value.toLowerCase() === 'true';
  throw scimInvalid('invalidValue', `${attribute} must be a boolean`);
}

export type PatchVerb = 'add' | 'remove' | 'replace';

export interface PatchOperation {
  op: PatchVerb;
  path?: string;
  value?: unknown;
}

/**
 * A PatchOp body (RFC 7644 §3.5.2) as a list of operations. Verbs are case-insensitive: Entra
 * sends "Add", "Replace", "Remove".
 */
export function parsePatch(body: unknown): PatchOperation[] {
  const b = body as { schemas?: unknown; Operations?: unknown } | null;
  if (!b || typeof b !== 'object' || !Array.isArray(b.Operations))
    throw scimInvalid('invalidSyntax', 'a PatchOp body has Operations');
  if (Array.isArray(b.schemas) && !b.schemas.includes(SCIM.patchOp))
    throw scimInvalid('invalidSyntax', `schemas must include ${SCIM.patchOp}`);
  return b.Operations.map((raw: unknown, i) => {
    const o = raw as { op?: unknown; path?: unknown; value?: unknown } | null;
    const op = typeof o?.op === 'string' ? o.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'remove' && op !== 'replace')
      throw scimInvalid('invalidSyntax', `Operations[${i}].op must be add, remove or replace`);
    if (o!.path !== undefined && typeof o!.path !== 'string')
      throw scimInvalid('invalidPath', `Operations[${i}].path must be a string`);
    const path = typeof o!.path === 'string' && o!.path.trim() ? o!.path.trim() : undefined;
    if (op === 'remove' && !path)
      throw scimInvalid('noTarget', `Operations[${i}]: remove needs a path`);
    if (op !== 'remove' && o!.value === undefined)
      throw scimInvalid('invalidValue', `Operations[${i}]: ${op} needs a value`);
    return { op, path, value: o!.value };
  });
}

/** `members[value eq "id"]`: the member a path filter names, or null for another path. */
export function memberPathFilter(path: string): string | null {
  const m = /^members\s*\[\s*value\s+eq\s+"((?:[^"\\]|\\.)*)"\s*\]$/i.exec(path.trim());
  return m ? (JSON.parse(`"${m[1]}"`) as string) : null;
}

/** The body of every SCIM error answer (RFC 7644 §3.12). */
export function scimErrorBody(status: number, detail: string, scimType?: string) {
  return {
    schemas: [SCIM.error],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  };
}
