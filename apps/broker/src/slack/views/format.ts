import { describeResource } from '@doorman/contracts';
import type { types } from '@slack/bolt';
import { formatDuration } from '../../common/durations';

/** What a Slack view shows about a request: plain data, already resolved to names. */
export interface RequestView {
  id: string;
  requester: string;
  integration: string;
  database: string;
  schema: string;
  permission: string;
  durationSeconds: number;
  justification: string | null;
  status: string;
  expiresAt: Date | null;
  /** When the access ended (revoked, expired, cancelled), once it did. */
  endedAt?: Date | null;
  /** An extension of an ACTIVE grant rather than new access. */
  isExtension: boolean;
}

/** A person as Slack shows them: a mention when their Slack id is known. */
export function mention(p: { slackUserId: string | null; name: string; email: string }): string {
  return p.slackUserId ? `<@${p.slackUserId}>` : `${escapeText(p.name)} (${escapeText(p.email)})`;
}

/** Slack's mrkdwn treats &, < and > as control characters. */
export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function resourceLine(r: Pick<RequestView, 'integration' | 'database' | 'schema'>): string {
  return `${escapeText(r.integration)} › ${escapeText(resourceName(r))}`;
}

/** `database.schema`, "everything" on the whole server, or `role <name>` (an existing role granted as member). */
export function resourceName(r: { database: string; schema: string }): string {
  return describeResource(r);
}

/** Time left, rounded down to what a person cares about. */
export function timeLeft(expiresAt: Date, now: Date): string {
  const s = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return m ? `${h}h ${m}m` : `${h}h`;
}

/**
 * Slack renders `<!date^…>` in the reader's own time zone ("today 18:19", "Dec 3 18:19"); the
 * fallback, for clients that cannot, is the time in UTC, said so.
 */
export function slackDate(d: Date): string {
  const epoch = Math.floor(d.getTime() / 1000);
  const utc = `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${epoch}^{date_short_pretty} {time}|${utc}>`;
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export { formatDuration };

export type KnownBlock = types.KnownBlock;
export type Block = types.Block;

/** A message as chat.postMessage and chat.update take it: fallback text and its blocks. */
export interface SlackMessage {
  text: string;
  blocks: Array<KnownBlock | Block>;
}
export type ModalView = types.ModalView;
export type HomeView = types.HomeView;

/** A Block Kit button carrying a request id to one of Doorman's actions. */
export function button(
  text: string,
  actionId: string,
  value: string,
  style?: 'primary' | 'danger',
): types.Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}
