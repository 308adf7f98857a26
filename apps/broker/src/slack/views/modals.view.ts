import { SlackIds } from '../slack-ids';
import {
  escapeText,
  formatDuration,
  type KnownBlock,
  type ModalView,
  resourceName,
  slackDate,
  truncate,
} from './format';
import type { Credentials } from '../../requests/credentials-reveal.service';

/** One (integration, database, schema) the requester may ask for under some flow. */
export interface RequestOption {
  integrationId: string;
  integration: string;
  database: string;
  schema: string;
  /** What the integration's admin can grant there, when its catalog is known. */
  levels?: string[];
}

export interface RequestModalInput {
  options: RequestOption[];
  permissions: string[];
  maxDurationSeconds: number;
  defaultDurationSeconds: number;
  justificationRequired: boolean;
}

export const optionValue = (o: Pick<RequestOption, 'integrationId' | 'database' | 'schema'>) =>
  `${o.integrationId}|${o.database}|${o.schema}`;

export function parseOptionValue(
  v: string,
): { integrationId: string; database: string; schema: string } | null {
  const [integrationId, database, schema, ...rest] = v.split('|');
  if (!integrationId || !database || !schema || rest.length) return null;
  return { integrationId, database, schema };
}

const plain = (text: string) => ({ type: 'plain_text' as const, text: truncate(text, 75) });

/** `/access` without arguments: what the requester may ask for, from their flows. */
export function requestModal(input: RequestModalInput): ModalView {
  const blocks: KnownBlock[] = [
    {
      type: 'input',
      block_id: SlackIds.blocks.resource,
      label: plain('Database and schema'),
      element: {
        type: 'static_select',
        action_id: SlackIds.blocks.resource,
        placeholder: plain('Choose'),
        // Slack allows 100 options in a static select.
        options: input.options.slice(0, 100).map((o) => ({
          text: plain(
            `${o.integration} › ${resourceName(o)}${o.levels ? ` (${o.levels.join(', ')})` : ''}`,
          ),
          value: optionValue(o),
        })),
      },
    },
    {
      type: 'input',
      block_id: SlackIds.blocks.permission,
      label: plain('Permission'),
      element: {
        type: 'static_select',
        action_id: SlackIds.blocks.permission,
        options: input.permissions.map((p) => ({ text: plain(p), value: p })),
        ...(input.permissions.length
          ? { initial_option: { text: plain(input.permissions[0]), value: input.permissions[0] } }
          : {}),
      },
    },
    {
      type: 'input',
      block_id: SlackIds.blocks.duration,
      label: plain('Duration'),
      hint: plain(`e.g. 30m or 2h; at most ${formatDuration(input.maxDurationSeconds)}`),
      element: {
        type: 'plain_text_input',
        action_id: SlackIds.blocks.duration,
        initial_value: formatDuration(input.defaultDurationSeconds),
        max_length: 10,
      },
    },
    {
      type: 'input',
      block_id: SlackIds.blocks.justification,
      label: plain('Justification'),
      optional: !input.justificationRequired,
      element: {
        type: 'plain_text_input',
        action_id: SlackIds.blocks.justification,
        multiline: true,
        max_length: 1000,
      },
    },
  ];
  return {
    type: 'modal',
    callback_id: SlackIds.requestModal,
    title: plain('Request access'),
    submit: plain('Request'),
    close: plain('Cancel'),
    blocks,
  };
}

export function denyModal(requestId: string, summary: string): ModalView {
  return {
    type: 'modal',
    callback_id: SlackIds.denyModal,
    private_metadata: requestId,
    title: plain('Deny access'),
    submit: plain('Deny'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(summary, 3000) } },
      {
        type: 'input',
        block_id: SlackIds.blocks.reason,
        label: plain('Reason (shown to the requester)'),
        element: {
          type: 'plain_text_input',
          action_id: SlackIds.blocks.reason,
          multiline: true,
          max_length: 500,
        },
      },
    ],
  };
}

/** Extend: an extension is a request of its own, judged by the flow's extension rules. */
export function extendModal(grantId: string, summary: string): ModalView {
  return {
    type: 'modal',
    callback_id: SlackIds.extendModal,
    private_metadata: grantId,
    title: plain('Extend access'),
    submit: plain('Extend'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(summary, 3000) } },
      {
        type: 'input',
        block_id: SlackIds.blocks.duration,
        label: plain('Extend by'),
        hint: plain('e.g. 30m or 1h'),
        element: {
          type: 'plain_text_input',
          action_id: SlackIds.blocks.duration,
          initial_value: '30m',
          max_length: 10,
        },
      },
      {
        type: 'input',
        block_id: SlackIds.blocks.justification,
        label: plain('Why'),
        optional: true,
        element: {
          type: 'plain_text_input',
          action_id: SlackIds.blocks.justification,
          multiline: true,
          max_length: 1000,
        },
      },
    ],
  };
}

/** Close a break-glass review: the finding is kept on the request and in the audit trail. */
export function reviewModal(requestId: string, summary: string): ModalView {
  return {
    type: 'modal',
    callback_id: SlackIds.reviewModal,
    private_metadata: requestId,
    title: plain('Close review'),
    submit: plain('Close review'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(summary, 3000) } },
      {
        type: 'input',
        block_id: SlackIds.blocks.note,
        label: plain('What the review found'),
        element: {
          type: 'plain_text_input',
          action_id: SlackIds.blocks.note,
          multiline: true,
          max_length: 2000,
        },
      },
    ],
  };
}

/** What the psql line calls the CA the person saves from the modal. */
const CA_FILE = 'doorman-ca.pem';
const VERIFYING = new Set(['verify-ca', 'verify-full']);

/** The CA to offer: only where the connection checks the server's certificate against one. */
function caFor(c: Credentials): string | null {
  return VERIFYING.has(c.sslMode) ? c.caCertificate : null;
}

/**
 * The server's CA, as PEM in code blocks (one per certificate: a section holds 3000 characters,
 * a certificate about 1–2 k), or where to get it when Doorman does not know it.
 */
function caBlocks(c: Credentials): KnownBlock[] {
  if (!VERIFYING.has(c.sslMode)) return [];
  const pem = caFor(c);
  if (!pem) {
    return [
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `sslmode=${c.sslMode} checks the server's certificate: ask your Doorman admins for the server's CA certificate and point \`PGSSLROOTCERT\` at it.`,
          },
        ],
      },
    ];
  }
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const sections = certs.map((cert, i): KnownBlock => {
    const head = i === 0 ? `*Server CA* — save as \`${CA_FILE}\`\n` : '';
    const text = `${head}\`\`\`${cert}\`\`\``;
    return {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          text.length <= 3000
            ? text
            : `${head}This certificate is too long to show here; your Doorman admins have it.`,
      },
    };
  });
  return sections.slice(0, 10);
}

/** Opened on request only: a modal does not stay in channel history, where a secret would be kept. */
export function credentialsModal(c: Credentials): ModalView {
  const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Host*\n${code(c.host)}` },
        { type: 'mrkdwn', text: `*Port*\n${code(String(c.port))}` },
        { type: 'mrkdwn', text: `*Database*\n${code(c.database)}` },
        { type: 'mrkdwn', text: `*User*\n${code(c.username)}` },
        { type: 'mrkdwn', text: `*Password*\n${code(c.password)}` },
        { type: 'mrkdwn', text: `*SSL mode*\n${code(c.sslMode)}` },
      ],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `*psql*\n\`\`\`${caFor(c) ? `PGSSLROOTCERT=${CA_FILE} ` : ''}psql '${c.connectionString}'\`\`\``,
          3000,
        ),
      },
    },
    ...caBlocks(c),
  ];
  if (c.customAccessDetails) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(escapeText(c.customAccessDetails), 3000) },
    });
  }
  if (c.expiresAt) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Valid until ${slackDate(c.expiresAt)}. This reveal is audited.`,
        },
      ],
    });
  }
  return {
    type: 'modal',
    callback_id: SlackIds.credentialsModal,
    title: plain('Your credentials'),
    close: plain('Close'),
    blocks,
  };
}
