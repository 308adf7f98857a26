import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { NOTIFICATIONS_QUEUE } from '../../apps/broker/src/outbox/broker-jobs';
import { createBrokerApp } from '../../apps/broker/src/bootstrap';
import { ApiClient } from './api-client';
import { createBrokerTestEnv, SHARED_REDIS, waitFor, type BrokerTestEnv } from './broker-env';
import { FakeSlack } from './fake-slack';
import { createWorld, type World } from './fixtures';
import { SlackDriver } from './slack-driver';

/** A broker in-process with Slack on, a fake Slack, a world, and a client on its database. */
export interface SlackBroker {
  fake: FakeSlack;
  env: BrokerTestEnv;
  app: INestApplication;
  slack: SlackDriver;
  w: World;
  db: Client;
  integrationName: string;
  /**
   * Every Slack notice written so far delivered (its outbox row relayed, its job done): a test
   * that makes Slack fail next must not have the failure taken by an earlier change's notice.
   */
  noticesSettled(): Promise<void>;
  close(): Promise<void>;
}

export async function startSlackBroker(
  overrides: Record<string, string> = {},
): Promise<SlackBroker> {
  const secret = 'slack-test-signing-secret-0123456';
  const token = 'xoxb-slack-test';
  const fake = await FakeSlack.start(token);
  const env = await createBrokerTestEnv({
    SLACK_SIGNING_SECRET: secret,
    SLACK_BOT_TOKEN: token,
    SLACK_API_URL: fake.url,
    // The fake serves response_urls on loopback; in production only hooks.slack.com is allowed.
    SLACK_RESPONSE_URL_ORIGINS: fake.origin,
    ...overrides,
  });
  const app = await createBrokerApp(env.config);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const w = await createWorld(new ApiClient(url, env.adminToken));
  const integrationName = (await w.security.api.get(`/api/v1/integrations/${w.integrationId}`)).body
    .name as string;
  const db = new Client({ connectionString: env.databaseUrl });
  await db.connect();
  const notices = new Queue(NOTIFICATIONS_QUEUE, {
    connection: { url: SHARED_REDIS },
    prefix: env.redisPrefix,
  });
  return {
    fake,
    env,
    app,
    slack: new SlackDriver(`${url}/slack/events`, secret, (user, channel) =>
      fake.responseUrl(user, channel),
    ),
    w,
    db,
    integrationName,
    async noticesSettled() {
      await waitFor('the Slack notices delivered', async () => {
        const rows = await db.query(`SELECT 1 FROM outbox WHERE queue = $1 LIMIT 1`, [
          NOTIFICATIONS_QUEUE,
        ]);
        if (rows.rows.length) return false;
        const c = await notices.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return c.waiting + c.active + c.delayed + c.prioritized === 0;
      });
    },
    async close() {
      await notices.close();
      await db.end();
      await app.close();
      await env.dispose();
      await fake.close();
    },
  };
}
