import type { RequestModalInput, RequestOption } from './views/modals.view';

/** The parts of a flow the request form needs (plain data, STYLE §1). */
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

/**
 * What the request form offers a person: the resources and permissions of the flows they
 * may request under. The form is a convenience; RequestsService judges the submission.
 */
export function requestCatalog(
  flows: CatalogFlow[],
  person: { id: string; groupIds: string[] },
  integrationNames: Map<string, string>,
): RequestModalInput | null {
  const mine = flows.filter(
    (f) =>
      f.requestorUserIds.includes(person.id) ||
      f.requestorGroupIds.some((g) => person.groupIds.includes(g)),
  );
  if (!mine.length) return null;
  const options = new Map<string, RequestOption>();
  for (const f of mine) {
    for (const r of f.resources) {
      const o = {
        integrationId: f.integrationId,
        integration: integrationNames.get(f.integrationId) ?? f.integrationId,
        database: r.database,
        schema: r.schema,
      };
      options.set(`${o.integrationId}|${o.database}|${o.schema}`, o);
    }
  }
  const sorted = [...options.values()].sort((a, b) =>
    `${a.integration} ${a.database}.${a.schema}`.localeCompare(
      `${b.integration} ${b.database}.${b.schema}`,
    ),
  );
  const order = ['read', 'write', 'admin'];
  const permissions = [...new Set(mine.flatMap((f) => f.permissions))].sort(
    (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99),
  );
  return {
    options: sorted,
    permissions,
    maxDurationSeconds: Math.max(...mine.map((f) => f.maxDurationSeconds)),
    defaultDurationSeconds: Math.min(...mine.map((f) => f.defaultDurationSeconds)),
    justificationRequired: mine.every((f) => f.justificationRequired),
  };
}
