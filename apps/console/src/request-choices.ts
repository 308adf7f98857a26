import type { CatalogView, Flow } from './types';

export interface Choice {
  database: string;
  schema: string;
  /** Levels some flow offers here that the connector's admin can grant (per the catalog). */
  levels: string[];
}

const EVERYTHING = '*';

/** Does a flow's resource name this schema (exactly, or its whole database)? */
const covers = (r: { database: string; schema: string }, database: string, schema: string) =>
  (r.database === database && r.schema === schema) ||
  (r.database === database && r.schema === EVERYTHING && schema !== EVERYTHING);

/**
 * What may be asked for on an integration: the catalog's schemas that some flow offers, with
 * the levels both allow. Before the catalog was read, the schemas the flows name.
 */
export function choicesFor(flows: Flow[], catalog: CatalogView | undefined): Choice[] {
  const offered = (database: string, schema: string) =>
    new Set(
      flows
        .filter((f) => f.resources.some((r) => covers(r, database, schema)))
        .flatMap((f) => f.permissions),
    );
  const schemas = catalog?.databases.flatMap((d) =>
    d.schemas.map((s) => ({ database: d.name, ...s })),
  );
  if (schemas && schemas.length > 0)
    return schemas
      .map((s) => ({
        database: s.database,
        schema: s.schema,
        levels: s.grantable.filter((l) => offered(s.database, s.schema).has(l)),
      }))
      .filter((c) => c.levels.length > 0);
  return flows
    .flatMap((f) =>
      f.resources
        .filter((r) => !r.role && r.schema !== EVERYTHING)
        .map((r) => ({ database: r.database, schema: r.schema })),
    )
    .filter(
      (r, i, all) => all.findIndex((o) => o.database === r.database && o.schema === r.schema) === i,
    )
    .map((r) => ({
      ...r,
      levels: [...offered(r.database, r.schema)].filter((l) => l !== 'member'),
    }));
}
