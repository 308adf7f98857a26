/**
 * Requests per Slack user per minute: a fixed one-minute window per user, in memory
 * (per broker replica). Pure apart from the clock passed in.
 */
export class SlackRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly perMinute: number) {}

  /** True when this user may go on; false once they are over the limit this minute. */
  allow(userId: string, now = Date.now()): boolean {
    const w = this.windows.get(userId);
    if (!w || now - w.start >= 60_000) {
      this.windows.set(userId, { start: now, count: 1 });
      if (this.windows.size > 10_000) this.prune(now);
      return true;
    }
    w.count++;
    return w.count <= this.perMinute;
  }

  private prune(now: number): void {
    for (const [id, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(id);
  }
}

/** The Slack user id of any command, action, view submission or event body. */
export function slackUserOf(body: unknown): string | null {
  const b = body as {
    user_id?: unknown;
    user?: { id?: unknown } | string;
    event?: { user?: unknown };
  } | null;
  if (typeof b?.user_id === 'string') return b.user_id;
  if (typeof b?.user === 'object' && typeof b.user?.id === 'string') return b.user.id;
  if (typeof b?.event?.user === 'string') return b.event.user;
  return null;
}
