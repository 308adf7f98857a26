import { Injectable } from '@nestjs/common';
import { isRoleResource, ROLE_LEVEL, type PermissionLevel } from '@doorman/contracts';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import { CatalogService } from '../catalog/catalog.service';
import { DomainError, ErrorCode } from '../common/errors';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { RequestsService } from '../requests/requests.service';
import { requestCatalog } from './access-catalog';
import {
  SlackActingService,
  type SlackOrigin,
  type ViewErrors,
  type ViewValues,
} from './slack-acting.service';
import { SlackIds } from './slack-ids';
import { SlackPeopleService } from './slack-people.service';
import { parseOptionValue, requestModal } from './views/modals.view';

/** What a person may ask for: the flows that let them, over what each integration's catalog holds. */
@Injectable()
export class SlackRequestCatalogService {
  constructor(
    private readonly flows: AccessFlowsService,
    private readonly integrations: IntegrationsService,
    private readonly identity: IdentityService,
    private readonly catalogs: CatalogService,
  ) {}

  async forActor(actor: Actor): Promise<ReturnType<typeof requestCatalog>> {
    const [flows, integrations, groupIds] = await Promise.all([
      this.flows.list(),
      this.integrations.list(),
      this.identity.groupIdsOf(actor.id),
    ]);
    return requestCatalog(
      flows,
      { id: actor.id, groupIds },
      new Map(integrations.map((i) => [i.id, i.name])),
      await this.catalogs.grantableIndex([...new Set(flows.map((f) => f.integrationId))]),
    );
  }
}

/** The request form: opened from `/access`, submitted to the same service call as REST. */
@Injectable()
export class SlackRequestFormService {
  constructor(
    private readonly acting: SlackActingService,
    private readonly people: SlackPeopleService,
    private readonly requests: RequestsService,
    private readonly catalog: SlackRequestCatalogService,
  ) {}

  async open(actor: Actor, o: SlackOrigin): Promise<void> {
    const catalog = await this.catalog.forActor(actor);
    if (!catalog || !catalog.options.length) {
      return this.people.tell(o, 'No access flow lets you request anything yet.');
    }
    await this.people.client.views.open({ trigger_id: o.triggerId!, view: requestModal(catalog) });
  }

  /** The request form was submitted: errors go back onto the form's fields. */
  async submit(o: SlackOrigin, values: ViewValues): Promise<ViewErrors> {
    const b = SlackIds.blocks;
    const picked = parseOptionValue(values[b.resource]?.[b.resource]?.selected_option?.value ?? '');
    if (!picked) return { [b.resource]: 'Choose a database and schema' };
    let errors: ViewErrors = null;
    await this.acting.as(o, async (actor) => {
      try {
        await this.requests.create(actor, {
          ...picked,
          // An existing role is granted as member only, whatever the shared level menu says.
          permission: isRoleResource(picked)
            ? ROLE_LEVEL
            : ((values[b.permission]?.[b.permission]?.selected_option?.value ??
                '') as PermissionLevel),
          duration: values[b.duration]?.[b.duration]?.value?.trim() || undefined,
          justification: values[b.justification]?.[b.justification]?.value ?? null,
        });
      } catch (e) {
        // Access already held: the form closes, and a DM offers Extend (with Slack's dates)
        // instead of a field error naming the REST route.
        const offer = await this.acting.extendOffer(e);
        if (offer) return this.people.tell({ slackUserId: o.slackUserId }, offer);
        if (!(e instanceof DomainError) || e.code === ErrorCode.NotFound) throw e;
        const m = e.message;
        const block =
          e.code === ErrorCode.NotGrantable
            ? e.details?.field === 'permission'
              ? b.permission
              : b.resource
            : /duration/i.test(m)
              ? b.duration
              : /justification/i.test(m)
                ? b.justification
                : /permission|offers/i.test(m)
                  ? b.permission
                  : b.resource;
        errors = { [block]: m.slice(0, 150) };
      }
    });
    return errors;
  }
}
