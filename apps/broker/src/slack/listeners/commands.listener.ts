import type { App } from '@slack/bolt';
import { SlackIds } from '../slack-ids';
import type { SlackInteractionsService } from '../slack-interactions.service';

/** Slash commands: ack at once (Slack waits 3 s), then one call. */
export function registerCommands(app: App, h: SlackInteractionsService): void {
  app.command(SlackIds.command, async ({ ack, command }) => {
    await ack();
    await h.command(
      {
        slackUserId: command.user_id,
        channel: command.channel_id,
        triggerId: command.trigger_id,
        responseUrl: command.response_url,
      },
      command.text ?? '',
    );
  });
}
