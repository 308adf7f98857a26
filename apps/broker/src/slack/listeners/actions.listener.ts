import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { SlackIds } from '../slack-ids';
import type { SlackOrigin } from '../slack-acting.service';
import type { SlackHandlers } from '../slack-handlers';

function origin(body: BlockAction): SlackOrigin {
  return {
    slackUserId: body.user.id,
    channel: body.channel?.id,
    triggerId: body.trigger_id,
    // Set for clicks on messages; a click on the App Home has none (the answer is a DM).
    responseUrl: body.response_url || undefined,
  };
}

/** Buttons on messages and the App Home: ack first, then one call with the request id. */
export function registerActions(app: App, h: SlackHandlers): void {
  app.action<BlockAction<ButtonAction>>(SlackIds.approve, async ({ ack, body, action }) => {
    await ack();
    await h.decisions.approve(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.deny, async ({ ack, body, action }) => {
    await ack();
    await h.decisions.openDeny(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.reveal, async ({ ack, body, action }) => {
    await ack();
    await h.access.reveal(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.extend, async ({ ack, body, action }) => {
    await ack();
    await h.access.openExtend(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.revoke, async ({ ack, body, action }) => {
    await ack();
    await h.access.revoke(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.cancel, async ({ ack, body, action }) => {
    await ack();
    await h.access.cancel(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.review, async ({ ack, body, action }) => {
    await ack();
    await h.decisions.openReview(origin(body), action.value ?? '');
  });
  app.action(SlackIds.openConsole, async ({ ack }) => ack());
}
