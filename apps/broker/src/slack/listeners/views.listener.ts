import type { App } from '@slack/bolt';
import { SlackIds } from '../slack-ids';
import type { SlackHandlers } from '../slack-handlers';

/**
 * Modal submissions. The one exception to "ack first": the service call comes before ack,
 * because a refusal (duration over the maximum, …) is shown on the form's own fields.
 */
export function registerViews(app: App, h: SlackHandlers): void {
  app.view(SlackIds.requestModal, async ({ ack, body, view }) => {
    const errors = await h.form.submit({ slackUserId: body.user.id }, view.state.values);
    await ack(errors ? { response_action: 'errors', errors } : undefined);
  });
  app.view(SlackIds.denyModal, async ({ ack, body, view }) => {
    const reason = view.state.values[SlackIds.blocks.reason]?.[SlackIds.blocks.reason]?.value ?? '';
    const errors = await h.decisions.submitDeny(
      { slackUserId: body.user.id },
      view.private_metadata,
      reason,
    );
    await ack(errors ? { response_action: 'errors', errors } : undefined);
  });
  app.view(SlackIds.reviewModal, async ({ ack, body, view }) => {
    const note = view.state.values[SlackIds.blocks.note]?.[SlackIds.blocks.note]?.value ?? '';
    const errors = await h.decisions.submitReview(
      { slackUserId: body.user.id },
      view.private_metadata,
      note,
    );
    await ack(errors ? { response_action: 'errors', errors } : undefined);
  });
  app.view(SlackIds.extendModal, async ({ ack, body, view }) => {
    const v = view.state.values;
    const b = SlackIds.blocks;
    const errors = await h.access.submitExtend(
      { slackUserId: body.user.id },
      view.private_metadata,
      v[b.duration]?.[b.duration]?.value ?? '',
      v[b.justification]?.[b.justification]?.value ?? '',
    );
    await ack(errors ? { response_action: 'errors', errors } : undefined);
  });
}
