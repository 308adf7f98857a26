import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** One Web API call the broker made, with its arguments decoded. */
export interface SlackCall {
  method: string;
  args: Record<string, any>;
  ok: boolean;
  error?: string;
  /** Order among all calls and response_url posts. */
  seq?: number;
}

interface FakeUser {
  id: string;
  email: string;
  name: string;
}

interface PostedMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: any[];
}

/** A conversation as the fake models it: who is in it, the bot included or not. */
interface FakeChannel {
  isPrivate: boolean;
  /** null: everyone in the workspace (C0GENERAL). */
  members: Set<string> | null;
  botMember: boolean;
}

/** A response_url Slack handed out with a command or a click: for whom, from where. */
interface ResponseUrl {
  user: string;
  channel: string;
  uses: number;
}

/** One POST the broker made to a response_url, as the person saw it. */
interface Hang {
  arrived: Promise<SlackCall>;
  arrive(call: SlackCall): void;
  released: Promise<void>;
}

export interface ResponsePost {
  user: string;
  channel: string;
  ok: boolean;
  status: number;
  body: Record<string, any>;
  seq: number;
}

/** Something a person saw: through a response_url, an ephemeral message, or a DM from the bot. */
export interface SeenAnswer {
  via: 'response_url' | 'ephemeral' | 'dm';
  channel: string;
  text: string;
  blocks?: any[];
}

class SlackApiError extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

const MESSAGE_BLOCKS_MAX = 50;
const VIEW_BLOCKS_MAX = 100;

/** Rejects what Slack rejects in Block Kit, with Slack's error names. */
function checkBlocks(blocks: unknown, max: number): void {
  if (blocks === undefined) return;
  if (!Array.isArray(blocks)) throw new SlackApiError('invalid_blocks_format');
  if (blocks.length > max) throw new SlackApiError('invalid_blocks');
  for (const b of blocks) {
    if (!b || typeof b.type !== 'string') throw new SlackApiError('invalid_blocks');
    if (b.block_id && String(b.block_id).length > 255) throw new SlackApiError('invalid_blocks');
    if (b.type === 'section') {
      if (!b.text && !b.fields) throw new SlackApiError('invalid_blocks');
      if (b.text && String(b.text.text ?? '').length > 3000)
        throw new SlackApiError('invalid_blocks');
      if (b.fields && (b.fields.length > 10 || b.fields.some((f: any) => f.text.length > 2000)))
        throw new SlackApiError('invalid_blocks');
    }
    if (b.type === 'header' && String(b.text?.text ?? '').length > 150)
      throw new SlackApiError('invalid_blocks');
    const elements: any[] = [
      ...(b.elements ?? []),
      ...(b.accessory ? [b.accessory] : []),
      ...(b.element ? [b.element] : []),
    ];
    if (b.type === 'actions' && elements.length > 25) throw new SlackApiError('invalid_blocks');
    for (const e of elements) {
      if (e.type === 'button') {
        if (String(e.text?.text ?? '').length > 75) throw new SlackApiError('invalid_blocks');
        if (e.value !== undefined && String(e.value).length > 2000)
          throw new SlackApiError('invalid_blocks');
      }
      if (e.action_id && String(e.action_id).length > 255)
        throw new SlackApiError('invalid_blocks');
      if (e.type === 'static_select' && (e.options ?? []).length > 100)
        throw new SlackApiError('invalid_blocks');
    }
  }
}

function checkView(view: any, type: 'modal' | 'home'): void {
  if (!view || view.type !== type) throw new SlackApiError('invalid_arguments');
  if (type === 'modal' && (!view.title || String(view.title.text).length > 24))
    throw new SlackApiError('invalid_arguments');
  checkBlocks(view.blocks, VIEW_BLOCKS_MAX);
}

/**
 * A fake Slack Web API on loopback, in place of the real one in tests: answers the methods Doorman calls, records
 * every call for assertions, and refuses what Slack refuses (bad token, unknown user or
 * channel, too many blocks, text too long, a trigger id used twice).
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly botUserId = 'UDOORMANBOT';
  private readonly users = new Map<string, FakeUser>();
  private readonly channels = new Map<string, FakeChannel>([
    ['C0GENERAL', { isPrivate: false, members: null, botMember: true }],
  ]);
  private readonly responseUrls = new Map<string, ResponseUrl>();
  private readonly responseFailures: Array<{ status: number; body: string }> = [];
  readonly responsePosts: ResponsePost[] = [];
  private seq = 0;
  private readonly usergroups = new Map<string, string[]>();
  private readonly failures = new Map<string, string[]>();
  private readonly hangs = new Map<string, Hang[]>();
  private readonly messages = new Map<string, PostedMessage>();
  private readonly usedTriggers = new Set<string>();
  private tsCounter = 1_700_000_000;
  private server!: Server;
  private wss: WebSocketServer | null = null;
  private appToken: string | null = null;
  private socket: WebSocket | null = null;
  private readonly acks = new Map<string, (payload: unknown) => void>();
  url = '';
  /** scheme://host:port of this server: response_urls live here, on loopback. */
  origin = '';

  private constructor(readonly token: string) {}

  static async start(token: string): Promise<FakeSlack> {
    const fake = new FakeSlack(token);
    fake.server = createServer((req, res) => {
      if ((req.url ?? '').startsWith('/response/')) {
        void fake.handleResponse(req).then(
          ({ status, body }) => {
            res.writeHead(status, { 'content-type': 'text/plain' });
            res.end(body);
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
        return;
      }
      void fake.handle(req).then(
        (body) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.origin = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    fake.url = `${fake.origin}/api/`;
    return fake;
  }

  async close(): Promise<void> {
    this.socket?.terminate();
    this.wss?.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Socket Mode: apps.connections.open (with the app-level token) hands out a WebSocket URL on
   * this server; Slack says hello, then delivers envelopes the app must acknowledge.
   */
  enableSocketMode(appToken: string): void {
    this.appToken = appToken;
    this.wss = new WebSocketServer({ server: this.server, path: '/socket' });
    this.wss.on('connection', (ws) => {
      this.socket = ws;
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { envelope_id?: string; payload?: unknown };
        if (msg.envelope_id) this.acks.get(msg.envelope_id)?.(msg.payload ?? null);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: 1,
          connection_info: { app_id: 'A0DOORMAN' },
        }),
      );
    });
  }

  get socketConnected(): boolean {
    return this.socket !== null;
  }

  /** Delivers one envelope over the socket; resolves with the app's acknowledgement payload. */
  deliver(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: unknown,
  ): Promise<unknown> {
    if (!this.socket) throw new Error('no Socket Mode connection');
    const envelopeId = `env-${this.tsCounter++}`;
    const acked = new Promise<unknown>((resolve) => this.acks.set(envelopeId, resolve));
    this.socket.send(
      JSON.stringify({
        envelope_id: envelopeId,
        type,
        payload,
        accepts_response_payload: type !== 'events_api',
        retry_attempt: 0,
        retry_reason: '',
      }),
    );
    return acked;
  }

  /** A Slack user group and its members (as usergroups.users.list answers); null deletes it. */
  setUsergroup(id: string, members: string[] | null): void {
    if (members) this.usergroups.set(id, members);
    else this.usergroups.delete(id);
  }

  /** The next call of `method` fails with Slack's `error` (e.g. a Slack outage). */
  failNext(method: string, error: string): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  /**
   * The next call of `method` is held unanswered, taking no effect, until released (then it
   * fails with a 500): Slack holding a call while a test kills the broker that made it.
   */
  hangNext(method: string): { arrived: Promise<SlackCall>; release(): void } {
    let arrive!: (call: SlackCall) => void;
    let release!: () => void;
    const hang: Hang = {
      arrived: new Promise((r) => (arrive = r)),
      arrive: (call) => arrive(call),
      released: new Promise((r) => (release = r)),
    };
    this.hangs.set(method, [...(this.hangs.get(method) ?? []), hang]);
    return { arrived: hang.arrived, release };
  }

  /** A public channel the bot is in (C0GENERAL exists from the start); everyone is a member. */
  addChannel(id: string): void {
    this.channels.set(id, { isPrivate: false, members: null, botMember: true });
  }

  /** A private channel of these people; the bot is not in it unless invited. */
  addPrivateChannel(id: string, members: string[], opts: { bot?: boolean } = {}): void {
    this.channels.set(id, { isPrivate: true, members: new Set(members), botMember: !!opts.bot });
  }

  /** A DM between two people, neither of them the bot: the bot cannot see or post into it. */
  addDmBetween(id: string, a: string, b: string): void {
    this.channels.set(id, { isPrivate: true, members: new Set([a, b]), botMember: false });
  }

  /**
   * A response_url as Slack hands it out with a command or a click by `user` in `channel`: good
   * for 5 posts (Slack also ends it after 30 minutes), served by this fake on loopback.
   */
  responseUrl(user: string, channel: string): string {
    const id = randomBytes(9).toString('hex');
    this.responseUrls.set(id, { user, channel, uses: 0 });
    return `${this.origin}/response/${id}`;
  }

  /** The next response_url post fails, as when the URL expired (Slack answers 404 expired_url). */
  failNextResponse(status = 404, body = 'expired_url'): void {
    this.responseFailures.push({ status, body });
  }

  /**
   * What `user` was shown, in order: response_url posts (ephemeral to them, or in a channel they
   * are in), ephemeral messages and DMs from the bot.
   */
  seenBy(user: string): SeenAnswer[] {
    const out: Array<SeenAnswer & { seq: number }> = [];
    for (const c of this.calls) {
      if (!c.ok) continue;
      if (c.method === 'chat.postEphemeral' && c.args.user === user)
        out.push({
          via: 'ephemeral',
          channel: c.args.channel,
          text: String(c.args.text ?? ''),
          blocks: c.args.blocks,
          seq: c.seq ?? 0,
        });
      if (c.method === 'chat.postMessage' && c.args.channel === this.dmOf(user))
        out.push({
          via: 'dm',
          channel: c.args.channel,
          text: String(c.args.text ?? ''),
          blocks: c.args.blocks,
          seq: c.seq ?? 0,
        });
    }
    for (const r of this.responsePosts) {
      if (!r.ok) continue;
      const everyone = r.body.response_type === 'in_channel';
      if (r.user === user || (everyone && this.isMember(r.channel, user)))
        out.push({
          via: 'response_url',
          channel: r.channel,
          text: String(r.body.text ?? ''),
          blocks: r.body.blocks,
          seq: r.seq,
        });
    }
    return out.sort((a, b) => a.seq - b.seq).map(({ seq: _seq, ...a }) => a);
  }

  private isMember(channel: string, user: string): boolean {
    if (channel === this.dmOf(user)) return true;
    const c = this.channels.get(channel);
    return !!c && (c.members === null || c.members.has(user));
  }

  private async handleResponse(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const id = (req.url ?? '').slice('/response/'.length).split('?')[0];
    const raw = await readBody(req);
    const target = this.responseUrls.get(id);
    if (req.method !== 'POST' || !target) return { status: 404, body: 'no_such_url' };
    let body: Record<string, any> = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return { status: 400, body: 'invalid_payload' };
    }
    const post: ResponsePost = {
      user: target.user,
      channel: target.channel,
      ok: false,
      status: 0,
      body,
      seq: this.seq++,
    };
    this.responsePosts.push(post);
    const answer = (status: number, text: string) => {
      post.status = status;
      post.ok = status === 200;
      return { status, body: text };
    };
    const failure = this.responseFailures.shift();
    if (failure) return answer(failure.status, failure.body);
    if (++target.uses > 5) return answer(404, 'used_url');
    if (!body.text && !body.blocks) return answer(400, 'no_text');
    try {
      checkBlocks(body.blocks, MESSAGE_BLOCKS_MAX);
    } catch {
      return answer(400, 'invalid_blocks');
    }
    return answer(200, 'ok');
  }

  addUser(id: string, email: string, name = email.split('@')[0]): void {
    this.users.set(id, { id, email, name });
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method && c.ok);
  }

  /** Every successful call's arguments, serialised: for "this secret was never posted" checks. */
  posted(methods = ['chat.postMessage', 'chat.update', 'chat.postEphemeral']): string {
    return JSON.stringify(this.calls.filter((c) => methods.includes(c.method)).map((c) => c.args));
  }

  /** The DM channel of a user (as conversations.open answers it). */
  dmOf(userId: string): string {
    return `D${userId}`;
  }

  messagesTo(userId: string): PostedMessage[] {
    return this.messagesIn(this.dmOf(userId));
  }

  /** Messages as they stand now (updates applied), in the order they were posted. */
  messagesIn(channel: string): PostedMessage[] {
    return [...this.messages.values()].filter((m) => m.channel === channel);
  }

  private async handle(req: IncomingMessage): Promise<Record<string, unknown>> {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
    const raw = await readBody(req);
    const args: Record<string, any> = {};
    if ((req.headers['content-type'] ?? '').includes('application/json')) {
      Object.assign(args, raw ? JSON.parse(raw) : {});
    } else {
      for (const [k, v] of new URLSearchParams(raw)) {
        args[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
      }
    }
    const call: SlackCall = { method, args, ok: true, seq: this.seq++ };
    this.calls.push(call);
    try {
      const token = method === 'apps.connections.open' ? this.appToken : this.token;
      if (!token || req.headers.authorization !== `Bearer ${token}`)
        throw new SlackApiError('invalid_auth');
      const hang = this.hangs.get(method)?.shift();
      if (hang) {
        call.ok = false;
        call.error = 'held';
        hang.arrive(call);
        await hang.released;
        throw new Error(`${method} was held, then dropped`);
      }
      const failure = this.failures.get(method)?.shift();
      if (failure) throw new SlackApiError(failure);
      return { ok: true, ...this.answer(method, args) };
    } catch (e) {
      if (!(e instanceof SlackApiError)) throw e;
      call.ok = false;
      call.error = e.message;
      return { ok: false, error: e.message };
    }
  }

  private user(id: unknown): FakeUser {
    const u = this.users.get(String(id));
    if (!u) throw new SlackApiError('user_not_found');
    return u;
  }

  /**
   * A conversation the bot may post in, as Slack decides it: its own DMs and the channels it is
   * a member of. A private channel or a DM between others does not exist for the bot
   * (channel_not_found); a public channel it was not invited to is not_in_channel.
   */
  private channel(id: unknown): string {
    const c = typeof id === 'string' ? id : '';
    if (c.startsWith('D') && this.users.has(c.slice(1))) return c;
    const known = this.channels.get(c);
    if (!known || (known.isPrivate && !known.botMember))
      throw new SlackApiError('channel_not_found');
    if (!known.botMember) throw new SlackApiError('not_in_channel');
    return c;
  }

  private checkMessage(args: Record<string, any>): void {
    if (!args.text && !args.blocks) throw new SlackApiError('no_text');
    if (String(args.text ?? '').length > 40000) throw new SlackApiError('msg_too_long');
    checkBlocks(args.blocks, MESSAGE_BLOCKS_MAX);
  }

  private answer(method: string, args: Record<string, any>): Record<string, unknown> {
    switch (method) {
      case 'apps.connections.open':
        return { url: `${this.url.replace('http://', 'ws://').replace(/\/api\/$/, '')}/socket` };
      case 'auth.test':
        return {
          user_id: this.botUserId,
          bot_id: 'BDOORMAN',
          team_id: 'T0DOORMAN',
          team: 'Doorman',
        };
      case 'users.info': {
        const u = this.user(args.user);
        return {
          user: {
            id: u.id,
            name: u.name,
            deleted: false,
            is_bot: false,
            profile: { email: u.email },
          },
        };
      }
      case 'users.lookupByEmail': {
        const u = [...this.users.values()].find((x) => x.email === args.email);
        if (!u) throw new SlackApiError('users_not_found');
        return { user: { id: u.id, name: u.name, profile: { email: u.email } } };
      }
      case 'usergroups.users.list': {
        const members = this.usergroups.get(String(args.usergroup));
        if (!members) throw new SlackApiError('no_such_subteam');
        return { users: [...members] };
      }
      case 'conversations.open': {
        const u = this.user(String(args.users ?? '').split(',')[0]);
        return { channel: { id: this.dmOf(u.id) } };
      }
      case 'chat.postMessage': {
        const channel = this.channel(args.channel);
        this.checkMessage(args);
        const ts = `${this.tsCounter++}.000100`;
        this.messages.set(`${channel}/${ts}`, {
          channel,
          ts,
          text: args.text,
          blocks: args.blocks,
        });
        return { channel, ts, message: { text: args.text } };
      }
      case 'chat.update': {
        const key = `${this.channel(args.channel)}/${args.ts}`;
        const m = this.messages.get(key);
        if (!m) throw new SlackApiError('message_not_found');
        this.checkMessage(args);
        Object.assign(m, { text: args.text, blocks: args.blocks });
        return { channel: m.channel, ts: m.ts };
      }
      case 'chat.postEphemeral': {
        const channel = this.channel(args.channel);
        this.user(args.user);
        // Slack shows an ephemeral message only to a member of the conversation.
        if (!this.isMember(channel, String(args.user)))
          throw new SlackApiError('user_not_in_channel');
        this.checkMessage(args);
        return { message_ts: `${this.tsCounter++}.000200` };
      }
      case 'views.open':
      case 'views.push': {
        const trigger = String(args.trigger_id ?? '');
        if (!trigger) throw new SlackApiError('invalid_arguments');
        if (this.usedTriggers.has(trigger)) throw new SlackApiError('expired_trigger_id');
        this.usedTriggers.add(trigger);
        checkView(args.view, 'modal');
        return { view: { id: `V${this.tsCounter++}`, ...args.view } };
      }
      case 'views.update':
        checkView(args.view, 'modal');
        return { view: { id: args.view_id, ...args.view } };
      case 'views.publish':
        this.user(args.user_id);
        checkView(args.view, 'home');
        return { view: { id: `V${this.tsCounter++}`, ...args.view } };
      default:
        throw new SlackApiError('unknown_method');
    }
  }
}
