import { Injectable, Logger } from '@nestjs/common';
import type { UserEntity } from '../identity/user.entity';
import { slackRefused } from './slack-errors';
import type { SlackMessageKind } from './slack-message.entity';
import { SlackMessagesRepository } from './slack-messages.repository';
import { SlackPeopleService } from './slack-people.service';
import type { SlackMessage } from './views/messages.view';

/** The notice job being delivered: its id keys what it sends and names the claims it holds. */
export interface NoticeRun {
  key: string;
}

type Ref = { channel: string; ts: string };

/**
 * Posting notices so that a job run again (Slack was down, its broker stopped mid-way) sends
 * nothing twice: kept messages are claimed per request, kind and person; one-time notices are
 * recorded per message key. Slack refusing a message is logged and the rest goes on; Slack
 * unavailable, or anything else failing, is thrown, and the job retries with backoff.
 */
@Injectable()
export class SlackPostsService {
  private readonly logger = new Logger(SlackPostsService.name);

  constructor(
    private readonly people: SlackPeopleService,
    private readonly messages: SlackMessagesRepository,
  ) {}

  /**
   * One message of this kind per request and person, across replicas and retries, its
   * (channel, ts) kept so it can be updated in place. A claim another notice job holds is left
   * to it: that job posts the message, or its retry does.
   */
  async dmOnce(
    run: NoticeRun,
    requestId: string,
    kind: SlackMessageKind,
    person: UserEntity,
    message: SlackMessage,
    failure: string,
  ): Promise<void> {
    if (!(await this.messages.claim(requestId, kind, person.id, run.key))) return;
    try {
      const ref = await this.people.dm(person, message);
      if (ref) await this.messages.posted(requestId, kind, person.id, ref);
      else await this.messages.release(requestId, kind, person.id);
    } catch (err) {
      await this.messages.release(requestId, kind, person.id);
      this.refusedOrThrow(err, { requestId }, failure);
    }
  }

  /** A one-time DM: once per message key (this job, `what`, the person), however often it runs. */
  async dmOnceByKey(
    run: NoticeRun,
    what: string,
    person: UserEntity,
    message: SlackMessage,
    failure: string,
  ): Promise<void> {
    const key = `${run.key}:${what}:${person.id}`;
    if (await this.messages.delivered(key)) return;
    let ref: Ref | null;
    try {
      ref = await this.people.dm(person, message);
    } catch (err) {
      this.refusedOrThrow(err, { what }, failure);
      return;
    }
    await this.messages.recordDelivery(key, ref);
  }

  /** A post in a channel, once per request, kind and key; false when Slack refused it. */
  async postOnce(
    run: NoticeRun,
    requestId: string,
    kind: SlackMessageKind,
    key: string,
    channel: string,
    message: () => Promise<SlackMessage>,
    failure: string,
  ): Promise<boolean> {
    if (!(await this.messages.claim(requestId, kind, key, run.key))) return true;
    try {
      const posted = await this.people.client.chat.postMessage({ channel, ...(await message()) });
      if (posted.ts) {
        await this.messages.posted(requestId, kind, key, { channel, ts: posted.ts });
        return true;
      }
    } catch (err) {
      await this.messages.release(requestId, kind, key);
      this.refusedOrThrow(err, { requestId, channel }, failure);
      return false;
    }
    await this.messages.release(requestId, kind, key);
    return false;
  }

  /** A kept message brought up to date in place (an update is the same however often it runs). */
  async update(
    ref: { channel: string | null; ts: string | null },
    message: SlackMessage,
    requestId: string,
    failure: string,
  ): Promise<void> {
    if (!ref.channel || !ref.ts) return;
    await this.people.client.chat
      .update({ channel: ref.channel, ts: ref.ts, ...message })
      .catch((err: unknown) => this.refusedOrThrow(err, { requestId }, failure));
  }

  private refusedOrThrow(err: unknown, context: Record<string, unknown>, failure: string): void {
    if (!slackRefused(err)) throw err;
    this.logger.error({ err, ...context }, failure);
  }
}
