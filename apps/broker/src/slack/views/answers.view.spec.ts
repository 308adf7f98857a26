import { SlackIds } from '../slack-ids';
import type { RequestView } from './format';
import {
  accessEndedInPlace,
  alreadyHaveMessage,
  noCredentialsText,
  statusWords,
} from './answers.view';
import { submittedMessage } from './messages.view';

const view = (over: Partial<RequestView> = {}): RequestView => ({
  id: '11111111-2222-4333-8444-555555555555',
  requester: '<@UALICE>',
  integration: 'pg-prod',
  database: 'app',
  schema: 'sales',
  permission: 'read',
  durationSeconds: 1800,
  justification: null,
  status: 'ACTIVE',
  expiresAt: new Date('2026-01-01T18:19:00Z'),
  isExtension: false,
  ...over,
});
const SLACK_TIME = '<!date^1767291540^{date_short_pretty} {time}|2026-01-01 18:19 UTC>';
const buttons = (blocks: any[]) =>
  blocks
    .flatMap((b) => [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])])
    .filter((e) => e.type === 'button');

describe('Slack answers, in Slack words', () => {
  it('offers Extend for access the person already has, its end in Slack date formatting', () => {
    const m = alreadyHaveMessage(view(), true);
    const text = JSON.stringify(m.blocks);
    expect(text).toContain('You already have *read* on pg-prod › app.sales until');
    expect(text).toContain(SLACK_TIME);
    expect(text).toContain('extend it instead?');
    expect(text).not.toMatch(/POST|\/api\/|2026-01-01T18/);
    expect(buttons(m.blocks).map((b) => [b.action_id, b.value])).toEqual([
      [SlackIds.extend, view().id],
    ]);
    expect(buttons(alreadyHaveMessage(view(), false).blocks)).toEqual([]);
  });

  it('says when ended access ended, instead of a status word', () => {
    const ended = view({ status: 'REVOKED', endedAt: new Date('2026-01-01T18:19:00Z') });
    const text = noCredentialsText(ended, new Date('2026-01-01T19:00:00Z'));
    expect(text).toContain(`ended ${SLACK_TIME}`);
    expect(text).not.toMatch(/REVOKED|ACTIVE/);
    // Past its expiry, whatever the timers did: ended too.
    expect(noCredentialsText(view(), new Date('2026-01-01T18:20:00Z'))).toContain('ended');
    expect(noCredentialsText(view({ status: 'GRANTING' }), new Date())).toContain('being set up');
  });

  it('the ended version of the ready message has no buttons and says when', () => {
    const m = accessEndedInPlace(view({ status: 'REVOKED' }), 'revoked by you');
    expect(buttons(m.blocks)).toEqual([]);
    expect(JSON.stringify(m.blocks)).toContain(`ended ${SLACK_TIME} (revoked by you)`);
  });

  it('the submitted message has Cancel while pending, and says where it went after', () => {
    const pending = submittedMessage(view({ status: 'PENDING', expiresAt: null }), ['<@UBOB>']);
    expect(buttons(pending.blocks).map((b) => b.action_id)).toEqual([SlackIds.cancel]);
    const cancelled = submittedMessage(view({ status: 'CANCELLED' }), ['<@UBOB>']);
    expect(buttons(cancelled.blocks)).toEqual([]);
    expect(JSON.stringify(cancelled.blocks)).toContain(`This request ${statusWords('CANCELLED')}`);
  });
});
