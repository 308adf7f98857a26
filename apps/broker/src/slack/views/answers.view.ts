import { SlackIds } from '../slack-ids';
import {
  button,
  escapeText,
  type KnownBlock,
  resourceLine,
  resourceName,
  slackDate,
  type RequestView,
  type SlackMessage,
} from './format';

/**
 * Answers in Slack's words: what a person sees when something cannot be done, said
 * the way they see the request in Slack — never a REST route, an internal status or a raw UTC
 * timestamp. Pure functions, like every view.
 */

/** Where a request stands, as a sentence ending: "this request <…>". */
export function statusWords(status: string): string {
  switch (status) {
    case 'PENDING':
      return 'is still waiting for approval';
    case 'APPROVED':
    case 'GRANTING':
      return 'was approved and the access is being set up';
    case 'ACTIVE':
      return 'is active';
    case 'REVOKING':
      return 'is ending';
    case 'REVOKED':
      return 'has ended';
    case 'DENIED':
      return 'was denied';
    case 'CANCELLED':
      return 'was cancelled';
    case 'EXPIRED':
      return 'expired before anyone decided';
    case 'FAILED':
      return 'could not be granted';
    default:
      return `is ${status.toLowerCase()}`;
  }
}

/** A short label of where a request stands, for lists. */
export function statusLabel(status: string): string {
  switch (status) {
    case 'PENDING':
      return 'waiting for approval';
    case 'APPROVED':
    case 'GRANTING':
      return 'being set up';
    case 'ACTIVE':
      return 'active';
    case 'REVOKING':
      return 'ending';
    case 'REVOKED':
      return 'ended';
    case 'EXPIRED':
      return 'expired undecided';
    case 'FAILED':
      return 'failed';
    default:
      return status.toLowerCase();
  }
}

const section = (text: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
});

/** A request for access the person already has: offer to extend that one instead. */
export function alreadyHaveMessage(r: RequestView, canExtend: boolean): SlackMessage {
  const until = r.expiresAt ? ` until ${slackDate(r.expiresAt)}` : '';
  const text =
    `You already have *${escapeText(r.permission)}* on ${resourceLine(r)}${until}` +
    (canExtend ? ' — extend it instead?' : '.');
  return {
    text: `You already have ${r.permission} on ${resourceName(r)}`,
    blocks: [
      section(text),
      ...(canExtend
        ? [
            {
              type: 'actions',
              block_id: `already:${r.id}`,
              elements: [button('Extend', SlackIds.extend, r.id, 'primary')],
            } satisfies KnownBlock,
          ]
        : []),
    ],
  };
}

/** When an access ended (or will have ended): the end recorded, else the expiry. */
function endOf(r: RequestView): Date | null {
  return r.endedAt ?? r.expiresAt;
}

/** Whether the access a request gave is over, at `now`, whatever its timers did. */
export function accessOver(r: RequestView, now: Date): boolean {
  if (r.status === 'REVOKING' || r.status === 'REVOKED') return true;
  return r.status === 'ACTIVE' && r.expiresAt !== null && r.expiresAt <= now;
}

/** Reveal clicked where there are no credentials to show: why, in words. */
export function noCredentialsText(r: RequestView, now: Date): string {
  const what = `*${escapeText(r.permission)}* access to ${resourceLine(r)}`;
  if (accessOver(r, now)) {
    const at = endOf(r);
    return `Your ${what} ended${at ? ` ${slackDate(at)}` : ''}, so its credentials no longer work. Ask again with \`/access\` if you still need it.`;
  }
  switch (r.status) {
    case 'PENDING':
      return `Your request for ${what} is still waiting for approval; I will message you when the credentials are ready.`;
    case 'APPROVED':
    case 'GRANTING':
      return `Your ${what} is being set up; I will message you when the credentials are ready.`;
    case 'FAILED':
      return `Your ${what} could not be granted, so there are no credentials.`;
    default:
      return `There are no credentials for this request: it ${statusWords(r.status)}.`;
  }
}

/** An action on a request that has moved on (cancel after a decision, …). */
export function movedOnText(action: string, status: string): string {
  return `This request can no longer be ${action}: it ${statusWords(status)}. Nothing changed.`;
}

/**
 * The "ready" and "expiring soon" messages once the access ended: the same place in the DM now
 * says so, without Reveal, Extend or Revoke buttons that could no longer do anything.
 */
export function accessEndedInPlace(r: RequestView, how: string): SlackMessage {
  const at = endOf(r);
  return {
    text: `Your access to ${resourceName(r)} has ended`,
    blocks: [
      section(
        `Your *${escapeText(r.permission)}* access to ${resourceLine(r)} ended${at ? ` ${slackDate(at)}` : ''} (${how}). Ask again with \`/access\` if you still need it.`,
      ),
    ],
  };
}
