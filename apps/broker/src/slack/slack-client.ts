import { WebClient, LogLevel } from '@slack/web-api';
import { slackSettings, type BrokerConfig } from '../config/broker.config';
import { instrumentSlackClient } from '../metrics/slack-api-errors';

/** The Web API client, or null when Slack is not configured. */
export const SLACK_CLIENT = Symbol('SLACK_CLIENT');
export type SlackClient = WebClient | null;

export function createSlackClient(config: BrokerConfig): SlackClient {
  const s = slackSettings(config);
  if (!s.enabled) return null;
  return instrumentSlackClient(
    new WebClient(s.botToken, {
      slackApiUrl: s.apiUrl,
      logLevel: LogLevel.ERROR,
      // Slack answers 429 with Retry-After; a few retries, never the default half hour.
      retryConfig: { retries: 3, factor: 2, minTimeout: 200, maxTimeout: 5000 },
    }),
  );
}
