import type { App } from '@slack/bolt';
import type { SlackGroupSyncService } from '../slack-group-sync.service';
import type { SlackHandlers } from '../slack-handlers';

/**
 * Events API: the App Home tab is rendered fresh each time it is opened; a Slack user group's
 * new members reach the Doorman groups that follow it.
 */
export function registerEvents(app: App, h: SlackHandlers, groupSync: SlackGroupSyncService): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab === 'home') await h.access.publishHome(event.user);
  });
  app.event('subteam_members_changed', async ({ event }) => {
    await groupSync.onUsergroupChanged(event.subteam_id);
  });
}
