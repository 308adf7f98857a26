import type { types } from '@slack/bolt';
import { SlackIds } from '../slack-ids';
import { statusWords } from './answers.view';
import {
  button,
  type KnownBlock,
  escapeText,
  formatDuration,
  resourceLine,
  resourceName,
  slackDate,
  truncate,
  type RequestView,
  type SlackMessage,
} from './format';

export type { SlackMessage };

/**
 * A request as its approvers see it. `approveInConsole`: the flow asks for a recent sign-in at
 * the identity provider to approve, which a Slack click cannot show, so Approve is a link to
 * the console there (Deny stays: a denial opens nothing).
 */
export type ApprovalView = RequestView & { approveInConsole?: string | null };

/** A button that opens a page of the broker in the browser (Slack still sends the click). */
function linkButton(text: string, url: string): types.Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: SlackIds.openConsole,
    url,
    style: 'primary',
  };
}

/** The outcome shown on every approver's copy once someone decided. */
export interface Decision {
  /** approved, denied, cancelled, expired, … */
  outcome: string;
  by: string | null;
  at: Date;
  reason: string | null;
}

const section = (text: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncate(text, 3000) },
});

function facts(r: RequestView): KnownBlock {
  return {
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: `*Resource*\n${resourceLine(r)}` },
      { type: 'mrkdwn', text: `*Permission*\n${escapeText(r.permission)}` },
      { type: 'mrkdwn', text: `*Duration*\n${formatDuration(r.durationSeconds)}` },
      {
        type: 'mrkdwn',
        text: `*Justification*\n${truncate(escapeText(r.justification ?? '—'), 1900)}`,
      },
    ],
  };
}

/** What each approver sees: the request and Approve / Deny, or who decided once someone did. */
export function approvalMessage(
  r: ApprovalView,
  decision: Decision | null,
  progress: string[] = [],
  /** Who may decide, mentioned: set for a post in a flow's channel, where not all may decide. */
  askedOf: string[] = [],
): SlackMessage {
  const head = r.isExtension
    ? `${r.requester} asks to extend their *${escapeText(r.permission)}* access to ${resourceLine(r)} by ${formatDuration(r.durationSeconds)}`
    : `${r.requester} requests *${escapeText(r.permission)}* access to ${resourceLine(r)} for ${formatDuration(r.durationSeconds)}`;
  const blocks: KnownBlock[] = [section(head), facts(r)];
  if (askedOf.length && !decision) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(`Can decide: ${askedOf.join(', ')}`, 3000) }],
    });
  }
  if (progress.length && !decision) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(progress.join(' · '), 3000) }],
    });
  }
  if (decision) {
    const by = decision.by ? ` by ${decision.by}` : '';
    const why = decision.reason ? `: ${escapeText(decision.reason)}` : '';
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: truncate(`*${decision.outcome}*${by} ${slackDate(decision.at)}${why}`, 3000),
        },
      ],
    });
  } else {
    if (r.approveInConsole)
      blocks.push({
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: 'This access flow asks for a recent sign-in to approve: approve in the console.',
          },
        ],
      });
    blocks.push({
      type: 'actions',
      block_id: `decide:${r.id}`,
      elements: [
        r.approveInConsole
          ? linkButton('Approve in the console', r.approveInConsole)
          : button('Approve', SlackIds.approve, r.id, 'primary'),
        button('Deny', SlackIds.deny, r.id, 'danger'),
      ],
    });
  }
  const text = decision
    ? `Access request ${decision.outcome}: ${r.permission} on ${resourceName(r)}`
    : `Access request waiting for your approval: ${r.permission} on ${resourceName(r)}`;
  return { text, blocks };
}

/** The answer to an Approve click that cannot approve: the reason, and the way to the console. */
export function stepUpAnswer(reason: string, consoleUrl: string): SlackMessage {
  return {
    text: `${reason} ${consoleUrl}`,
    blocks: [
      section(escapeText(reason)),
      {
        type: 'actions',
        elements: [linkButton('Approve in the console', consoleUrl)],
      },
    ],
  };
}

/**
 * To the requester once their request is in: who may approve it, and Cancel while it waits.
 * Updated in place as the request moves on, so the button never outlives its use.
 */
export function submittedMessage(r: RequestView, approvers: string[]): SlackMessage {
  const who = approvers.length ? approvers.join(', ') : 'the flow’s approvers';
  const what = `*${escapeText(r.permission)}* on ${resourceLine(r)} for ${formatDuration(r.durationSeconds)}`;
  const blocks: KnownBlock[] = [
    section(`Your request for ${what} was submitted. It can be approved by ${who}.`),
  ];
  if (r.status === 'PENDING') {
    blocks.push({
      type: 'actions',
      block_id: `submitted:${r.id}`,
      elements: [
        {
          ...button('Cancel request', SlackIds.cancel, r.id),
          confirm: {
            title: { type: 'plain_text', text: 'Cancel this request?' },
            text: { type: 'plain_text', text: 'Approvers can no longer approve it.' },
            confirm: { type: 'plain_text', text: 'Cancel request' },
            deny: { type: 'plain_text', text: 'Keep it' },
          },
        },
      ],
    });
  } else {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `This request ${statusWords(r.status)}.` }],
    });
  }
  return {
    text: `Your access request was submitted: ${r.permission} on ${resourceName(r)}`,
    blocks,
  };
}

export function decidedMessage(r: RequestView, decision: Decision): SlackMessage {
  const by = decision.by ? ` by ${decision.by}` : '';
  const why = decision.reason ? `\n>${escapeText(decision.reason)}` : '';
  const next =
    decision.outcome === 'approved' && !r.isExtension ? ' Your access is being set up now.' : '';
  const what = r.isExtension ? 'extension of' : 'request for';
  return {
    text: `Your access request was ${decision.outcome}`,
    blocks: [
      section(
        `Your ${what} *${escapeText(r.permission)}* on ${resourceLine(r)} was *${escapeText(decision.outcome)}*${by}.${next}${why}`,
      ),
    ],
  };
}

function accessButtons(r: RequestView, opts: { reveal: boolean; extend: boolean }): KnownBlock {
  return {
    type: 'actions',
    block_id: `access:${r.id}`,
    elements: [
      ...(opts.reveal ? [button('Reveal credentials', SlackIds.reveal, r.id, 'primary')] : []),
      ...(opts.extend ? [button('Extend', SlackIds.extend, r.id)] : []),
      {
        ...button('Revoke now', SlackIds.revoke, r.id, 'danger'),
        confirm: {
          title: { type: 'plain_text', text: 'Revoke access now?' },
          text: { type: 'plain_text', text: 'Your sessions on the database end at once.' },
          confirm: { type: 'plain_text', text: 'Revoke' },
          deny: { type: 'plain_text', text: 'Keep' },
        },
      },
    ],
  };
}

/** Access is ready: the password is never in the message, only behind the Reveal button. */
export function readyMessage(r: RequestView): SlackMessage {
  const until = r.expiresAt ? ` until ${slackDate(r.expiresAt)}` : '';
  return {
    text: `Your access is ready: ${r.permission} on ${resourceName(r)}`,
    blocks: [
      section(
        `:white_check_mark: Your *${escapeText(r.permission)}* access to ${resourceLine(r)} is ready${until}.`,
      ),
      accessButtons(r, { reveal: true, extend: false }),
    ],
  };
}

/**
 * The rules changed under a request or a grant: what happens to it and why. `outcome` is the
 * rule change's: ended (now), kept (to its expiry, `until`), cancelled (not granted yet).
 */
export function ruleChangedMessage(
  r: RequestView,
  outcome: 'ended' | 'kept' | 'cancelled',
  reason: string,
  until: Date | null,
): SlackMessage {
  const what = `*${escapeText(r.permission)}* access to ${resourceLine(r)}`;
  const why = escapeText(truncate(reason, 500));
  const head =
    outcome === 'ended'
      ? `:no_entry: Your ${what} ends now because the rules changed: ${why}.`
      : outcome === 'cancelled'
        ? `:no_entry: Your request for ${what} was cancelled because the rules changed: ${why}.`
        : `:warning: Your ${what} runs to ${until ? slackDate(until) : 'its expiry'}, though the rules changed: ${why}. It will not be renewed as it is.`;
  return {
    text:
      outcome === 'kept'
        ? `Your access to ${resourceName(r)} runs to its end under rules that changed`
        : `Your access to ${resourceName(r)} ${outcome === 'ended' ? 'ends now' : 'was cancelled'}: the rules changed`,
    blocks: [section(head)],
  };
}

export function expiringSoonMessage(r: RequestView, canExtend: boolean): SlackMessage {
  const at = r.expiresAt ? slackDate(r.expiresAt) : 'soon';
  return {
    text: `Your access to ${resourceName(r)} expires soon`,
    blocks: [
      section(
        `:hourglass_flowing_sand: Your *${escapeText(r.permission)}* access to ${resourceLine(r)} expires ${at}.`,
      ),
      accessButtons(r, { reveal: false, extend: canExtend }),
    ],
  };
}

export function extendedMessage(r: RequestView): SlackMessage {
  const until = r.expiresAt ? slackDate(r.expiresAt) : 'later';
  return {
    text: `Your access to ${resourceName(r)} was extended`,
    blocks: [
      section(
        `Your *${escapeText(r.permission)}* access to ${resourceLine(r)} was extended; it now ends ${until}.`,
      ),
    ],
  };
}

/**
 * `how` is our own mrkdwn ("revoked by <@U…>", names already escaped by mention()). With other
 * access on the same integration left, the person is told it continues (one database user carries all of a person's grants there).
 */
export function endedMessage(
  r: RequestView,
  how: string,
  othersContinue = false,
  receiptUrl?: string,
): SlackMessage {
  const after = othersContinue
    ? `Your other access to ${escapeText(r.integration)} continues with the same credentials; reconnect if a session was closed.`
    : 'Your database sessions were closed.';
  return {
    text: `Your access to ${resourceName(r)} has ended`,
    blocks: [
      section(
        `Your *${escapeText(r.permission)}* access to ${resourceLine(r)} has ended (${how}). ${after}`,
      ),
      // The signed record of this grant, from asking to the check that it ended.
      ...(receiptUrl
        ? [
            {
              type: 'context' as const,
              elements: [
                {
                  type: 'mrkdwn' as const,
                  text: `<${receiptUrl}|Signed access receipt> · \`doorman receipt get ${r.id}\``,
                },
              ],
            },
          ]
        : []),
    ],
  };
}

export function pendingExpiredMessage(r: RequestView): SlackMessage {
  return {
    text: `Your access request expired without a decision`,
    blocks: [
      section(
        `Nobody decided on your request for *${escapeText(r.permission)}* on ${resourceLine(r)} in time, so it expired. Ask again with \`/access\` if you still need it.`,
      ),
    ],
  };
}

/** A break-glass grant's follow-up review once closed: who closed it, when, what they found. */
export interface ReviewOutcome {
  by: string | null;
  at: Date;
  note: string | null;
}

/**
 * To owners and security: break-glass was used. Close review opens a form for the finding;
 * once someone closes it, every copy shows who did and what they found.
 */
export function breakGlassMessage(
  r: RequestView,
  closed: ReviewOutcome | null = null,
): SlackMessage {
  const blocks: KnownBlock[] = [
    section(
      `:rotating_light: ${r.requester} used *break-glass* for *${escapeText(r.permission)}* on ${resourceLine(r)} for ${formatDuration(r.durationSeconds)}. It was granted at once and needs a review.`,
    ),
    facts(r),
  ];
  if (closed) {
    const by = closed.by ? ` by ${closed.by}` : '';
    const note = closed.note ? `: ${escapeText(closed.note)}` : '';
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: truncate(`*Review closed*${by} ${slackDate(closed.at)}${note}`, 3000),
        },
      ],
    });
  } else {
    blocks.push({
      type: 'actions',
      block_id: `review:${r.id}`,
      elements: [button('Close review', SlackIds.review, r.id)],
    });
  }
  return {
    text: closed
      ? `Break-glass review closed: ${r.permission} on ${resourceName(r)}`
      : `Break-glass access granted: ${r.permission} on ${resourceName(r)}`,
    blocks,
  };
}

export function failedMessage(r: RequestView, reason: string): SlackMessage {
  return {
    text: `Access could not be granted: ${r.permission} on ${resourceName(r)}`,
    blocks: [
      section(
        `:x: ${r.requester}'s *${escapeText(r.permission)}* access to ${resourceLine(r)} could not be granted:\n>${escapeText(truncate(reason, 1500))}`,
      ),
    ],
  };
}
