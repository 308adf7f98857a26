/** Slack's own word for "try again later", in an ok:false answer. */
const UNAVAILABLE = new Set([
  'fatal_error',
  'internal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

/**
 * Whether a failed Slack call is worth retrying later: Slack down or overloaded (5xx, 429, its
 * fatal_error family) or unreachable. A refusal (channel_not_found, user_not_found, invalid
 * blocks) would be refused again, so it is not; neither is anything that is not a Slack error.
 */
export function slackUnavailable(err: unknown): boolean {
  const e = (err ?? {}) as { code?: unknown; statusCode?: unknown; data?: { error?: unknown } };
  switch (e.code) {
    case 'slack_webapi_request_error':
    case 'slack_webapi_rate_limited':
      return true;
    case 'slack_webapi_http_error':
      return typeof e.statusCode === 'number' && (e.statusCode >= 500 || e.statusCode === 429);
    case 'slack_webapi_platform_error':
      return typeof e.data?.error === 'string' && UNAVAILABLE.has(e.data.error);
    default:
      return false;
  }
}

/** A Slack refusal (the request itself was wrong for Slack): logged, never retried. */
export function slackRefused(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('slack_webapi_') && !slackUnavailable(err);
}
