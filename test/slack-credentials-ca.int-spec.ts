import { CONTRACT_VERSION, jobIds } from '@doorman/contracts';
import { loadSealPublicKey, seal } from '@doorman/crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SyncResultsService } from '../apps/broker/src/grants/sync-results.service';
import { waitFor } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';

jest.setTimeout(60_000);

const run = promisify(execFile);
const PASSWORD = 'Ca-Check-Password-0123456789';

/**
 * Credentials offered with sslmode=verify-full come with the CA they need.
 * The target harness signs its server certificate with a CA of its own; the integration is
 * given that CA, and the REST answer's CA is what makes psql connect as given.
 */
describe('credentials with the CA a verify-full connection needs (REST and Slack)', () => {
  let target: TargetPostgres;
  let stack: SlackBroker;
  let w: World;
  let dir: string;
  let harnessCa: string;
  let grant: string;
  let username: string;

  beforeAll(async () => {
    target = await startTargetPostgres();
    await target.createDatabase('app');
    harnessCa = readFileSync(target.caFile, 'utf8');
    dir = mkdtempSync(join(tmpdir(), 'doorman-ca-'));
    stack = await startSlackBroker();
    // A world on the target itself, checked with verify-full.
    w = await createWorld(stack.w.security.api.as(stack.env.adminToken), {
      host: target.host,
      port: target.port,
      sslMode: 'verify-full',
    });
    stack.fake.addUser('UALICE', w.alice.email);
  });

  afterAll(async () => {
    await stack?.close();
    await target?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an admin sets the integration CA; a private key or garbage is refused with the reason', async () => {
    const bad = await w.security.api.request('PATCH', `/api/v1/integrations/${w.integrationId}`, {
      caCertificate: 'not a certificate',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('PEM');
    const alice = await w.alice.api.request('PATCH', `/api/v1/integrations/${w.integrationId}`, {
      caCertificate: harnessCa,
    });
    expect(alice.status).toBe(403);
    const ok = await w.security.api.request('PATCH', `/api/v1/integrations/${w.integrationId}`, {
      caCertificate: harnessCa,
    });
    expect(ok.status).toBe(200);
    expect(ok.body.caCertificate.trim()).toBe(harnessCa.trim());
    const audit = await stack.db.query(
      "SELECT details FROM audit_events WHERE action = 'integration.updated' AND integration_id = $1",
      [w.integrationId],
    );
    expect(audit.rows[0].details.caCertificate.to).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it("the REST answer's CA makes psql connect with sslmode=verify-full, as given", async () => {
    const req = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
    });
    expect(req.status).toBe(201);
    grant = req.body.id;
    expect((await w.bob.api.post(`/api/v1/access-requests/${grant}/approve`)).status).toBe(200);
    const row = await waitFor('GRANTING with a database user', async () => {
      const r = (await stack.db.query('SELECT * FROM access_requests WHERE id = $1', [grant]))
        .rows[0];
      return r.status === 'GRANTING' && r;
    });
    username = (
      await stack.db.query('SELECT username FROM database_users WHERE user_id = $1', [w.alice.id])
    ).rows[0].username;
    // What the connector would do on the target (this spec tests the broker's answer).
    await target.query(
      `CREATE ROLE "${username.replace(/"/g, '""')}" LOGIN PASSWORD '${PASSWORD}'`,
    );
    await stack.app.get(SyncResultsService).onSyncResult({
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      connectorId: w.connectorId,
      jobId: jobIds.sync(w.integrationId, w.alice.id, row.sync_generation),
      integrationId: w.integrationId,
      personId: w.alice.id,
      username,
      generation: row.sync_generation,
      attempt: 1,
      status: 'applied',
      startedAt: new Date().toISOString(),
      sealedPassword: seal(PASSWORD, loadSealPublicKey(stack.env.env.BROKER_SEAL_PUBLIC_KEY)),
      passwordIssuedAt: new Date().toISOString(),
      sessionsTerminated: 0,
      effects: [],
      failedGroups: [],
    } as never);
    await waitFor('ACTIVE', async () =>
      (await stack.db.query('SELECT status FROM access_requests WHERE id = $1', [grant])).rows[0]
        .status === 'ACTIVE'
        ? true
        : undefined,
    );

    const creds = await w.alice.api.post(`/api/v1/access-requests/${grant}/credentials`);
    expect(creds.status).toBe(200);
    expect(creds.body.sslMode).toBe('verify-full');
    expect(creds.body.caCertificate.trim()).toBe(harnessCa.trim());

    const env: NodeJS.ProcessEnv = { ...process.env, PGCONNECT_TIMEOUT: '5', HOME: dir };
    delete env.PGSSLROOTCERT;
    delete env.PGSSLMODE;
    // Without the CA, verify-full cannot check the server: psql refuses to connect.
    await expect(
      run('psql', [creds.body.connectionString, '-Atc', 'SELECT 1'], { env }),
    ).rejects.toThrow(/root certificate file|certificate/);
    // With the CA Doorman handed out, the same string connects as given.
    const caFile = join(dir, 'doorman-ca.pem');
    writeFileSync(caFile, creds.body.caCertificate);
    const { stdout } = await run(
      'psql',
      [
        creds.body.connectionString,
        '-Atc',
        'SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      ],
      { env: { ...env, PGSSLROOTCERT: caFile } },
    );
    expect(stdout.trim()).toBe(`${username}|t`);
  });

  it('the Slack credentials modal offers the same CA, with the psql line that uses it', async () => {
    await stack.slack.click('UALICE', 'doorman_reveal', grant);
    const modal = await waitFor('the credentials modal', async () =>
      stack.fake
        .callsOf('views.open')
        .find((c) => c.args.view.callback_id === 'doorman_credentials'),
    );
    const text = modal.args.view.blocks.map((b: any) => b.text?.text ?? '').join('\n');
    expect(text).toContain('PGSSLROOTCERT=doorman-ca.pem psql');
    const firstCert = harnessCa.match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/,
    )![0];
    expect(text).toContain(firstCert);
    for (const b of modal.args.view.blocks)
      expect(String(b.text?.text ?? '').length).toBeLessThanOrEqual(3000);
  });
});
