import { schemaKey } from '../catalog/catalog.policy';
import { requestCatalog, type CatalogFlow } from './access-catalog';

const flow = (over: Partial<CatalogFlow>): CatalogFlow => ({
  integrationId: 'i1',
  requestorUserIds: [],
  requestorGroupIds: [],
  resources: [{ database: 'app', schema: 'public' }],
  permissions: ['read'],
  defaultDurationSeconds: 3600,
  maxDurationSeconds: 7200,
  justificationRequired: false,
  ...over,
});

describe('requestCatalog', () => {
  const names = new Map([
    ['i1', 'pg-prod'],
    ['i2', 'pg-analytics'],
  ]);

  it('offers only what the person may request, by user or group, without duplicates', () => {
    const catalog = requestCatalog(
      [
        flow({ requestorUserIds: ['alice'], permissions: ['write', 'read'] }),
        flow({
          integrationId: 'i2',
          requestorGroupIds: ['g1'],
          resources: [{ database: 'dw', schema: 'facts' }],
          maxDurationSeconds: 14400,
          justificationRequired: true,
        }),
        flow({ requestorUserIds: ['alice'] }),
        flow({ requestorUserIds: ['bob'], resources: [{ database: 'hr', schema: 'pay' }] }),
      ],
      { id: 'alice', groupIds: ['g1'] },
      names,
    );
    expect(catalog?.options.map((o) => `${o.integration} ${o.database}.${o.schema}`)).toEqual([
      'pg-analytics dw.facts',
      'pg-prod app.public',
    ]);
    expect(catalog?.permissions).toEqual(['read', 'write']);
    expect(catalog?.maxDurationSeconds).toBe(14400);
    // Required only when every flow requires it; the service judges the submission anyway.
    expect(catalog?.justificationRequired).toBe(false);
  });

  it('is null for someone no flow lets ask', () => {
    expect(
      requestCatalog([flow({ requestorUserIds: ['bob'] })], { id: 'eve', groupIds: [] }, names),
    ).toBeNull();
  });
});

describe('requestCatalog with a fresh catalog', () => {
  const names = new Map([
    ['i1', 'pg-prod'],
    ['i2', 'pg-analytics'],
  ]);

  it('offers only schemas that exist and can be granted at a level of the flow, with those levels', () => {
    const grantable = new Map([
      [
        'i1',
        new Map([
          [schemaKey('app', 'sales'), ['read', 'write', 'admin']],
          [schemaKey('app', 'legacy'), []],
          [schemaKey('app', 'audit'), ['admin']],
        ]),
      ],
    ]);
    const catalog = requestCatalog(
      [
        flow({
          requestorUserIds: ['alice'],
          permissions: ['write', 'read'],
          resources: ['sales', 'legacy', 'audit', 'ghost'].map((schema) => ({
            database: 'app',
            schema,
          })),
        }),
        // No catalog for i2 (never discovered, or stale): its resources are offered as written.
        flow({
          integrationId: 'i2',
          requestorUserIds: ['alice'],
          resources: [{ database: 'dw', schema: 'facts' }],
        }),
      ],
      { id: 'alice', groupIds: [] },
      names,
      grantable,
    );
    expect(catalog?.options).toEqual([
      { integrationId: 'i2', integration: 'pg-analytics', database: 'dw', schema: 'facts' },
      {
        integrationId: 'i1',
        integration: 'pg-prod',
        database: 'app',
        schema: 'sales',
        levels: ['read', 'write'],
      },
    ]);
  });

  it('unites the levels of several flows offering the same schema', () => {
    const grantable = new Map([['i1', new Map([[schemaKey('app', 'public'), ['read', 'admin']]])]]);
    const catalog = requestCatalog(
      [
        flow({ requestorUserIds: ['alice'], permissions: ['admin'] }),
        flow({ requestorUserIds: ['alice'], permissions: ['read'] }),
      ],
      { id: 'alice', groupIds: [] },
      names,
      grantable,
    );
    expect(catalog?.options.map((o) => o.levels)).toEqual([['read', 'admin']]);
  });
});

describe('requestCatalog with existing roles', () => {
  const names = new Map([['i1', 'pg-prod']]);
  const mixed = flow({
    requestorUserIds: ['alice'],
    permissions: ['read', 'member'],
    resources: [
      { database: 'app', schema: 'sales' },
      { database: '*', schema: 'pg_monitor' },
      { database: '*', schema: 'root_group' },
    ],
  });

  it("offers a role as member and a schema at the flow's other levels", () => {
    const catalog = requestCatalog([mixed], { id: 'alice', groupIds: [] }, names);
    // Sorted as `database.schema`: roles ("*") before schemas.
    expect(catalog?.options.map((o) => [o.schema, o.levels])).toEqual([
      ['pg_monitor', ['member']],
      ['root_group', ['member']],
      ['sales', undefined],
    ]);
    expect(catalog?.permissions).toEqual(['read', 'member']);
  });

  it('with a fresh catalog, only the roles the admin hands out', () => {
    const grantable = new Map([
      [
        'i1',
        new Map([
          [schemaKey('app', 'sales'), ['read', 'write', 'admin']],
          [schemaKey('*', 'pg_monitor'), ['member']],
          [schemaKey('*', 'root_group'), []],
        ]),
      ],
    ]);
    const catalog = requestCatalog([mixed], { id: 'alice', groupIds: [] }, names, grantable);
    expect(catalog?.options.map((o) => [o.schema, o.levels])).toEqual([
      ['pg_monitor', ['member']],
      ['sales', ['read']],
    ]);
  });
});
