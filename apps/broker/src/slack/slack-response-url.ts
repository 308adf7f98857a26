import type { SlackMessage } from './views/messages.view';

/** A message, or a plain line of mrkdwn. */
export type SlackAnswer = Pick<SlackMessage, 'text'> & Partial<Pick<SlackMessage, 'blocks'>>;

/** Slack keeps a response_url alive for 30 minutes and 5 posts; an answer takes well under a second. */
const RESPONSE_URL_TIMEOUT_MS = 5000;

/**
 * The response_url of a command or click, if it may be posted to: https (or a configured test
 * origin) on exactly one of the allowed origins. A request reaching the broker is signed by Slack,
 * but the URL is still data from outside: the broker never POSTs to a place it was merely told.
 */
export function allowedResponseUrl(
  raw: string | undefined,
  origins: readonly string[],
): URL | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  return origins.includes(url.origin) ? url : null;
}

/**
 * Posts an answer only the person sees (ephemeral, a new message: the clicked one stays as it is).
 * Resolves with null when Slack took it, else a short reason for the log (never the URL itself,
 * which anyone holding it could post with).
 */
export async function postToResponseUrl(url: URL, message: SlackAnswer): Promise<string | null> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, ...message }),
      // An allowed origin must not bounce the post somewhere else.
      redirect: 'error',
      signal: AbortSignal.timeout(RESPONSE_URL_TIMEOUT_MS),
    });
    const text = (await res.text().catch(() => '')).slice(0, 100);
    return res.ok ? null : `response_url answered ${res.status}${text ? ` ${text}` : ''}`;
  } catch (err) {
    return `response_url unreachable: ${(err as Error).name}`;
  }
}
