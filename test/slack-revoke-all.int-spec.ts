import type { INestApplication } from '@nestjs/common';
import type { Client } from 'pg';
import { AuditService } from '../apps/broker/src/audit/audit.service';
import { waitFor } from './support/broker-env';
import type { FakeSlack } from './support/fake-slack';
import type { World } from './support/fixtures';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';
import type { SlackDriver } from './support/slack-driver';

/** The incident button in Slack: `/access revoke-all`, for security and admins only, as in REST. */
describe('Slack revoke-all (broker in-process, fake Slack)', () => {
  let fake: FakeSlack;
  let app: INestApplication;
  let slack: SlackDriver;
  let w: World;
  let db: Client;
  let integrationName: string;
  let stack: SlackBroker;

  beforeAll(async () => {
    stack = await startSlackBroker();
    ({ fake, app, slack, w, db, integrationName } = stack);
    fake.addUser('UALICE', w.alice.email);
    fake.addUser('USEC', w.security.email);
  });

  afterAll(async () => stack?.close());

  const statusOf = async (id: string) =>
    (await db.query('SELECT status FROM access_requests WHERE id = $1', [id])).rows[0]
      .status as string;

  it('refuses a requester, and lets security end everything on the integration', async () => {
    const req = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
    });
    expect((await slack.command('UALICE', `revoke-all ${integrationName} because`)).status).toBe(
      200,
    );
    await waitFor('the refusal', async () =>
      fake
        .seenBy('UALICE')
        .some((a) => a.text.includes('only security or an admin may revoke everything')),
    );
    expect(await statusOf(req.body.id)).toBe('PENDING');

    expect(
      (await slack.command('USEC', `revoke-all ${integrationName} suspected leak`)).status,
    ).toBe(200);
    await waitFor(
      'the request to be denied',
      async () => (await statusOf(req.body.id)) === 'DENIED',
    );
    const trail = (await w.security.api.get(`/api/v1/audit-events?action=integration.revoke_all`))
      .body;
    expect(trail[0]).toMatchObject({
      actorId: w.security.id,
      channel: 'slack',
      details: { reason: 'suspected leak', denied: 1 },
    });
    // Each pending request it denies is a decision of its own, so approvers' copies follow.
    const denial = (
      await w.security.api.get(
        `/api/v1/audit-events?requestId=${req.body.id}&action=request.denied`,
      )
    ).body;
    expect(denial[0]).toMatchObject({
      actorId: w.security.id,
      channel: 'slack',
      details: { reason: 'revoke-all: suspected leak', revokeAll: true },
    });
  });

  it('alerts security in Slack when a revoke keeps failing', async () => {
    const before = fake.calls.length;
    // What the sync failure path records past REVOKE_ALERT_AFTER_ATTEMPTS.
    await app.get(AuditService).record({
      action: 'revoke.alert',
      actorType: 'system',
      integrationId: w.integrationId,
      details: { username: 'alice_doorman', attempt: 12, error: { code: 'CONNECTION_FAILED' } },
    });
    await waitFor('the alert', async () =>
      fake.calls
        .slice(before)
        .some(
          (c) =>
            c.method === 'chat.postMessage' &&
            JSON.stringify(c.args).includes('A revoke keeps failing'),
        ),
    );
    const alert = fake.calls
      .slice(before)
      .find((c) => JSON.stringify(c.args).includes('A revoke keeps failing'))!;
    expect(alert.args.channel).toBe(fake.dmOf('USEC'));
    expect(JSON.stringify(alert.args)).toContain(integrationName);
  });
});
