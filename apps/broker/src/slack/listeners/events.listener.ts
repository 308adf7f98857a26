import type { App } from '@slack/bolt';
import type { SlackInteractionsService } from '../slack-interactions.service';

/** Events API: the App Home tab is rendered fresh each time it is opened. */
export function registerEvents(app: App, h: SlackInteractionsService): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab === 'home') await h.publishHome(event.user);
  });
}
