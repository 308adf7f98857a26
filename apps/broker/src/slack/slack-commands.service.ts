import { Injectable } from '@nestjs/common';
import type { PermissionLevel } from '@doorman/contracts';
import type { Actor } from '../identity/actor';
import { IntegrationsService } from '../integrations/integrations.service';
import { RequestsService } from '../requests/requests.service';
import { ACCESS_USAGE, listMessage, parseAccessCommand } from './access-command';
import { SlackAccessActionsService } from './slack-access-actions.service';
import { SlackActingService, UUID, type SlackOrigin } from './slack-acting.service';
import { SlackPeopleService } from './slack-people.service';
import { SlackRequestFormService } from './slack-request-form.service';
import { escapeText, formatDuration, resourceLine } from './views/format';

/** `/access`: help, list, the form, a request typed in one line, cancel, and revoke-all. */
@Injectable()
export class SlackCommandsService {
  constructor(
    private readonly acting: SlackActingService,
    private readonly people: SlackPeopleService,
    private readonly requests: RequestsService,
    private readonly integrations: IntegrationsService,
    private readonly form: SlackRequestFormService,
    private readonly access: SlackAccessActionsService,
  ) {}

  async command(o: SlackOrigin, text: string): Promise<void> {
    await this.acting.as(o, async (actor) => {
      const cmd = parseAccessCommand(text);
      switch (cmd.kind) {
        case 'help':
          return this.people.tell(o, ACCESS_USAGE);
        case 'malformed':
          return this.people.tell(
            o,
            `That request is not in the expected form: ${cmd.problem}.\n${ACCESS_USAGE}`,
          );
        case 'list': {
          const rows = await this.requests.list(actor, { mine: true, limit: 20 });
          const views = await Promise.all(rows.map((r) => this.people.view(r)));
          return this.people.tell(o, listMessage(views, new Date()));
        }
        case 'modal':
          return this.form.open(actor, o);
        case 'cancel': {
          const id = await this.ownRequestId(actor, cmd.id);
          if (!id)
            return this.people.tell(
              o,
              `None of your requests has the id \`${escapeText(cmd.id)}\`; \`/access list\` shows them.`,
            );
          return this.access.cancelAs(actor, o, id);
        }
        case 'revoke-all': {
          // The incident button: the same service call, and the same role check, as REST.
          const integration = (await this.integrations.list()).find(
            (i) => i.name.toLowerCase() === cmd.integration.toLowerCase(),
          );
          if (!integration) {
            return this.people.tell(
              o,
              `There is no integration named \`${escapeText(cmd.integration)}\`.`,
            );
          }
          const r = await this.requests.revokeAll(actor, integration.id, cmd.reason);
          return this.people.tell(
            o,
            `Revoke-all on ${escapeText(integration.name)}: ${r.revoked} grant(s) ending now for ${r.people} person(s), ${r.denied} pending request(s) denied.`,
          );
        }
        case 'request': {
          const all = await this.integrations.list();
          const integration = all.find(
            (i) => i.name.toLowerCase() === cmd.integration.toLowerCase(),
          );
          if (!integration) {
            return this.people.tell(
              o,
              `There is no integration named \`${escapeText(cmd.integration)}\`.\n${ACCESS_USAGE}`,
            );
          }
          const created = await this.requests.create(actor, {
            integrationId: integration.id,
            database: cmd.database,
            schema: cmd.schema,
            permission: cmd.permission as PermissionLevel,
            duration: cmd.duration,
            justification: cmd.reason || null,
            breakGlass: cmd.breakGlass,
          });
          const what = `${created.permission} on ${resourceLine({ integration: integration.name, ...created })} for ${formatDuration(created.durationSeconds)}`;
          return this.people.tell(
            o,
            created.breakGlass
              ? `Break-glass access granted: ${what}. It is being set up now; the integration's owners and security were told and will review it.`
              : `Request submitted: ${what}. I'll message you as it moves.`,
          );
        }
      }
    });
  }

  /**
   * A request of the actor's own, by its full id or the first characters `/access list` shows;
   * null when none (or more than one) matches.
   */
  private async ownRequestId(actor: Actor, idOrPrefix: string): Promise<string | null> {
    if (UUID.test(idOrPrefix)) return idOrPrefix;
    const mine = await this.requests.list(actor, { mine: true, limit: 200 });
    const matches = mine.filter((r) => r.id.startsWith(idOrPrefix));
    return matches.length === 1 ? matches[0].id : null;
  }
}
