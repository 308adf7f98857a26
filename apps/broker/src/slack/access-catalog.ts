import { isRoleResource, ROLE_LEVEL } from '@doorman/contracts';
import { schemaKey } from '../catalog/catalog.policy';
import type { RequestModalInput, RequestOption } from './views/modals.view';

/** The parts of a flow the request form needs (plain data, so the form's rules test without Nest). */
export interface CatalogFlow {
  integrationId: string;
  requestorUserIds: string[];
  requestorGroupIds: string[];
  resources: Array<{ database: string; schema: string }>;
  permissions: string[];
  defaultDurationSeconds: number;
  maxDurationSeconds: number;
  justificationRequired: boolean;
}

/** Per integration with a fresh catalog: the levels its admin can grant, by schemaKey. */
export type Grantable = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

/**
 * What the request form offers a person: the resources and permissions of the flows they
 * may request under. Where the integration's catalog is fresh, only schemas that
 * exist and on which the admin can grant one of the flow's levels are offered, with those
 * levels; elsewhere the flow's resources as written. The form is a convenience;
 * RequestsService judges the submission.
 */
export function requestCatalog(
  flows: CatalogFlow[],
  person: { id: string; groupIds: string[] },
  integrationNames: Map<string, string>,
  grantable: Grantable = new Map(),
): RequestModalInput | null {
  const mine = flows.filter(
    (f) =>
      f.requestorUserIds.includes(person.id) ||
      f.requestorGroupIds.some((g) => person.groupIds.includes(g)),
  );
  if (!mine.length) return null;
  const order = ['read', 'write', 'admin', ROLE_LEVEL];
  const byOrder = (a: string, b: string) =>
    (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99);
  const options = new Map<string, RequestOption>();
  for (const f of mine) {
    const known = grantable.get(f.integrationId);
    for (const r of f.resources) {
      const key = `${f.integrationId}|${r.database}|${r.schema}`;
      // An existing role is offered as member, a schema at the flow's other levels.
      const role = isRoleResource(r);
      const offered = f.permissions.filter((l) => (l === ROLE_LEVEL) === role);
      let levels: string[] | undefined = role ? offered : undefined;
      if (known) {
        const here = known.get(schemaKey(r.database, r.schema));
        levels = (here ?? []).filter((l) => offered.includes(l));
        if (!levels.length) continue; // absent from the catalog, or nothing the flow offers
        levels = [...new Set([...(options.get(key)?.levels ?? []), ...levels])].sort(byOrder);
      }
      options.set(key, {
        integrationId: f.integrationId,
        integration: integrationNames.get(f.integrationId) ?? f.integrationId,
        database: r.database,
        schema: r.schema,
        ...(levels ? { levels } : {}),
      });
    }
  }
  const sorted = [...options.values()].sort((a, b) =>
    `${a.integration} ${a.database}.${a.schema}`.localeCompare(
      `${b.integration} ${b.database}.${b.schema}`,
    ),
  );
  const permissions = [...new Set(mine.flatMap((f) => f.permissions))].sort(byOrder);
  return {
    options: sorted,
    permissions,
    maxDurationSeconds: Math.max(...mine.map((f) => f.maxDurationSeconds)),
    defaultDurationSeconds: Math.min(...mine.map((f) => f.defaultDurationSeconds)),
    justificationRequired: mine.every((f) => f.justificationRequired),
  };
}
