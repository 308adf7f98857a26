import type { WebClient } from '@slack/web-api';

/**
 * Slack Web API calls that failed, by method and error code, since this process started.
 * Process-wide on purpose: the Slack client is built outside Nest's container; the metrics
 * service reads these at scrape time (doorman_slack_api_errors_total).
 */
export const slackApiErrors = new Map<string, { method: string; code: string; count: number }>();

export function recordSlackApiError(method: string, err: unknown): void {
  const e = err as { data?: { error?: unknown }; code?: unknown } | null | undefined;
  const raw = e?.data?.error ?? e?.code;
  const code = typeof raw === 'string' ? raw.slice(0, 60) : 'unknown';
  const key = `${method}\u0000${code}`;
  const entry = slackApiErrors.get(key) ?? { method, code, count: 0 };
  entry.count++;
  slackApiErrors.set(key, entry);
}

/** Counts every failed Web API call (all methods go through apiCall); behaviour unchanged. */
export function instrumentSlackClient<T extends WebClient>(client: T): T {
  const call = client.apiCall.bind(client);
  client.apiCall = async (method, options) => {
    try {
      return await call(method, options);
    } catch (err) {
      recordSlackApiError(method, err);
      throw err;
    }
  };
  return client;
}
