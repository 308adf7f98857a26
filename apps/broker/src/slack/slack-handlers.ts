import type { SlackAccessActionsService } from './slack-access-actions.service';
import type { SlackCommandsService } from './slack-commands.service';
import type { SlackDecisionsService } from './slack-decisions.service';
import type { SlackRequestFormService } from './slack-request-form.service';

/** What the listeners call, by use case: each listener acks, then makes one of these calls. */
export interface SlackHandlers {
  commands: SlackCommandsService;
  form: SlackRequestFormService;
  decisions: SlackDecisionsService;
  access: SlackAccessActionsService;
}
