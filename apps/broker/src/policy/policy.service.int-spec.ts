import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiClient } from '../../../../test/support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from '../../../../test/support/broker-env';
import { createBrokerApp } from '../bootstrap';

jest.setTimeout(120_000);

/** A throwaway self-signed CA, as PEM (openssl, as the CA schema's own spec makes one). */
function makeCa(dir: string, name: string): string {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.crt`),
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: 'ignore' },
  );
  return readFileSync(join(dir, `${name}.crt`), 'utf8');
}

const indent = (text: string, by: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n');

/**
 * Applying a policy file on the real broker: all or nothing (one transaction), and the
 * integration fields a file may set like the API does (the CA certificate, reveals to minted
 * tokens).
 */
describe('policy apply (broker, real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let api: ApiClient;
  let db: Client;
  let dir: string;
  let ca: string;
  let otherCa: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'policy-int-'));
    ca = makeCa(dir, 'first-ca');
    otherCa = makeCa(dir, 'second-ca');
    env = await createBrokerTestEnv();
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    api = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const apply = (yaml: string, dryRun = false) =>
    api.post('/api/v1/policy/apply', { yaml, dryRun });

  const base = (integrationExtra = '') => `version: 1
users:
  - { email: carol@example.com, name: Carol, roles: [requester] }
  - { email: lead@example.com, name: Lead, roles: [requester] }
connectors:
  - name: policy-int-connector
integrations:
  - name: policy-int
    connector: policy-int-connector
    host: db.internal
    databases: [app]
${integrationExtra}
`;

  const flow = (name: string, database: string) => `  - name: ${name}
    integration: policy-int
    requestors: { users: [carol@example.com] }
    resources: [{ database: ${database}, schema: public }]
    permissions: [read]
    steps: [{ approvers: { users: [lead@example.com] } }]
    defaultDuration: 1h
    maxDuration: 4h
`;

  it('is all or nothing: a flow the flows service refuses leaves the people, integration and first flow unwritten', async () => {
    // The second flow names a database the integration does not have: only the flows service
    // (after the people, the integration and the first flow were written) finds that.
    const res = await apply(
      `${base()}flows:\n${flow('first-flow', 'app')}${flow('second-flow', 'elsewhere')}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        path: 'flows.1',
        message: expect.stringContaining('elsewhere'),
      }),
    ]);
    const count = async (sql: string, ...values: unknown[]) =>
      Number((await db.query<{ n: string }>(sql, values)).rows[0].n);
    expect(
      await count(
        `SELECT count(*) AS n FROM users WHERE email IN ('carol@example.com', 'lead@example.com')`,
      ),
    ).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM connectors`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM integrations`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM access_flows`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM access_flow_versions`)).toBe(0);

    // The same file without the bad flow applies whole.
    const good = await apply(`${base()}flows:\n${flow('first-flow', 'app')}`);
    expect(good.status).toBe(200);
    expect(good.body.changes).toEqual([
      'create user carol@example.com (requester)',
      'create user lead@example.com (requester)',
      'create connector policy-int-connector',
      'create integration policy-int',
      'create flow first-flow',
    ]);
    expect(await count(`SELECT count(*) AS n FROM access_flows WHERE name = 'first-flow'`)).toBe(1);
  });

  it('applies one file at a time: two applies of the same new file at once both succeed, the second changing nothing', async () => {
    const file = `version: 1
users:
  - { email: twice@example.com, name: Twice, roles: [requester] }
groups:
  - { name: twice-group, members: [twice@example.com] }
`;
    const [a, b] = await Promise.all([apply(file), apply(file)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.changes, b.body.changes].sort((x, y) => x.length - y.length)).toEqual([
      [],
      ['create user twice@example.com (requester)', 'create group twice-group'],
    ]);
  });

  const integration = async () =>
    ((await api.get('/api/v1/integrations')).body as Array<Record<string, unknown>>).find(
      (i) => i.name === 'policy-int',
    )!;

  it('sets, keeps, replaces and removes the CA certificate; left out, the CA stays as it is', async () => {
    const withCa = (pem: string) => base(`    caCertificate: |\n${indent(pem, '      ')}`);
    const set = await apply(withCa(ca));
    expect(set.status).toBe(200);
    expect(set.body.changes).toEqual(['update integration policy-int']);
    expect(String((await integration()).caCertificate).trim()).toBe(ca.trim());
    // The same PEM again (the schema normalises it as the API does): nothing to change.
    expect((await apply(withCa(ca))).body.changes).toEqual([]);
    // Left out of the file: kept.
    expect((await apply(base())).body.changes).toEqual([]);
    expect(String((await integration()).caCertificate).trim()).toBe(ca.trim());
    // Replaced, then removed with null.
    expect((await apply(withCa(otherCa))).body.changes).toEqual(['update integration policy-int']);
    expect(String((await integration()).caCertificate).trim()).toBe(otherCa.trim());
    expect((await apply(base('    caCertificate: null'))).body.changes).toEqual([
      'update integration policy-int',
    ]);
    expect((await integration()).caCertificate).toBeNull();
  });

  it('refuses a CA that is not a certificate, at its line', async () => {
    const res = await apply(base('    caCertificate: not a certificate'));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        line: 12,
        path: 'integrations.0.caCertificate',
        message: expect.stringContaining('PEM certificates'),
      }),
    ]);
  });

  it('creates an integration with its CA and reveal setting from the file', async () => {
    const res = await apply(`version: 1
connectors:
  - name: policy-int-connector
integrations:
  - name: policy-int-strict
    connector: policy-int-connector
    host: strict.internal
    databases: [app]
    revealToMintedTokens: false
    caCertificate: |
${indent(ca, '      ')}
`);
    expect(res.status).toBe(200);
    expect(res.body.changes).toEqual(['create integration policy-int-strict']);
    const strict = (
      (await api.get('/api/v1/integrations')).body as Array<Record<string, unknown>>
    ).find((i) => i.name === 'policy-int-strict')!;
    expect(strict).toMatchObject({ revealToMintedTokens: false });
    expect(String(strict.caCertificate).trim()).toBe(ca.trim());
  });

  it('PATCH /integrations/:id sets revealToMintedTokens and the CA, each audited with before and after', async () => {
    const { id } = (await integration()) as { id: string };
    const off = await api.request('PATCH', `/api/v1/integrations/${id}`, {
      revealToMintedTokens: false,
    });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ revealToMintedTokens: false, caCertificate: null });
    expect(await integration()).toMatchObject({ revealToMintedTokens: false });
    const both = await api.request('PATCH', `/api/v1/integrations/${id}`, {
      revealToMintedTokens: true,
      caCertificate: ca,
    });
    expect(both.status).toBe(200);
    expect(await integration()).toMatchObject({ revealToMintedTokens: true });
    expect(String((await integration()).caCertificate).trim()).toBe(ca.trim());
    const audit = await db.query<{ details: Record<string, { from: unknown; to: unknown }> }>(
      `SELECT details FROM audit_events WHERE action = 'integration.updated' AND integration_id = $1
        ORDER BY id`,
      [id],
    );
    expect(audit.rows.map((r) => r.details)).toEqual([
      { revealToMintedTokens: { from: true, to: false } },
      {
        revealToMintedTokens: { from: false, to: true },
        caCertificate: { from: null, to: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) },
      },
    ]);
    const empty = await api.request('PATCH', `/api/v1/integrations/${id}`, {});
    expect(empty.status).toBe(400);
  });

  it('a dry run says what a flow change opens up, counting group members the same file adds', async () => {
    const file = (
      requestors: string,
      approval: string,
      readers = 'carol@example.com',
    ) => `version: 1
users:
  - { email: carol@example.com, name: Carol, roles: [requester] }
  - { email: lead@example.com, name: Lead, roles: [requester] }
  - { email: dora@example.com, name: Dora, roles: [requester] }
groups:
  - { name: exposure-readers, members: [${readers}] }
connectors:
  - name: policy-int-connector
integrations:
  - name: policy-int
    connector: policy-int-connector
    host: db.internal
    databases: [app]
flows:
  - name: exposure-flow
    integration: policy-int
    requestors: ${requestors}
    resources: [{ database: app, schema: public }]
    permissions: [read]
${approval}
    defaultDuration: 1h
    maxDuration: 4h
`;
    const twoSteps = `    steps:
      - { approvers: { users: [lead@example.com] } }
      - { approvers: { users: [lead@example.com] } }`;
    const created = await apply(file('{ users: [carol@example.com] }', twoSteps));
    expect(created.status).toBe(200);
    expect(created.body.exposure).toEqual([
      expect.objectContaining({
        flow: 'exposure-flow',
        change: 'opens',
        people: 1,
        message: 'adds 1 person who may reach app.public read after 2 steps of approval',
      }),
    ]);

    // The lead, and the member this same file adds to the group, count once each (carol twice named).
    const wider = file(
      '{ users: [carol@example.com, lead@example.com], groups: [exposure-readers] }',
      '    autoApprove: {}',
      'carol@example.com, dora@example.com',
    );
    const dry = await apply(wider, true);
    expect(dry.status).toBe(200);
    expect(dry.body.changes).toEqual(
      expect.arrayContaining(['update flow exposure-flow (version 2)']),
    );
    expect(dry.body.exposure).toEqual([
      {
        flow: 'exposure-flow',
        change: 'opens',
        people: 2,
        resource: 'app.public',
        permission: 'read',
        approval: 'none',
        message: 'adds 2 people who may reach app.public read without approval',
      },
      expect.objectContaining({
        change: 'opens',
        message: 'approval of app.public read drops from 2 steps to none',
      }),
    ]);
    // A dry run writes nothing: the flow keeps its version and its two steps.
    const row = await db.query<{ version: number }>(
      `SELECT version FROM access_flows WHERE name = 'exposure-flow'`,
    );
    expect(row.rows).toEqual([{ version: 1 }]);

    // Back to one requestor: the narrowing is reported as closing.
    expect((await apply(wider)).status).toBe(200);
    const narrow = await apply(file('{ users: [carol@example.com] }', twoSteps));
    expect(
      narrow.body.exposure.map((e: { change: string; message: string }) => [e.change, e.message]),
    ).toEqual([
      ['closes', 'removes 2 people who may reach app.public read'],
      ['closes', 'approval of app.public read rises from none to 2 steps'],
    ]);
  });
});
