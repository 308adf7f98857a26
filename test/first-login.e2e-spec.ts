import { Client } from 'pg';
import { roleOf, untilStatus } from './support/access-checks';
import { waitFor } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { startStack, type Stack } from './support/stack';
import type { TargetPostgres, TargetVersion } from './support/target-postgres';

jest.setTimeout(120_000);

const MIN = 60_000;

/**
 * Sessions observed and the clock from the first login, end to end: broker and connector
 * processes and a real target cluster. alice's grant under a firstLogin flow starts with VALID
 * UNTIL at approval + wait + duration; her real login with the revealed credentials is seen in
 * pg_stat_activity, recorded (pid and backend_start as the target has them) and sets last use;
 * the grant then ends at first login + duration, on the broker and in VALID UNTIL; the session
 * ends when she disconnects.
 */
describe.each<TargetVersion>([15, 17])(
  'PostgreSQL %i: sessions observed; a firstLogin flow counts from the first login',
  (version) => {
    let stack: Stack;
    let target: TargetPostgres;
    let w: World;
    let brokerDb: Client;

    beforeAll(async () => {
      stack = await startStack({
        target: { version },
        prepareTarget: async (t) => {
          await t.createDatabase('app');
          await t.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
        },
      });
      target = stack.target;
      w = await createWorld(stack.admin, {
        host: '127.0.0.1',
        port: target.port,
        sslMode: 'verify-full',
        maxDuration: '1h',
      });
      const flow = (await w.security.api.get(`/api/v1/access-flows/${w.flowId}`)).body;
      const put = await w.security.api.put(`/api/v1/access-flows/${w.flowId}`, {
        name: flow.name,
        integrationId: flow.integrationId,
        requestors: flow.requestors,
        resources: flow.resources,
        permissions: flow.permissions,
        approvers: { userIds: flow.steps[0].approvers.userIds },
        defaultDuration: '30m',
        maxDuration: '1h',
        durationStartsAt: 'firstLogin',
        maxWaitForFirstLogin: '10m',
      });
      expect(put.status).toBe(200);
      stack.startConnector(w.connectorId, { SESSION_OBSERVE_INTERVAL_MS: '300' });
      await stack.connectorHealthy(w.connectorId);
      brokerDb = new Client({ connectionString: stack.env.databaseUrl });
      await brokerDb.connect();
    });

    afterAll(async () => {
      await brokerDb?.end();
      await stack?.stop();
    });

    const view = async (id: string) =>
      (await w.alice.api.get(`/api/v1/access-requests/${id}`)).body;
    const observed = async (pid: number) =>
      (
        await brokerDb.query(
          'SELECT started_at, last_seen_at, ended_at, database FROM observed_sessions WHERE pid = $1',
          [pid],
        )
      ).rows;

    it('a real login is observed, sets last use, and moves the end to first login + duration', async () => {
      const created = await w.alice.api.post('/api/v1/access-requests', {
        integrationId: w.integrationId,
        database: 'app',
        schema: 'public',
        permission: 'read',
        duration: '30m',
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect((await w.bob.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
      const granted = await untilStatus(w.alice.api, id, 'ACTIVE');
      expect(granted).toMatchObject({
        durationStartsAt: 'firstLogin',
        maxWaitForFirstLogin: '10m',
      });
      const bound = Date.parse(granted.grantedAt) + 40 * MIN;
      expect(Date.parse(granted.expiresAt)).toBe(bound);
      expect(granted.firstUsedAt).toBeNull();

      const creds = (await w.alice.api.post(`/api/v1/access-requests/${id}/credentials`)).body;
      // VALID UNTIL is set by the connector from its own clock: within seconds of the bound.
      const before = await roleOf(target, creds.username);
      expect(Math.abs(before!.validUntilMs! - bound)).toBeLessThan(5_000);

      const session = await target.connect(creds.username, creds.password, 'app');
      try {
        const { pid, started } = (
          await session.query<{ pid: number; started: Date }>(
            `SELECT pg_backend_pid() AS pid, backend_start AS started
             FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
          )
        ).rows[0];

        const used = await waitFor('the first login recorded', async () => {
          const v = await view(id);
          return v.firstUsedAt ? v : undefined;
        });
        const [row] = await observed(pid);
        expect(row.database).toBe('app');
        // Whole milliseconds of the target's backend_start.
        expect(row.started_at.getTime()).toBe(Math.floor(started.getTime()));
        expect(Date.parse(used.firstUsedAt)).toBe(row.started_at.getTime());
        expect(Date.parse(used.expiresAt)).toBe(row.started_at.getTime() + 30 * MIN);
        expect(Date.parse(used.lastUsedAt)).toBeGreaterThanOrEqual(row.started_at.getTime());

        // The target's VALID UNTIL follows the new end.
        await waitFor('VALID UNTIL moved to the new end', async () => {
          const r = await roleOf(target, creds.username);
          return r && Math.abs(r.validUntilMs! - Date.parse(used.expiresAt)) < 1_000
            ? true
            : undefined;
        });

        const users = await w.security.api.get(
          `/api/v1/integrations/${w.integrationId}/database-users`,
        );
        const mine = users.body.find((u: { username: string }) => u.username === creds.username);
        expect(Date.parse(mine.lastUsedAt)).toBeGreaterThanOrEqual(row.started_at.getTime());

        const trail = await w.security.api.get(`/api/v1/audit-events?requestId=${id}`);
        expect(trail.body.map((e: { action: string }) => e.action)).toContain('grant.first_used');
      } finally {
        const { pid } = (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
          .rows[0];
        await session.end();
        await waitFor('the session seen ended', async () => {
          const [row] = await observed(pid);
          return row?.ended_at ? true : undefined;
        });
      }
    });
  },
);
