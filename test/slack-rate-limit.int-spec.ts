import { Logger } from '@nestjs/common';
import type { Client } from 'pg';
import { waitFor } from './support/broker-env';
import type { FakeSlack } from './support/fake-slack';
import type { World } from './support/fixtures';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';
import type { SlackDriver } from './support/slack-driver';

/** A Slack user over SLACK_RATE_LIMIT_PER_MINUTE is acknowledged but not acted on; others go on. */
describe('Slack rate limit per user (broker in-process, fake Slack)', () => {
  let fake: FakeSlack;
  let slack: SlackDriver;
  let w: World;
  let db: Client;
  let integrationName: string;
  let stack: SlackBroker;

  beforeAll(async () => {
    stack = await startSlackBroker({ SLACK_RATE_LIMIT_PER_MINUTE: '3' });
    ({ fake, slack, w, db, integrationName } = stack);
    fake.addUser('UALICE', w.alice.email);
    fake.addUser('UBOB', w.bob.email);
  });

  afterAll(async () => stack?.close());

  const requestsOf = async (userId: string) =>
    (
      await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM access_requests WHERE requester_id = $1',
        [userId],
      )
    ).rows[0].n;

  it('acts on the first requests of a minute and not on the rest', async () => {
    const command = async (i: number) =>
      expect(
        (
          await slack.command(
            'UALICE',
            `${integrationName} app.public read 30m rate limit test ${i}`,
          )
        ).status,
      ).toBe(200);
    // The first one links alice's Slack account; then a burst within the same minute.
    await command(0);
    await waitFor('the first request', async () => (await requestsOf(w.alice.id)) === 1);
    const warnings = jest.spyOn(Logger.prototype, 'warn');
    const refusals = () =>
      warnings.mock.calls.filter((args) => args[1] === 'Slack user over the rate limit');
    for (let i = 1; i < 5; i++) await command(i);
    // Handling happens after the acknowledgement: the three acted on are requests; the last two
    // were turned away before any listener (so nothing of theirs can still arrive).
    await waitFor('three requests', async () => (await requestsOf(w.alice.id)) === 3);
    await waitFor('two commands refused', async () => refusals().length === 2);
    expect(refusals().map((args) => args[0])).toEqual([
      { slackUserId: 'UALICE' },
      { slackUserId: 'UALICE' },
    ]);
    expect(await requestsOf(w.alice.id)).toBe(3);
    warnings.mockRestore();
    // Another person is not held back by alice's burst.
    fake.addUser('UCAROL', w.carol.email);
    expect((await slack.command('UBOB', 'list')).status).toBe(200);
    // Answered after the acknowledgement, like every command.
    await waitFor('an answer to bob', async () =>
      fake.calls.some(
        (c) => JSON.stringify(c.args).includes(fake.dmOf('UBOB')) || c.args.user === 'UBOB',
      ),
    );
  });
});
