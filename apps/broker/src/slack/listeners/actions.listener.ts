import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { SlackIds } from '../slack-ids';
import type { SlackInteractionsService, SlackOrigin } from '../slack-interactions.service';

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
export function registerActions(app: App, h: SlackInteractionsService): void {
  app.action<BlockAction<ButtonAction>>(SlackIds.approve, async ({ ack, body, action }) => {
    await ack();
    await h.approve(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.deny, async ({ ack, body, action }) => {
    await ack();
    await h.openDeny(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.reveal, async ({ ack, body, action }) => {
    await ack();
    await h.reveal(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.extend, async ({ ack, body, action }) => {
    await ack();
    await h.openExtend(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.revoke, async ({ ack, body, action }) => {
    await ack();
    await h.revoke(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.cancel, async ({ ack, body, action }) => {
    await ack();
    await h.cancel(origin(body), action.value ?? '');
  });
  app.action<BlockAction<ButtonAction>>(SlackIds.review, async ({ ack, body, action }) => {
    await ack();
    await h.openReview(origin(body), action.value ?? '');
  });
}
