import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApiClient } from './api-client';
import { connectorHealthy, startBrokerProcess, startConnectorProcess } from './apps';
import { createBrokerTestEnv, type BrokerTestEnv } from './broker-env';
import { FakeSlack } from './fake-slack';
import { type AppProcess, freePort } from './processes';
import { SlackDriver } from './slack-driver';
import { startTargetPostgres, type TargetOptions, type TargetPostgres } from './target-postgres';

const SLACK_SECRET = 'e2e-signing-secret-0123456789';
const SLACK_TOKEN = 'xoxb-e2e-bot-token';

export interface StackOptions {
  /** Broker environment on top of the test defaults (createBrokerTestEnv). */
  broker?: Record<string, string>;
  /** The target cluster's options (e.g. its PostgreSQL major version). */
  target?: TargetOptions;
  /** Runs against the fresh target cluster before the broker starts (databases, schemas, rows). */
  prepareTarget?: (target: TargetPostgres) => Promise<void>;
}

/**
 * One end-to-end stack: a throwaway target cluster, the broker as a real process on a fresh
 * database and Redis prefix, and connectors started once their id exists (it is created
 * through the API). stop() tears everything down; E2E_DEBUG=<lines> first prints each process's
 * last lines and the target's server log.
 */
export interface Stack {
  target: TargetPostgres;
  env: BrokerTestEnv;
  broker: AppProcess;
  /** The bootstrap admin. */
  admin: ApiClient;
  baseUrl: string;
  connectors: AppProcess[];
  startConnector(connectorId: string, overrides?: Record<string, string>): AppProcess;
  /** Resolves once the broker reports the connector's heartbeat. */
  connectorHealthy(connectorId: string): Promise<void>;
  stop(): Promise<void>;
}

/** A stack whose broker has Slack on, against a fake Slack Web API, driven by signed requests. */
export interface SlackStack extends Stack {
  fake: FakeSlack;
  slack: SlackDriver;
  /** What the broker checks signatures with (for forged and stale requests). */
  signingSecret: string;
}

export function startStack(opts: StackOptions = {}): Promise<Stack> {
  return start(opts, null);
}

export async function startSlackStack(opts: StackOptions = {}): Promise<SlackStack> {
  const fake = await FakeSlack.start(SLACK_TOKEN);
  try {
    const stack = await start(opts, fake);
    return {
      ...stack,
      fake,
      slack: new SlackDriver(`${stack.baseUrl}/slack/events`, SLACK_SECRET, (user, channel) =>
        fake.responseUrl(user, channel),
      ),
      signingSecret: SLACK_SECRET,
      async stop() {
        await stack.stop();
        await fake.close();
      },
    };
  } catch (e) {
    await fake.close();
    throw e;
  }
}

async function start(opts: StackOptions, fake: FakeSlack | null): Promise<Stack> {
  const target = await startTargetPostgres(opts.target);
  let env: BrokerTestEnv | undefined;
  let broker: AppProcess | undefined;
  const connectors: AppProcess[] = [];
  const stop = async () => {
    if (process.env.E2E_DEBUG) printDebug([broker, ...connectors], target);
    for (const c of connectors) await c.stop();
    await broker?.stop();
    await env?.dispose();
    await target.stop();
  };
  try {
    await opts.prepareTarget?.(target);
    env = await createBrokerTestEnv(opts.broker);
    // A test may fix the port first (a redirect URI registered with an identity provider names it).
    const port = opts.broker?.PORT ? Number(opts.broker.PORT) : await freePort();
    const slackEnv: Record<string, string> = fake
      ? {
          SLACK_SIGNING_SECRET: SLACK_SECRET,
          SLACK_BOT_TOKEN: SLACK_TOKEN,
          SLACK_API_URL: fake.url,
          // The fake serves response_urls on loopback; production allows hooks.slack.com only.
          SLACK_RESPONSE_URL_ORIGINS: fake.origin,
        }
      : {};
    broker = await startBrokerProcess(env, port, {
      LOG_LEVEL: 'info',
      ...slackEnv,
      ...opts.broker,
    });
    const started = broker;
    const baseUrl = `http://127.0.0.1:${port}`;
    const admin = new ApiClient(baseUrl, env.adminToken);
    const brokerEnv = env;
    return {
      target,
      env: brokerEnv,
      broker: started,
      admin,
      baseUrl,
      connectors,
      startConnector(connectorId, overrides = {}) {
        const p = startConnectorProcess(brokerEnv, target, connectorId, {
          LOG_LEVEL: 'info',
          ...overrides,
        });
        connectors.push(p);
        return p;
      },
      connectorHealthy: (connectorId) => connectorHealthy(admin, connectorId),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function printDebug(processes: Array<AppProcess | undefined>, target: TargetPostgres): void {
  const n = Number(process.env.E2E_DEBUG) || 40;
  for (const p of processes)
    if (p) process.stdout.write(`--- ${p.name}\n${p.lines.slice(-n).join('\n')}\n`);
  const serverLog = join(dirname(target.caFile), 'postgres.log');
  if (existsSync(serverLog))
    process.stdout.write(`--- target\n${readFileSync(serverLog, 'utf8').slice(-6000)}\n`);
}
