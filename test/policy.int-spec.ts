import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { BrokerConfigSchema } from '../apps/broker/src/config/broker.config';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, type BrokerTestEnv } from './support/broker-env';

const EXAMPLE = readFileSync(join(__dirname, '..', 'examples', 'policy.yaml'), 'utf8');

/** Policy as code on the real broker: idempotent apply, dry run, line-numbered errors, apply at start. */
describe('policy files (broker on real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let app: INestApplication;
  let api: ApiClient;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    const dir = mkdtempSync(join(tmpdir(), 'doorman-policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, EXAMPLE);
    app = await createBrokerApp(BrokerConfigSchema.parse({ ...env.env, POLICY_FILE: file }));
    await app.listen(0, '127.0.0.1');
    api = new ApiClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), env.adminToken);
  });

  afterAll(async () => {
    await app?.close();
    await env?.dispose();
  });

  const apply = (yaml: string, dryRun = false) =>
    api.post('/api/v1/policy/apply', { yaml, dryRun });

  it('applied POLICY_FILE at start: the example file’s flows exist', async () => {
    const flows = (await api.get('/api/v1/access-flows')).body;
    const write = flows.find((f: { name: string }) => f.name === 'orders-write');
    expect(write).toMatchObject({ version: 1, permissions: ['write'], maxDuration: '4h' });
    expect(write.steps).toHaveLength(2);
    expect(write.steps[1]).toMatchObject({ timeout: '4h', onTimeout: 'deny' });
    const read = flows.find((f: { name: string }) => f.name === 'orders-read');
    expect(read.autoApprove.window).toMatchObject({ timeZone: 'Europe/Berlin', start: '09:00' });
    // Existing roles, written { role: … }: database "*", schema the role, member implied.
    const monitoring = flows.find((f: { name: string }) => f.name === 'orders-monitoring');
    expect(monitoring.permissions).toEqual(['member']);
    expect(monitoring.resources.map((r: { role?: string }) => r.role)).toEqual([
      'pg_monitor',
      'reporting',
    ]);
    expect(monitoring.resources[1]).toMatchObject({ database: '*', schema: 'reporting' });
  });

  it('applying the same file again changes nothing', async () => {
    const res = await apply(EXAMPLE);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ dryRun: false, changes: [], exposure: [] });
  });

  it('a dry run reports what would change and writes nothing; the real apply makes a new version', async () => {
    const edited = EXAMPLE.replace('maxDuration: 4h', 'maxDuration: 6h').replace(
      'name: Bob Lead',
      'name: Bob Lead-Engineer',
    );
    const dry = await apply(edited, true);
    expect(dry.body).toEqual({
      dryRun: true,
      changes: ['update user bob@example.com', 'update flow orders-write (version 2)'],
      exposure: [
        {
          flow: 'orders-write',
          change: 'opens',
          people: 1,
          message: 'longest grant grows from 4h to 6h',
        },
      ],
    });
    const before = (await api.get('/api/v1/access-flows')).body.find(
      (f: { name: string }) => f.name === 'orders-write',
    );
    expect(before).toMatchObject({ version: 1, maxDuration: '4h' });
    const real = await apply(edited);
    expect(real.body.changes).toEqual([
      'update user bob@example.com',
      'update flow orders-write (version 2)',
    ]);
    const after = (await api.get('/api/v1/access-flows')).body.find(
      (f: { name: string }) => f.name === 'orders-write',
    );
    expect(after).toMatchObject({ version: 2, maxDuration: '6h' });
    expect((await apply(edited)).body.changes).toEqual([]);
  });

  it('refuses an invalid file, naming each line, and changes nothing', async () => {
    const bad = EXAMPLE.replace('sslMode: verify-full', 'sslMode: very-full').replace(
      'members: [dora@example.com]',
      'members: [nobody@example.com]',
    );
    const res = await apply(bad);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { line: 39, path: 'integrations.0.sslMode', message: expect.any(String) },
    ]);
    const groupsBefore = (await api.get('/api/v1/groups')).body;
    const unknown = await apply(
      EXAMPLE.replace('members: [dora@example.com]', 'members: [nobody@example.com]'),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      {
        line: 23,
        path: 'groups.0.members.0',
        message: expect.stringContaining('unknown user nobody@example.com'),
      },
    ]);
    // Nothing of it was written: the group keeps its members (a half-applied file once took dora out of it).
    expect((await api.get('/api/v1/groups')).body).toEqual(groupsBefore);
  });

  it('an integration can refuse reveals to minted tokens from the file too', async () => {
    const strict = EXAMPLE.replace(
      '    adminRotationDays: 30\n',
      '    adminRotationDays: 30\n    revealToMintedTokens: false\n',
    );
    expect((await apply(EXAMPLE)).status).toBe(200); // back to the example after the tests above
    expect((await apply(strict)).body.changes).toEqual(['update integration orders-prod']);
    const find = async () =>
      ((await api.get('/api/v1/integrations')).body as Array<{ name: string }>).find(
        (i) => i.name === 'orders-prod',
      );
    expect(await find()).toMatchObject({ revealToMintedTokens: false });
    expect((await apply(EXAMPLE)).body.changes).toEqual(['update integration orders-prod']);
    expect(await find()).toMatchObject({ revealToMintedTokens: true });
  });

  it('only admin and security may apply', async () => {
    expect((await api.as(undefined).post('/api/v1/policy/apply', { yaml: EXAMPLE })).status).toBe(
      401,
    );
  });
});
