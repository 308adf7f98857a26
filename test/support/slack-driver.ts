import { createHmac, randomBytes } from 'node:crypto';

/** Slack's request signature, v0: HMAC-SHA256 over `v0:<timestamp>:<raw body>`. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SlackHttpResponse {
  status: number;
  text: string;
  json: any;
}

/**
 * Plays Slack's side of the HTTP contract: slash commands, block actions, view submissions
 * and events, signed as Slack signs them, posted to the broker's /slack/events.
 */
export class SlackDriver {
  /**
   * `responseUrls` hands out the response_url of each command and click (the fake Slack's
   * `responseUrl`); without it they carry a URL nobody serves, as before response_urls were used.
   */
  constructor(
    readonly url: string,
    private readonly secret: string,
    private readonly responseUrls?: (user: string, channel: string) => string,
  ) {}

  private responseUrlFor(user: string, channel: string): string {
    return this.responseUrls ? this.responseUrls(user, channel) : 'http://127.0.0.1:9/unused';
  }

  trigger(): string {
    return `${Date.now()}.${randomBytes(6).toString('hex')}`;
  }

  async send(
    body: string,
    contentType: string,
    opts: { timestamp?: number; signature?: string | null } = {},
  ): Promise<SlackHttpResponse> {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
    };
    const signature =
      opts.signature === undefined ? slackSignature(this.secret, timestamp, body) : opts.signature;
    if (signature !== null) headers['x-slack-signature'] = signature;
    const res = await fetch(this.url, { method: 'POST', headers, body });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, text, json };
  }

  /** A slash command's fields, as Slack sends them (form-encoded over HTTP, JSON over Socket Mode). */
  commandFields(
    userId: string,
    text: string,
    triggerId = this.trigger(),
    channel = 'C0GENERAL',
  ): Record<string, string> {
    return {
      token: 'deprecated',
      team_id: 'T0DOORMAN',
      team_domain: 'doorman',
      channel_id: channel,
      channel_name: channel === 'C0GENERAL' ? 'general' : 'privategroup',
      user_id: userId,
      user_name: userId.toLowerCase(),
      command: '/access',
      text,
      api_app_id: 'A0DOORMAN',
      response_url: this.responseUrlFor(userId, channel),
      trigger_id: triggerId,
    };
  }

  commandBody(userId: string, text: string, triggerId = this.trigger(), channel?: string): string {
    return new URLSearchParams(this.commandFields(userId, text, triggerId, channel)).toString();
  }

  command(
    userId: string,
    text: string,
    triggerId?: string,
    channel?: string,
  ): Promise<SlackHttpResponse> {
    return this.send(
      this.commandBody(userId, text, triggerId, channel),
      'application/x-www-form-urlencoded',
    );
  }

  /** `/access …` typed in `channel` (a private channel, a DM with a colleague, …). */
  commandIn(channel: string, userId: string, text: string): Promise<SlackHttpResponse> {
    return this.command(userId, text, undefined, channel);
  }

  private payload(p: unknown): Promise<SlackHttpResponse> {
    return this.send(
      new URLSearchParams({ payload: JSON.stringify(p) }).toString(),
      'application/x-www-form-urlencoded',
    );
  }

  /** A button click on a message in `channel` (a DM by default), or on the App Home. */
  click(
    userId: string,
    actionId: string,
    value: string,
    where: { channel?: string; messageTs?: string; home?: boolean } = {},
  ): Promise<SlackHttpResponse> {
    return this.payload(this.clickPayload(userId, actionId, value, where));
  }

  clickPayload(
    userId: string,
    actionId: string,
    value: string,
    where: { channel?: string; messageTs?: string; home?: boolean } = {},
  ): Record<string, unknown> {
    const channel = where.home ? undefined : (where.channel ?? `D${userId}`);
    return {
      type: 'block_actions',
      team: { id: 'T0DOORMAN', domain: 'doorman' },
      user: { id: userId, username: userId.toLowerCase(), team_id: 'T0DOORMAN' },
      api_app_id: 'A0DOORMAN',
      token: 'deprecated',
      trigger_id: this.trigger(),
      container: channel
        ? { type: 'message', channel_id: channel, message_ts: where.messageTs ?? '1.1' }
        : { type: 'view', view_id: 'VHOME' },
      ...(channel ? { channel: { id: channel, name: 'directmessage' } } : {}),
      ...(channel ? { message: { ts: where.messageTs ?? '1.1', text: '' } } : {}),
      ...(where.home ? { view: { id: 'VHOME', type: 'home' } } : {}),
      // Slack gives a response_url for clicks on messages, none for the App Home.
      ...(channel ? { response_url: this.responseUrlFor(userId, channel) } : {}),
      actions: [
        {
          type: 'button',
          action_id: actionId,
          block_id: 'b',
          value,
          action_ts: String(Date.now() / 1000),
        },
      ],
    };
  }

  submitView(
    userId: string,
    callbackId: string,
    values: Record<string, Record<string, unknown>>,
    privateMetadata = '',
  ): Promise<SlackHttpResponse> {
    return this.payload({
      type: 'view_submission',
      team: { id: 'T0DOORMAN', domain: 'doorman' },
      user: { id: userId, username: userId.toLowerCase(), team_id: 'T0DOORMAN' },
      api_app_id: 'A0DOORMAN',
      token: 'deprecated',
      trigger_id: this.trigger(),
      view: {
        id: 'VMODAL',
        team_id: 'T0DOORMAN',
        type: 'modal',
        callback_id: callbackId,
        private_metadata: privateMetadata,
        state: { values },
        hash: 'h',
        blocks: [],
        title: { type: 'plain_text', text: 'x' },
        app_id: 'A0DOORMAN',
        bot_id: 'BDOORMAN',
      },
    });
  }

  event(event: Record<string, unknown>): Promise<SlackHttpResponse> {
    return this.send(
      JSON.stringify({
        token: 'deprecated',
        team_id: 'T0DOORMAN',
        api_app_id: 'A0DOORMAN',
        type: 'event_callback',
        event_id: `Ev${randomBytes(5).toString('hex')}`,
        event_time: Math.floor(Date.now() / 1000),
        event,
      }),
      'application/json',
    );
  }
}
