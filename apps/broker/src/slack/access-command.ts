import { formatDuration } from '../common/durations';
import { SlackIds } from './slack-ids';
import { statusLabel } from './views/answers.view';
import {
  type KnownBlock,
  resourceLine,
  resourceName,
  slackDate,
  timeLeft,
  truncate,
  type RequestView,
} from './views/format';
import type { SlackMessage } from './views/messages.view';

/** What `/access …` asks for, parsed without any I/O. */
export type AccessCommand =
  | { kind: 'modal' }
  | { kind: 'list' }
  | { kind: 'help' }
  /** `/access cancel <id>`: the id as `/access list` shows it (its first characters will do). */
  | { kind: 'cancel'; id: string }
  | { kind: 'revoke-all'; integration: string; reason: string }
  | {
      kind: 'request';
      integration: string;
      database: string;
      schema: string;
      permission: string;
      duration: string;
      reason: string;
      /** `/access break-glass …`: granted at once under a flow that names the requester, reviewed later. */
      breakGlass: boolean;
    }
  | { kind: 'malformed'; problem: string };

export const ACCESS_USAGE = [
  '*Usage*',
  '• `/access` opens the request form',
  '• `/access <integration> <database>.<schema> <permission> <duration> <reason>` asks in one line, e.g. `/access prod-pg app.public read 2h investigating INC-42`; an existing role is `role:<name> member`, e.g. `/access prod-pg role:pg_monitor member 1h INC-42`',
  '• `/access list` shows your requests',
  '• `/access cancel <id>` cancels a request still waiting for approval (the id as `/access list` shows it)',
  '• `/access break-glass <integration> <database>.<schema> <permission> <duration> <reason>` grants at once, without approval, where a flow names you for break-glass; security reviews it afterwards',
  '• `/access revoke-all <integration> <reason>` ends every grant on an integration at once (security, admin)',
].join('\n');

export function parseAccessCommand(text: string): AccessCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { kind: 'modal' };
  if (words.length === 1 && words[0].toLowerCase() === 'list') return { kind: 'list' };
  if (words.length === 1 && words[0].toLowerCase() === 'help') return { kind: 'help' };
  if (words[0].toLowerCase() === 'cancel') {
    if (words.length !== 2 || !/^[0-9a-f-]{6,36}$/i.test(words[1]))
      return {
        kind: 'malformed',
        problem: 'cancel needs the id of one of your requests, as `/access list` shows it',
      };
    return { kind: 'cancel', id: words[1].toLowerCase() };
  }
  if (words[0].toLowerCase() === 'revoke-all') {
    if (words.length < 3)
      return { kind: 'malformed', problem: 'revoke-all needs an integration and a reason' };
    return { kind: 'revoke-all', integration: words[1], reason: words.slice(2).join(' ') };
  }
  const breakGlass = words[0].toLowerCase() === 'break-glass';
  if (breakGlass) {
    words.shift();
    // Nobody approves a break-glass grant: the reason is what its review starts from.
    if (words.length < 5)
      return {
        kind: 'malformed',
        problem:
          'break-glass expected an integration, database.schema, permission, duration and a reason',
      };
  }
  if (words.length < 4)
    return {
      kind: 'malformed',
      problem: 'expected an integration, database.schema, permission and duration',
    };
  const [integration, target, permission, duration, ...reason] = words;
  // An existing role: `role:pg_monitor`, kept as database "*", schema the role.
  if (/^role:./i.test(target))
    return {
      kind: 'request',
      integration,
      database: '*',
      schema: target.slice('role:'.length),
      permission: permission.toLowerCase(),
      duration,
      reason: reason.join(' '),
      breakGlass,
    };
  const dot = target.indexOf('.');
  if (dot <= 0 || dot === target.length - 1 || target.indexOf('.', dot + 1) !== -1)
    return { kind: 'malformed', problem: `\`${target}\` is not <database>.<schema>` };
  return {
    kind: 'request',
    integration,
    database: target.slice(0, dot),
    schema: target.slice(dot + 1),
    permission: permission.toLowerCase(),
    duration,
    reason: reason.join(' '),
    breakGlass,
  };
}

/** How `/access list` names a request: enough of its id to cancel it with `/access cancel`. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** `/access list`: my requests, newest first. */
export function listText(rows: RequestView[], now: Date): string {
  if (!rows.length) return 'You have no access requests. Ask with `/access`.';
  const lines = rows.slice(0, 20).map((r) => {
    const when =
      r.status === 'ACTIVE' && r.expiresAt
        ? `active until ${slackDate(r.expiresAt)} (${timeLeft(r.expiresAt, now)} left)`
        : statusLabel(r.status);
    return `• \`${shortId(r.id)}\` *${r.permission}* on ${resourceLine(r)} for ${formatDuration(r.durationSeconds)} · ${when}`;
  });
  return ['*Your access requests*', ...lines].join('\n');
}

/** `/access list` with Revoke now (and Extend) next to each active access. */
export function listMessage(rows: RequestView[], now: Date): SlackMessage {
  const text = listText(rows, now);
  const active = rows.filter((r) => r.status === 'ACTIVE' && !r.isExtension).slice(0, 10);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } },
  ];
  for (const r of rows.filter((x) => x.status === 'PENDING').slice(0, 10)) {
    blocks.push({
      type: 'actions',
      block_id: `list-pending:${r.id}`,
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: `Cancel ${resourceName(r)}`.slice(0, 75) },
          action_id: SlackIds.cancel,
          value: r.id,
        },
      ],
    });
  }
  for (const r of active) {
    blocks.push({
      type: 'actions',
      block_id: `list-access:${r.id}`,
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: `Extend ${resourceName(r)}`.slice(0, 75) },
          action_id: SlackIds.extend,
          value: r.id,
        },
        {
          type: 'button',
          style: 'danger',
          text: { type: 'plain_text', text: `Revoke ${resourceName(r)}`.slice(0, 75) },
          action_id: SlackIds.revoke,
          value: r.id,
        },
      ],
    });
  }
  return { text, blocks };
}
