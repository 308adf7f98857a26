import { SlackIds } from '../slack-ids';
import { escapeText, mention, timeLeft, type RequestView } from './format';
import { homeView } from './home.view';
import {
  approvalMessage,
  breakGlassMessage,
  endedMessage,
  expiringSoonMessage,
  readyMessage,
  submittedMessage,
} from './messages.view';
import {
  credentialsModal,
  optionValue,
  parseOptionValue,
  requestModal,
  reviewModal,
} from './modals.view';

const view = (over: Partial<RequestView> = {}): RequestView => ({
  id: '11111111-2222-4333-8444-555555555555',
  requester: '<@UALICE>',
  integration: 'pg-prod',
  database: 'app',
  schema: 'public',
  permission: 'read',
  durationSeconds: 1800,
  justification: 'INC-42 <script>',
  status: 'PENDING',
  expiresAt: null,
  isExtension: false,
  ...over,
});

const buttons = (blocks: any[]) =>
  blocks
    .flatMap((b) => [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])])
    .filter((e) => e.type === 'button');

describe('Slack views', () => {
  it('asks approvers with Approve and Deny carrying the request id, escaping user text', () => {
    const m = approvalMessage(view(), null);
    expect(buttons(m.blocks).map((b) => [b.action_id, b.value])).toEqual([
      [SlackIds.approve, view().id],
      [SlackIds.deny, view().id],
    ]);
    const text = JSON.stringify(m.blocks);
    expect(text).toContain('INC-42 &lt;script&gt;');
    expect(text).toContain('30m');
  });

  it('replaces the buttons by who decided, when, and why', () => {
    const m = approvalMessage(view({ status: 'DENIED' }), {
      outcome: 'denied',
      by: '<@UBOB>',
      at: new Date('2026-01-01T10:00:00Z'),
      reason: 'freeze',
    });
    expect(buttons(m.blocks)).toEqual([]);
    expect(JSON.stringify(m.blocks)).toContain('*denied* by <@UBOB>');
    expect(JSON.stringify(m.blocks)).toContain('freeze');
  });

  it('shows approval progress on a multi-step request', () => {
    const m = approvalMessage(view(), null, ['approved by <@UBOB> (step 1)']);
    expect(JSON.stringify(m.blocks)).toContain('approved by <@UBOB> (step 1)');
    expect(buttons(m.blocks)).toHaveLength(2);
  });

  it('says who can approve when a request is submitted', () => {
    expect(JSON.stringify(submittedMessage(view(), ['<@UBOB>', '<@UCAROL>']))).toContain(
      'approved by <@UBOB>, <@UCAROL>',
    );
  });

  it('puts no credentials in the ready message, only a Reveal button', () => {
    const m = readyMessage(view({ status: 'ACTIVE', expiresAt: new Date('2026-01-01T10:30:00Z') }));
    expect(buttons(m.blocks).map((b) => b.action_id)).toEqual([SlackIds.reveal, SlackIds.revoke]);
    expect(JSON.stringify(m)).not.toMatch(/password/i);
  });

  it('offers Extend on the expiry warning only when the flow allows it', () => {
    const r = view({ status: 'ACTIVE', expiresAt: new Date() });
    expect(buttons(expiringSoonMessage(r, true).blocks).map((b) => b.action_id)).toEqual([
      SlackIds.extend,
      SlackIds.revoke,
    ]);
    expect(buttons(expiringSoonMessage(r, false).blocks).map((b) => b.action_id)).toEqual([
      SlackIds.revoke,
    ]);
    expect(JSON.stringify(endedMessage(r, 'expired'))).toContain('has ended (expired)');
  });

  it('says who ended access with a working mention, and whether other access continues', () => {
    const r = view({ status: 'REVOKED' });
    const byOther = JSON.stringify(endedMessage(r, 'revoked by <@USEC>'));
    expect(byOther).toContain('has ended (revoked by <@USEC>)');
    expect(byOther).toContain('sessions were closed');
    const overlapping = JSON.stringify(endedMessage(r, 'expired', true));
    expect(overlapping).toContain('Your other access to pg-prod continues');
    expect(overlapping).not.toContain('sessions were closed');
    const linked = JSON.stringify(endedMessage(r, 'expired', false, 'https://d.example/receipt'));
    expect(linked).toContain('<https://d.example/receipt|Signed access receipt>');
    expect(linked).toContain(`doorman receipt get ${r.id}`);
  });

  it('offers Close review on a break-glass notice, then shows who closed it and what they found', () => {
    const open = breakGlassMessage(view({ status: 'ACTIVE' }));
    expect(buttons(open.blocks).map((b) => [b.action_id, b.value])).toEqual([
      [SlackIds.review, view().id],
    ]);
    expect(JSON.stringify(open.blocks)).toContain('*break-glass*');
    const closed = breakGlassMessage(view({ status: 'ACTIVE' }), {
      by: '<@USEC>',
      at: new Date('2026-01-01T10:00:00Z'),
      note: 'session log <ok>',
    });
    expect(buttons(closed.blocks)).toEqual([]);
    const text = JSON.stringify(closed.blocks);
    expect(text).toContain('*Review closed* by <@USEC>');
    expect(text).toContain('session log &lt;ok&gt;');
    expect(closed.text).toContain('review closed');
  });

  it('asks for the review finding in a modal that carries the request id', () => {
    const m = reviewModal(view().id, 'summary');
    expect(m.callback_id).toBe(SlackIds.reviewModal);
    expect(m.private_metadata).toBe(view().id);
    expect(m.title.text.length).toBeLessThanOrEqual(24);
    expect(JSON.stringify(m.blocks)).toContain(`"block_id":"${SlackIds.blocks.note}"`);
  });

  it('builds a request form within Slack limits', () => {
    const options = Array.from({ length: 150 }, (_, i) => ({
      integrationId: 'i1',
      integration: 'pg',
      database: 'app',
      schema: `s${i}`,
    }));
    const modal = requestModal({
      options,
      permissions: ['read', 'write'],
      maxDurationSeconds: 7200,
      defaultDurationSeconds: 3600,
      justificationRequired: true,
    });
    expect(modal.title.text.length).toBeLessThanOrEqual(24);
    const select = modal.blocks.find((b: any) => b.block_id === 'resource') as any;
    expect(select.element.options).toHaveLength(100);
    const duration = modal.blocks.find((b: any) => b.block_id === 'duration') as any;
    expect(duration.element.initial_value).toBe('1h');
    expect(duration.hint.text).toContain('at most 2h');
    const justification = modal.blocks.find((b: any) => b.block_id === 'justification') as any;
    expect(justification.optional).toBe(false);
  });

  it('shows an existing role as `role <name> (member)` and round-trips it', () => {
    const role = {
      integrationId: 'i1',
      integration: 'pg-prod',
      database: '*',
      schema: 'pg_monitor',
    };
    const modal = requestModal({
      options: [{ ...role, levels: ['member'] }],
      permissions: ['member'],
      maxDurationSeconds: 7200,
      defaultDurationSeconds: 3600,
      justificationRequired: false,
    });
    const select = modal.blocks.find((b: any) => b.block_id === 'resource') as any;
    expect(select.element.options[0].text.text).toBe('pg-prod › role pg_monitor (member)');
    expect(parseOptionValue(select.element.options[0].value)).toEqual({
      integrationId: 'i1',
      database: '*',
      schema: 'pg_monitor',
    });
  });

  it('round-trips the resource option value', () => {
    const o = { integrationId: 'i1', database: 'app', schema: 'public' };
    expect(parseOptionValue(optionValue(o))).toEqual(o);
    expect(parseOptionValue('i1|app')).toBeNull();
    expect(parseOptionValue('a|b|c|d')).toBeNull();
  });

  it('shows every credential field in the reveal modal', () => {
    const m = credentialsModal({
      host: 'db.internal',
      port: 5432,
      database: 'app',
      username: 'alice_doorman',
      password: 's3cret',
      sslMode: 'require',
      connectionString: 'postgresql://alice_doorman:s3cret@db.internal:5432/app?sslmode=require',
      customAccessDetails: 'VPN first',
      caCertificate: null,
      expiresAt: new Date('2026-01-01T10:00:00Z'),
    });
    const text = JSON.stringify(m);
    for (const s of [
      'db.internal',
      '5432',
      'alice_doorman',
      's3cret',
      'require',
      'psql',
      'VPN first',
    ])
      expect(text).toContain(s);
  });

  it('offers the server CA with a verify-full line, in code blocks within Slack limits', () => {
    const cert = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64)}\n-----END CERTIFICATE-----`;
    const creds = {
      host: 'db.internal',
      port: 5432,
      database: 'app',
      username: 'alice_doorman',
      password: 's3cret',
      sslMode: 'verify-full',
      connectionString: 'postgresql://a:b@db.internal:5432/app?sslmode=verify-full',
      customAccessDetails: null,
      caCertificate: `${cert}\n${cert}\n`,
      expiresAt: new Date('2026-01-01T10:00:00Z'),
    };
    const m = credentialsModal(creds);
    const text = JSON.stringify(m.blocks);
    expect(text).toContain("PGSSLROOTCERT=doorman-ca.pem psql 'postgresql://");
    expect(text).toContain('*Server CA* — save as `doorman-ca.pem`');
    const pems = m.blocks.filter((b: any) => b.text?.text?.includes('BEGIN CERTIFICATE'));
    expect(pems).toHaveLength(2);
    for (const b of m.blocks as any[])
      expect(String(b.text?.text ?? '').length).toBeLessThanOrEqual(3000);
    // No CA known: where to get it, and no PGSSLROOTCERT pointing at nothing.
    const none = JSON.stringify(credentialsModal({ ...creds, caCertificate: null }).blocks);
    expect(none).toContain("ask your Doorman admins for the server's CA certificate");
    expect(none).not.toContain('PGSSLROOTCERT=doorman-ca.pem');
    // require does not check the server: no CA talk at all.
    expect(JSON.stringify(credentialsModal({ ...creds, sslMode: 'require' }).blocks)).not.toMatch(
      /CA|PGSSLROOTCERT/,
    );
  });

  it('renders App Home sections with Revoke now and approvals', () => {
    const now = new Date('2026-01-01T10:00:00Z');
    const home = homeView({
      active: [view({ status: 'ACTIVE', expiresAt: new Date('2026-01-01T10:45:00Z') })],
      pending: [],
      toApprove: [view({ id: 'other' })],
      now,
      canExtend: true,
    });
    const text = JSON.stringify(home);
    expect(text).toContain('45m left');
    expect(text).toContain('Nothing pending.');
    expect(buttons(home.blocks).map((b) => b.action_id)).toEqual([
      SlackIds.extend,
      SlackIds.revoke,
      SlackIds.approve,
      SlackIds.deny,
    ]);
    expect(home.blocks.length).toBeLessThanOrEqual(100);
  });

  it('formats people, time left and text safely', () => {
    expect(mention({ slackUserId: 'U1', name: 'A', email: 'a@x' })).toBe('<@U1>');
    expect(mention({ slackUserId: null, name: 'A<b>', email: 'a@x' })).toBe('A&lt;b&gt; (a@x)');
    expect(escapeText('a & b')).toBe('a &amp; b');
    const now = new Date(0);
    expect(timeLeft(new Date(30_000), now)).toBe('30s');
    expect(timeLeft(new Date(3600_000), now)).toBe('1h');
    expect(timeLeft(new Date(-5), now)).toBe('0s');
  });
});
