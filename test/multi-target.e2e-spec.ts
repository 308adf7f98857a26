import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canRead, untilStatus, type Creds } from './support/access-checks';
import { ApiClient } from './support/api-client';
import { connectorHealthy, startBrokerProcess } from './support/apps';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { AppProcess, freePort } from './support/processes';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

const run = promisify(execFile);

interface Site {
  name: 'a' | 'b' | 'c';
  target: TargetPostgres;
  integrationId: string;
  flowId: string;
}

/**
 * One connector process serving three target clusters (PostgreSQL 15, 17 and 15) from a
 * targets file, one broker. Grants work on all three; with the third server stopped mid-run
 * (`pg_ctl stop`, its sessions and pools cut) grants and revokes on the other two complete while
 * its revoke retries, and completes once it is started again. Discovery, the
 * doctor and reconciliation are each per target.
 */
describe('one connector, many targets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'doorman-targets-'));
  let env: BrokerTestEnv;
  let broker: AppProcess;
  let connector: AppProcess;
  let connectorEnv: Record<string, string>;
  let api: ApiClient;
  let w: World;
  const sites: Site[] = [];
  /** Handed from one test to the next: the grants of the first, b's grant of the third. */
  let activeIds: string[] = [];
  let cCreds: Creds;
  let activeOnB = '';
  const site = (name: Site['name']) => sites.find((s) => s.name === name)!;

  beforeAll(async () => {
    const versions = { a: 15, b: 17, c: 15 } as const;
    const targets = await Promise.all(
      (['a', 'b', 'c'] as const).map(async (name) => {
        const target = await startTargetPostgres({ version: versions[name] });
        await target.createDatabase('app');
        await target.query(
          `CREATE TABLE public.t (id int); INSERT INTO public.t VALUES (1)`,
          [],
          'app',
        );
        // What tells one server's catalog from another's.
        await target.query(`CREATE TABLE public.only_${name} (id int)`, [], 'app');
        return { name, target };
      }),
    );

    env = await createBrokerTestEnv();
    const port = await freePort();
    broker = await startBrokerProcess(env, port, { LOG_LEVEL: 'info' });
    api = new ApiClient(`http://127.0.0.1:${port}`, env.adminToken);
    w = await createWorld(api, { port: targets[0].target.port, sslMode: 'verify-full' });
    sites.push({ ...targets[0], integrationId: w.integrationId, flowId: w.flowId });
    for (const { name, target } of targets.slice(1)) {
      const integration = await w.security.api.post('/api/v1/integrations', {
        name: `pg-${name}-${Date.now().toString(36)}`,
        connectorId: w.connectorId,
        host: '127.0.0.1',
        port: target.port,
        databases: ['app'],
        sslMode: 'verify-full',
        ownerIds: [w.security.id],
      });
      expect(integration.status).toBe(201);
      const flow = await w.security.api.post('/api/v1/access-flows', {
        name: `flow-${name}-${Date.now().toString(36)}`,
        integrationId: integration.body.id,
        requestors: { userIds: [w.alice.id], groupIds: [] },
        resources: [{ database: 'app', schema: 'public' }],
        permissions: ['read'],
        approvers: { userIds: [w.bob.id] },
        defaultDuration: '1h',
        maxDuration: '2h',
      });
      expect(flow.status).toBe(201);
      sites.push({ name, target, integrationId: integration.body.id, flowId: flow.body.id });
    }

    // a's password in a secret file, b's and c's in variables.
    const secretA = join(dir, 'a-admin.json');
    writeFileSync(secretA, JSON.stringify({ password: site('a').target.superuserPassword }), {
      mode: 0o600,
    });
    const entry = (s: Site, port: number, secret: string) =>
      [
        `  - integrationId: ${s.integrationId}`,
        `    url: postgres://postgres@127.0.0.1:${port}/postgres?sslmode=verify-full`,
        `    sslrootcert: ${s.target.caFile}`,
        `    adminSecret: ${secret}`,
      ].join('\n');
    const file = join(dir, 'targets.yaml');
    writeFileSync(
      file,
      [
        '# the targets of this test',
        'targets:',
        entry(site('a'), site('a').target.port, `{ file: ${secretA} }`),
        entry(site('b'), site('b').target.port, '{ env: DB_B_PASSWORD }'),
        entry(site('c'), site('c').target.port, '{ env: DB_C_PASSWORD }'),
        '',
      ].join('\n'),
    );
    connectorEnv = {
      REDIS_URL: env.env.REDIS_URL,
      REDIS_PREFIX: env.redisPrefix,
      CONNECTOR_ID: w.connectorId,
      CONNECTOR_TARGETS_FILE: file,
      DB_B_PASSWORD: site('b').target.superuserPassword,
      DB_C_PASSWORD: site('c').target.superuserPassword,
      BROKER_SEAL_PUBLIC_KEY: env.env.BROKER_SEAL_PUBLIC_KEY,
      HEARTBEAT_INTERVAL_MS: '500',
      RECONCILE_INTERVAL_MS: '1000',
      STATEMENT_TIMEOUT_MS: '3000',
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
    };
    connector = AppProcess.start('connector', 'apps/connector/src/main.js', connectorEnv);
    await connectorHealthy(api, w.connectorId);
  });

  afterAll(async () => {
    if (process.env.E2E_DEBUG)
      for (const p of [broker, connector])
        if (p) process.stdout.write(`--- ${p.name}\n${p.lines.slice(-60).join('\n')}\n`);
    await connector?.stop();
    await broker?.stop();
    await env?.dispose();
    await Promise.all(sites.map((s) => s.target.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** alice asks for read on `s`, bob approves: the request's id. */
  async function approved(s: Pick<Site, 'integrationId'> & { name: string }): Promise<string> {
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: s.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
      justification: `multi-target ${s.name}`,
    });
    expect(created.status).toBe(201);
    const ok = await w.bob.api.post(`/api/v1/access-requests/${created.body.id}/approve`);
    expect(ok.status).toBe(200);
    return created.body.id as string;
  }

  async function credentials(id: string): Promise<Creds> {
    const creds = await w.alice.api.post(`/api/v1/access-requests/${id}/credentials`);
    expect(creds.status).toBe(200);
    return { username: creds.body.username as string, password: creds.body.password as string };
  }

  async function metrics(): Promise<string> {
    const line = connector.lines.find((l) => l.includes('"metrics listening"'));
    const port = line && /"port":(\d+)/.exec(line)?.[1];
    if (!port) throw new Error('the connector has not said where its metrics are');
    return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  }

  /** What the broker holds of each target's heartbeats (GET /connectors), by integration. */
  async function targetsSeen(): Promise<
    Map<string, { reachable: boolean; serverVersion: string | null }>
  > {
    const list = (await api.get('/api/v1/connectors')).body as Array<{
      id: string;
      targets: Array<{ integrationId: string; reachable: boolean; serverVersion: string | null }>;
    }>;
    const mine = list.find((c) => c.id === w.connectorId);
    return new Map((mine?.targets ?? []).map((t) => [t.integrationId, t]));
  }

  const auditOf = async (s: Site, action: string) =>
    (
      (await api.get(`/api/v1/audit-events?integrationId=${s.integrationId}&limit=1000`))
        .body as Array<{ action: string; details: Record<string, unknown> }>
    ).filter((e) => e.action === action);

  it('grants on every target, each on its own server', async () => {
    const ids = await Promise.all(sites.map((s) => approved(s)));
    activeIds = ids;
    for (const [i, s] of sites.entries()) {
      await untilStatus(w.alice.api, ids[i], 'ACTIVE');
      const creds = await credentials(ids[i]);
      if (s.name === 'c') cCreds = creds;
      expect(await canRead(s.target, 'public', creds)).toBe(true);
      // The same person's user on the other servers has another password: each is its own.
      for (const other of sites.filter((o) => o !== s))
        expect(await canRead(other.target, 'public', creds)).toBe(false);
    }
    const text = await metrics();
    for (const s of sites) {
      expect(text).toMatch(
        new RegExp(
          `doorman_connector_jobs_processed_total\\{kind="sync-user",integration_id="${s.integrationId}"\\} [1-9]`,
        ),
      );
      expect(text).toContain(`doorman_connector_target_up{integration_id="${s.integrationId}"} 1`);
    }
    // The broker keeps each target's heartbeats apart: three servers, each its own version.
    const seen = await waitFor('a heartbeat of every target', async () => {
      const t = await targetsSeen();
      return sites.every((s) => t.get(s.integrationId)?.reachable) ? t : undefined;
    });
    for (const s of sites)
      expect(seen.get(s.integrationId)?.serverVersion).toContain(`${s.target.majorVersion}.`);
  });

  it('discovers the catalog and the doctor per target, and `npm run doctor` reports each', async () => {
    for (const s of sites) {
      const started = await w.security.api.post(`/api/v1/integrations/${s.integrationId}/discover`);
      expect(started.status).toBe(202);
    }
    for (const s of sites) {
      const catalog = await waitFor(
        `the catalog of ${s.name}`,
        async () => {
          const res = await w.alice.api.get(`/api/v1/integrations/${s.integrationId}/catalog`);
          return res.body.discoveredAt && !res.body.pending ? res.body : undefined;
        },
        30_000,
        200,
      );
      expect(catalog.lastError).toBeNull();
      expect(catalog.admin.versionNum).toBeGreaterThanOrEqual(s.target.majorVersion * 10000);
      expect(catalog.admin.versionNum).toBeLessThan((s.target.majorVersion + 1) * 10000);
      const app = catalog.databases.find((d: { name: string }) => d.name === 'app');
      const tables = app.schemas
        .find((x: { schema: string }) => x.schema === 'public')
        .tables.map((t: { name: string }) => t.name);
      expect(tables.sort()).toEqual([`only_${s.name}`, 't']);
      const doctor = await w.security.api.get(`/api/v1/integrations/${s.integrationId}/doctor`);
      expect(doctor.status).toBe(200);
    }

    // Exit 0 (nothing missing for a superuser) or 1 (something missing) both print a report.
    const doctor = (args: string[]) =>
      run(process.execPath, ['dist/apps/connector/src/cli/doctor.js', ...args], {
        env: { PATH: process.env.PATH ?? '', ...connectorEnv },
      }).then(
        (out) => ({ ...out, code: 0 }),
        (err: { stdout: string; stderr: string; code: number }) => err,
      );
    const all = await doctor([]);
    expect(all.code).toBeLessThan(2);
    for (const s of sites)
      expect(all.stdout).toContain(`integration ${s.integrationId}: postgres@127.0.0.1:`);
    const one = await doctor(['--integration', site('b').integrationId]);
    expect(one.stdout).toContain(`integration ${site('b').integrationId}: postgres@`);
    expect(one.stdout).not.toContain(site('a').integrationId);
    const none = await doctor(['--integration', '00000000-0000-4000-8000-000000000000']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no target serves integration');
    for (const s of sites) expect(all.stdout).not.toContain(s.target.superuserPassword);
  });

  it('with one target down, the others grant and revoke; its grant retries and completes when it is back', async () => {
    // The grants of the first test end on a and b while c is away.
    const [onA, onB, onC] = activeIds;
    await site('c').target.halt();
    const revokedC = await w.alice.api.post(`/api/v1/access-requests/${onC}/revoke`, {
      reason: 'c is away',
    });
    expect(revokedC.status).toBe(200);
    // c's revoke fails to connect and waits for a retry; meanwhile a and b keep going.
    await waitFor(
      "c's revoke to fail for want of its server",
      async () =>
        connector.lines.some(
          (l) =>
            l.includes('job failed; will retry') &&
            l.includes(site('c').integrationId) &&
            l.includes('CONNECTION_FAILED'),
        ),
      30_000,
      100,
    );
    for (const id of [onA, onB]) {
      const revoked = await w.alice.api.post(`/api/v1/access-requests/${id}/revoke`, {
        reason: 'done while c is away',
      });
      expect(revoked.status).toBe(200);
    }
    await Promise.all([onA, onB].map((id) => untilStatus(w.alice.api, id, 'REVOKED')));
    const again = await Promise.all([approved(site('a')), approved(site('b'))]);
    await Promise.all(again.map((id) => untilStatus(w.alice.api, id, 'ACTIVE')));
    expect(await canRead(site('b').target, 'public', await credentials(again[1]))).toBe(true);
    activeOnB = again[1];
    expect((await w.alice.api.get(`/api/v1/access-requests/${onC}`)).body.status).toBe('REVOKING');
    await waitFor(
      'c reported down',
      async () =>
        (await metrics()).includes(
          `doorman_connector_target_up{integration_id="${site('c').integrationId}"} 0`,
        ),
      10_000,
      200,
    );
    await waitFor(
      'the broker to see c unreachable',
      async () => (await targetsSeen()).get(site('c').integrationId)?.reachable === false,
      10_000,
      200,
    );
    expect((await targetsSeen()).get(site('a').integrationId)?.reachable).toBe(true);

    await site('c').target.resume();
    await untilStatus(w.alice.api, onC, 'REVOKED', 30_000);
    expect(await canRead(site('c').target, 'public', cCreds)).toBe(false);
  });

  it("reconciles each target by its own inventory: drift on b is corrected, a's and c's roles are left alone", async () => {
    const creds = await credentials(activeOnB);
    await site('b').target.query(`ALTER ROLE "${creds.username}" NOLOGIN`);
    await waitFor(
      'the login on b to be given back',
      async () => canRead(site('b').target, 'public', creds),
      30_000,
      200,
    );
    const corrected = await auditOf(site('b'), 'reconcile.corrected');
    expect(corrected.some((e) => e.details.username === creds.username)).toBe(true);
    // b's inventory never judged a's or c's people (their roles are not on b).
    for (const s of [site('a'), site('c')]) {
      expect(await auditOf(s, 'reconcile.corrected')).toEqual([]);
      expect(await auditOf(s, 'reconcile.unknown_role')).toEqual([]);
    }
  });

  it('a grant on an integration of this connector that the targets file does not name fails for good, saying why', async () => {
    const integration = await w.security.api.post('/api/v1/integrations', {
      name: `pg-d-${Date.now().toString(36)}`,
      connectorId: w.connectorId,
      host: '127.0.0.1',
      port: site('a').target.port,
      databases: ['app'],
      sslMode: 'verify-full',
      ownerIds: [w.security.id],
    });
    expect(integration.status).toBe(201);
    const flow = await w.security.api.post('/api/v1/access-flows', {
      name: `flow-d-${Date.now().toString(36)}`,
      integrationId: integration.body.id,
      requestors: { userIds: [w.alice.id], groupIds: [] },
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['read'],
      approvers: { userIds: [w.bob.id] },
      defaultDuration: '1h',
      maxDuration: '2h',
    });
    expect(flow.status).toBe(201);
    const d = { name: 'd', integrationId: integration.body.id as string };
    const failed = await untilStatus(w.alice.api, await approved(d), 'FAILED');
    expect(failed.lastError).toContain(`does not serve integration ${integration.body.id}`);
  });

  it("rotates each target's own admin: a's secret file gets the new password, b without a file refuses and keeps its own", async () => {
    const secretA = join(dir, 'a-admin.json');
    const rotations = (s: Site) =>
      w.security.api.post(`/api/v1/integrations/${s.integrationId}/admin-credentials/rotate`);
    const view = async (s: Site) =>
      (await w.security.api.get(`/api/v1/integrations/${s.integrationId}/admin-credentials`)).body;
    expect((await rotations(site('a'))).status).toBe(202);
    expect((await rotations(site('b'))).status).toBe(202);
    await waitFor(
      'a rotated',
      async () => ((await view(site('a'))).lastRotatedAt as string | null) ?? undefined,
      30_000,
      200,
    );
    const failed = await waitFor(
      'b refused',
      async () => ((await view(site('b'))).lastError as unknown) ?? undefined,
      30_000,
      200,
    );
    expect(JSON.stringify(failed)).toContain('adminSecret.file');

    const rotated = (JSON.parse(readFileSync(secretA, 'utf8')) as { password: string }).password;
    expect(rotated).not.toBe(site('a').target.superuserPassword);
    const login = async (s: Site, password: string) => {
      try {
        await (await s.target.connect('postgres', password)).end();
        return true;
      } catch {
        return false;
      }
    };
    expect(await login(site('a'), rotated)).toBe(true);
    expect(await login(site('a'), site('a').target.superuserPassword)).toBe(false);
    expect(await login(site('b'), site('b').target.superuserPassword)).toBe(true);
    expect(connector.output).not.toContain(rotated);
  });
});
