import { choicesFor } from './request-choices';
import type { CatalogView, Flow } from './types';

const flow = (resources: Flow['resources'], permissions: Flow['permissions']): Flow => ({
  id: 'f',
  name: 'f',
  version: 1,
  integrationId: 'i',
  resources,
  permissions,
  steps: [],
  defaultDuration: '1h',
  maxDuration: '2h',
  justificationRequired: false,
});

const catalog = (schemas: Record<string, Array<[string, string[]]>>): CatalogView => ({
  discoveredAt: '2026-01-01T00:00:00Z',
  fresh: true,
  pending: false,
  lastError: null,
  databases: Object.entries(schemas).map(([name, list]) => ({
    name,
    schemas: list.map(([schema, grantable]) => ({
      schema,
      owner: 'o',
      grantable: grantable as Flow['permissions'],
    })),
  })),
});

describe('what the request form offers', () => {
  it('only schemas that exist and some flow offers, with the levels both allow', () => {
    const flows = [flow([{ database: 'app', schema: 'public' }], ['read', 'write'])];
    const seen = catalog({
      app: [
        ['public', ['read']],
        ['billing', ['read', 'write']],
      ],
    });
    expect(choicesFor(flows, seen)).toEqual([
      { database: 'app', schema: 'public', levels: ['read'] },
    ]);
  });

  it('a whole-database flow offers each of its schemas', () => {
    const flows = [flow([{ database: 'app', schema: '*' }], ['read'])];
    const seen = catalog({
      app: [
        ['public', ['read', 'write']],
        ['billing', ['read']],
      ],
      other: [['x', ['read']]],
    });
    expect(
      choicesFor(flows, seen).map((c) => `${c.database}.${c.schema}:${c.levels.join('/')}`),
    ).toEqual(['app.public:read', 'app.billing:read']);
  });

  it('before the catalog was read, the schemas the flows name', () => {
    const flows = [
      flow([{ database: 'app', schema: 'public' }], ['read']),
      flow(
        [
          { database: 'app', schema: 'public' },
          { database: 'app', schema: '*' },
        ],
        ['write'],
      ),
    ];
    expect(choicesFor(flows, undefined)).toEqual([
      { database: 'app', schema: 'public', levels: ['read', 'write'] },
    ]);
  });
});
