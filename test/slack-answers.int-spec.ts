import { Logger } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from 'pg';
import { waitFor } from './support/broker-env';
import type { FakeSlack, SeenAnswer } from './support/fake-slack';
import type { World } from './support/fixtures';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';
import type { SlackDriver } from './support/slack-driver';

jest.setTimeout(30_000);

/**
 * People type `/access` wherever they are — a private channel the bot is not in, a DM
 * with a colleague — where real Slack refuses the bot's chat.postEphemeral. Every answer must
 * still reach them (through the command's response_url, else a DM), and a lost delivery is a
 * warning, never an error.
 */
describe('Slack answers reach the person, wherever they typed (strict fake Slack)', () => {
  let stack: SlackBroker;
  let fake: FakeSlack;
  let slack: SlackDriver;
  let w: World;
  let db: Client;
  let integrationName: string;
  let errors: jest.SpyInstance;
  let warnings: jest.SpyInstance;

  const ALICE = 'UALICE';
  const BOB = 'UBOB';
  const MALLORY = 'UMALLORY';
  const STRANGER = 'USTRANGER';
  /** A private channel the bot was never invited to. */
  const SECRET_ROOM = 'G0SECRET';
  /** A DM between Alice and Bob: the bot is not in it. */
  const ALICE_BOB = 'D0ALICEBOB';

  beforeAll(async () => {
    stack = await startSlackBroker();
    ({ fake, slack, w, db, integrationName } = stack);
    fake.addUser(ALICE, w.alice.email);
    fake.addUser(BOB, w.bob.email);
    fake.addUser(MALLORY, w.mallory.email);
    fake.addUser(STRANGER, 'stranger@elsewhere.example');
    fake.addPrivateChannel(SECRET_ROOM, [ALICE, MALLORY, STRANGER, BOB]);
    fake.addDmBetween(ALICE_BOB, ALICE, BOB);
  });

  afterAll(async () => stack?.close());

  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error');
    warnings = jest.spyOn(Logger.prototype, 'warn');
  });

  afterEach(() => {
    errors.mockRestore();
    warnings.mockRestore();
  });

  /** What `user` saw from the moment `since` (an index into seenBy) that contains `text`. */
  const seen = (user: string, since: number, text: string): Promise<SeenAnswer> =>
    waitFor(`${user} to be shown "${text}"`, async () =>
      fake
        .seenBy(user)
        .slice(since)
        .find((a) => a.text.includes(text)),
    );

  const noErrorLogged = () => expect(errors).not.toHaveBeenCalled();

  it('the fake refuses chat.postEphemeral where real Slack does', async () => {
    fake.addPrivateChannel('G0BOTROOM', [BOB], { bot: true });
    const post = async (channel: string, user: string) => {
      const res = await fetch(`${fake.url}chat.postEphemeral`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel, user, text: 'hi' }),
      });
      return (await res.json()) as { ok: boolean; error?: string };
    };
    // A private channel or a DM the bot is not in does not exist for it.
    expect(await post(SECRET_ROOM, ALICE)).toEqual({ ok: false, error: 'channel_not_found' });
    expect(await post(ALICE_BOB, ALICE)).toEqual({ ok: false, error: 'channel_not_found' });
    // The bot is in it, the person is not.
    expect(await post('G0BOTROOM', ALICE)).toEqual({ ok: false, error: 'user_not_in_channel' });
    expect((await post('G0BOTROOM', BOB)).ok).toBe(true);
    expect((await post(fake.dmOf(ALICE), ALICE)).ok).toBe(true);
  });

  it('/access list in a private channel the bot is not in: shown through the response_url', async () => {
    const since = fake.seenBy(ALICE).length;
    expect((await slack.commandIn(SECRET_ROOM, ALICE, 'list')).status).toBe(200);
    const answer = await seen(ALICE, since, 'You have no access requests');
    expect(answer).toMatchObject({ via: 'response_url', channel: SECRET_ROOM });
    const post = fake.responsePosts.at(-1)!;
    expect(post.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    noErrorLogged();
  });

  it('a malformed line gets the usage, in the same place', async () => {
    const since = fake.seenBy(ALICE).length;
    await slack.commandIn(SECRET_ROOM, ALICE, `${integrationName} app read 1h`);
    const answer = await seen(ALICE, since, 'is not <database>.<schema>');
    expect(answer.via).toBe('response_url');
    expect(answer.text).toContain('/access list');
    noErrorLogged();
  });

  it('an unknown person is told so, in the channel they typed in', async () => {
    await slack.commandIn(SECRET_ROOM, STRANGER, 'list');
    const answer = await seen(STRANGER, 0, "I don't know you yet");
    expect(answer).toMatchObject({ via: 'response_url', channel: SECRET_ROOM });
    // Only Slack's own answer: Mallory, Bob and Alice in the same room saw nothing of it.
    for (const other of [ALICE, BOB, MALLORY])
      expect(fake.seenBy(other).some((a) => a.text.includes("I don't know you yet"))).toBe(false);
    noErrorLogged();
  });

  it('a refusal (nobody lets Mallory request) reaches Mallory, not as a server error', async () => {
    await slack.commandIn(SECRET_ROOM, MALLORY, `${integrationName} app.public read 30m because`);
    const answer = await seen(MALLORY, 0, 'Not allowed');
    expect(answer.via).toBe('response_url');
    expect(answer.text).not.toContain('Something went wrong');
    const rows = await db.query('SELECT 1 FROM access_requests WHERE requester_id = $1', [
      w.mallory.id,
    ]);
    expect(rows.rowCount).toBe(0);
    noErrorLogged();
  });

  it('a one-line request typed in a DM with a colleague is confirmed there, and the request is made', async () => {
    const since = fake.seenBy(ALICE).length;
    await slack.commandIn(ALICE_BOB, ALICE, `${integrationName} app.public read 30m INC-7`);
    const answer = await seen(ALICE, since, 'Request submitted');
    expect(answer).toMatchObject({ via: 'response_url', channel: ALICE_BOB });
    // Bob, the other person in that DM, does not see Alice's ephemeral confirmation.
    expect(fake.seenBy(BOB).some((a) => a.text.includes('Request submitted'))).toBe(false);
    const rows = await db.query(
      "SELECT status FROM access_requests WHERE requester_id = $1 AND justification = 'INC-7'",
      [w.alice.id],
    );
    expect(rows.rows).toEqual([{ status: 'PENDING' }]);
    noErrorLogged();
  });

  it('when the response_url fails, the answer comes as a DM from the bot; a warning, not an error', async () => {
    const since = fake.seenBy(ALICE).length;
    fake.failNextResponse(404, 'expired_url');
    await slack.commandIn(SECRET_ROOM, ALICE, 'help');
    const answer = await seen(ALICE, since, '/access list');
    expect(answer).toMatchObject({ via: 'dm', channel: fake.dmOf(ALICE) });
    noErrorLogged();
  });

  it('when nothing can reach the person, it is one warning without secrets, never an error', async () => {
    await stack.noticesSettled();
    fake.failNextResponse(404, 'expired_url');
    fake.failNext('conversations.open', 'fatal_error');
    await slack.commandIn(SECRET_ROOM, ALICE, 'help');
    await waitFor('the warning', async () =>
      warnings.mock.calls.find((c) => String(c[1]).includes('could not answer a person in Slack')),
    );
    const line = JSON.stringify(
      warnings.mock.calls.find((c) => String(c[1]).includes('could not answer')),
    );
    expect(line).toContain('expired_url');
    expect(line).toContain('channel_not_found');
    expect(line).not.toContain('/response/');
    noErrorLogged();
  });

  describe('a response_url elsewhere than Slack', () => {
    let elsewhere: Server;
    let hits = 0;

    beforeAll(async () => {
      elsewhere = createServer((_req, res) => {
        hits++;
        res.end('ok');
      });
      await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => new Promise<void>((resolve) => elsewhere.close(() => resolve())));

    it('is never posted to, even in a correctly signed request: the answer goes by DM', async () => {
      const port = (elsewhere.address() as AddressInfo).port;
      const fields = slack.commandFields(ALICE, 'help', undefined, SECRET_ROOM);
      fields.response_url = `http://127.0.0.1:${port}/commands/T0/1/forged`;
      const since = fake.seenBy(ALICE).length;
      await slack.send(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');
      const answer = await seen(ALICE, since, '/access list');
      expect(answer.via).toBe('dm');
      expect(hits).toBe(0);
      noErrorLogged();
    });
  });
});
