import { SlackIds } from '../slack-ids';
import {
  button,
  formatDuration,
  type HomeView,
  type KnownBlock,
  resourceLine,
  slackDate,
  timeLeft,
  truncate,
  escapeText,
  type RequestView,
} from './format';

export interface HomeInput {
  active: RequestView[];
  pending: RequestView[];
  toApprove: RequestView[];
  now: Date;
  canExtend: boolean;
}

const header = (text: string): KnownBlock => ({
  type: 'header',
  text: { type: 'plain_text', text },
});
const note = (text: string): KnownBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text }],
});

/** App Home: my access with time left, my pending requests, what waits for my approval. */
export function homeView(h: HomeInput): HomeView {
  const blocks: KnownBlock[] = [header('My access')];
  if (!h.active.length) blocks.push(note('No active access. Ask with `/access`.'));
  for (const r of h.active.slice(0, 15)) {
    const left = r.expiresAt
      ? `until ${slackDate(r.expiresAt)} (${timeLeft(r.expiresAt, h.now)} left)`
      : 'being set up';
    blocks.push(
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(`*${escapeText(r.permission)}* on ${resourceLine(r)} · ${left}`, 3000),
        },
      },
      {
        type: 'actions',
        block_id: `home-access:${r.id}`,
        elements: [
          ...(h.canExtend && r.status === 'ACTIVE'
            ? [button('Extend', SlackIds.extend, r.id)]
            : []),
          button('Revoke now', SlackIds.revoke, r.id, 'danger'),
        ],
      },
    );
  }
  blocks.push(header('My pending requests'));
  if (!h.pending.length) blocks.push(note('Nothing pending.'));
  for (const r of h.pending.slice(0, 10)) {
    const waiting = r.status === 'PENDING';
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `*${escapeText(r.permission)}* on ${resourceLine(r)} for ${formatDuration(r.durationSeconds)} · ${waiting ? 'waiting for approval' : 'being set up'}`,
          3000,
        ),
      },
      ...(waiting ? { accessory: button('Cancel', SlackIds.cancel, r.id) } : {}),
    });
  }
  blocks.push(header('Waiting for my approval'));
  if (!h.toApprove.length) blocks.push(note('Nothing waits for you.'));
  for (const r of h.toApprove.slice(0, 10)) {
    blocks.push(
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(
            `${r.requester}: *${escapeText(r.permission)}* on ${resourceLine(r)} for ${formatDuration(r.durationSeconds)}\n>${escapeText(r.justification ?? '—')}`,
            3000,
          ),
        },
      },
      {
        type: 'actions',
        block_id: `home-decide:${r.id}`,
        elements: [
          button('Approve', SlackIds.approve, r.id, 'primary'),
          button('Deny', SlackIds.deny, r.id, 'danger'),
        ],
      },
    );
  }
  // Slack allows 100 blocks in a Home tab; the slices above keep well under it.
  return { type: 'home', blocks };
}
