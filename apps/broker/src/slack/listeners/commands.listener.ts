import type { App } from '@slack/bolt';
import { SlackIds } from '../slack-ids';
import type { SlackHandlers } from '../slack-handlers';

/** Slash commands: ack at once (Slack waits 3 s), then one call. */
export function registerCommands(app: App, h: SlackHandlers): void {
  app.command(SlackIds.command, async ({ ack, command }) => {
    await ack();
    await h.commands.command(
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
