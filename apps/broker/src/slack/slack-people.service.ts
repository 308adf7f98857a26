import { Inject, Injectable, Logger } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig, slackSettings } from '../config/broker.config';
import type { WebClient } from '@slack/web-api';
import type { UserEntity } from '../identity/user.entity';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { SLACK_CLIENT, type SlackClient } from './slack-client';
import { allowedResponseUrl, postToResponseUrl, type SlackAnswer } from './slack-response-url';
import { mention, type RequestView } from './views/format';
import type { SlackMessage } from './views/messages.view';

/** Who is who between Slack and Doorman, and how to reach a person in Slack. */
@Injectable()
export class SlackPeopleService {
  private readonly logger = new Logger(SlackPeopleService.name);
  private readonly responseUrlOrigins: string[];
  private readonly publicUrl: string;

  constructor(
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    @Inject(SLACK_CLIENT) private readonly slack: SlackClient,
    private readonly identity: IdentityService,
    private readonly integrations: IntegrationsService,
  ) {
    const s = slackSettings(config);
    this.responseUrlOrigins = s.enabled ? s.responseUrlOrigins : [];
    this.publicUrl = (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
  }

  /** A page of the broker (the console) as a link in Slack: PUBLIC_URL + path. */
  brokerUrl(path: string): string {
    return `${this.publicUrl}${path}`;
  }

  get client(): WebClient {
    if (!this.slack) throw new Error('Slack is not configured');
    return this.slack;
  }

  /** A Slack user → a Doorman user: by linked Slack id, else by the email Slack knows. */
  async resolve(slackUserId: string): Promise<UserEntity | null> {
    const linked = await this.identity.findBySlackUserId(slackUserId);
    if (linked) return linked;
    const info = await this.client.users.info({ user: slackUserId }).catch(() => null);
    const email = info?.user?.profile?.email;
    if (!email || info?.user?.deleted || info?.user?.is_bot) return null;
    const user = await this.identity.findByEmail(email);
    if (!user) return null;
    // Several first contacts at once: one links, the others find it linked to this same id.
    if (user.slackUserId === slackUserId) return user;
    if (user.slackUserId) return null;
    if (await this.identity.linkSlackUser(user.id, slackUserId)) return { ...user, slackUserId };
    const linkedMeanwhile = await this.identity.findBySlackUserId(slackUserId);
    return linkedMeanwhile?.id === user.id ? linkedMeanwhile : null;
  }

  /** A Doorman user's Slack id: linked, or looked up by email once and remembered. */
  async slackIdOf(user: UserEntity): Promise<string | null> {
    if (user.slackUserId) return user.slackUserId;
    const found = await this.client.users.lookupByEmail({ email: user.email }).catch(() => null);
    const id = found?.user?.id;
    if (!id) return null;
    if (await this.identity.linkSlackUser(user.id, id)) return id;
    return (await this.identity.findBySlackUserId(id))?.id === user.id ? id : null;
  }

  async mentionOf(userId: string | null): Promise<string | null> {
    if (!userId) return null;
    const [u] = await this.identity.findByIds([userId]);
    return u ? mention(u) : null;
  }

  async view(r: AccessRequestEntity): Promise<RequestView> {
    const [requester, integration] = await Promise.all([
      this.mentionOf(r.requesterId),
      this.integrations.get(r.integrationId).catch(() => null),
    ]);
    return {
      id: r.id,
      requester: requester ?? 'someone',
      integration: integration?.name ?? r.integrationId,
      database: r.database,
      schema: r.schema,
      permission: r.permission,
      durationSeconds: r.durationSeconds,
      justification: r.justification,
      status: r.status,
      expiresAt: r.expiresAt,
      endedAt: r.endedAt,
      isExtension: r.kind === 'extension',
    };
  }

  /** Sends a direct message; null when the person cannot be found in Slack. */
  async dm(
    user: UserEntity,
    message: SlackMessage,
  ): Promise<{ channel: string; ts: string } | null> {
    const slackId = await this.slackIdOf(user);
    if (!slackId) {
      this.logger.warn({ userId: user.id }, 'no Slack account for a person to notify');
      return null;
    }
    const opened = await this.client.conversations.open({ users: slackId });
    const channel = opened.channel?.id;
    if (!channel) return null;
    const posted = await this.client.chat.postMessage({ channel, ...message });
    return posted.ts ? { channel, ts: posted.ts } : null;
  }

  /**
   * An answer only the person sees, wherever they typed or clicked: through the response_url
   * Slack handed over (it works in any channel, the bot a member or not), else ephemeral in a
   * channel the bot is in, else a DM from the bot. Never throws: an answer that cannot be
   * delivered is not the person's request failing, so it is a warning, not an error.
   */
  async tell(to: SlackReplyTo, message: string | SlackMessage): Promise<void> {
    const body: SlackAnswer = typeof message === 'string' ? { text: message } : message;
    const reasons: string[] = [];
    const url = allowedResponseUrl(to.responseUrl, this.responseUrlOrigins);
    if (to.responseUrl && !url) reasons.push('response_url not on an allowed origin');
    if (url) {
      const failed = await postToResponseUrl(url, body);
      if (!failed) return;
      reasons.push(failed);
    }
    if (to.channel) {
      const failed = await this.client.chat
        .postEphemeral({ channel: to.channel, user: to.slackUserId, ...body })
        .then(() => null, slackFailure);
      if (!failed) return;
      reasons.push(`chat.postEphemeral: ${failed}`);
    }
    const failed = await this.client.conversations
      .open({ users: to.slackUserId })
      .then(async (opened) => {
        if (!opened.channel?.id) return 'conversations.open gave no channel';
        await this.client.chat.postMessage({ channel: opened.channel.id, ...body });
        return null;
      })
      .catch(slackFailure);
    if (!failed) return;
    reasons.push(`DM: ${failed}`);
    this.logger.warn(
      { slackUserId: to.slackUserId, reasons },
      'could not answer a person in Slack',
    );
  }
}

/** Where an answer goes: the person, and what Slack said about where they acted. */
export interface SlackReplyTo {
  slackUserId: string;
  channel?: string;
  /** Slack's response_url for a slash command or a click on a message. */
  responseUrl?: string;
}

/** Slack's error code (channel_not_found, …), never the request it failed on. */
function slackFailure(err: unknown): string {
  const data = (err as { data?: { error?: unknown } }).data;
  return typeof data?.error === 'string' ? data.error : ((err as Error).name ?? 'error');
}
