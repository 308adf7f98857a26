import { Injectable, Logger } from '@nestjs/common';
import { isRoleResource, ROLE_LEVEL, type PermissionLevel } from '@doorman/contracts';
import { mayCloseReview } from '../access-flows/access-flow.policy';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import { CatalogService } from '../catalog/catalog.service';
import { DomainError, ErrorCode } from '../common/errors';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { type Credentials, CredentialsRevealService } from '../requests/credentials-reveal.service';
import { RequestsService } from '../requests/requests.service';
import { ACCESS_USAGE, listMessage, parseAccessCommand } from './access-command';
import { requestCatalog } from './access-catalog';
import { SlackHomeService } from './slack-home.service';
import { SlackIds } from './slack-ids';
import { SlackPeopleService, type SlackReplyTo } from './slack-people.service';
import { slackErrorText, UNKNOWN_PERSON_TEXT } from './slack-responder';
import {
  credentialsModal,
  denyModal,
  extendModal,
  parseOptionValue,
  requestModal,
  reviewModal,
} from './views/modals.view';
import {
  accessOver,
  alreadyHaveMessage,
  movedOnText,
  noCredentialsText,
} from './views/answers.view';
import { escapeText, formatDuration, resourceLine } from './views/format';
import type { SlackMessage } from './views/messages.view';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A request id from a button or modal: Slack echoes what we sent, but check before querying. */
function validId(value: string): string {
  if (!UUID.test(value)) throw DomainError.notFound('access request', value || '(none)');
  return value;
}

/** Where a Slack interaction came from: who, in which channel, with which modal trigger. */
export interface SlackOrigin extends SlackReplyTo {
  triggerId?: string;
}

/** Values of a submitted modal, as Bolt hands them over. */
export type ViewValues = Record<
  string,
  Record<string, { value?: string | null; selected_option?: { value: string } | null }>
>;

export type ViewErrors = Record<string, string> | null;

const DECIDED: Record<string, string> = {
  APPROVED: 'approved',
  GRANTING: 'approved',
  ACTIVE: 'approved',
  REVOKING: 'approved',
  REVOKED: 'approved',
  FAILED: 'approved',
  DENIED: 'denied',
  CANCELLED: 'cancelled by the requester',
  EXPIRED: 'expired before anyone decided',
};

/**
 * What each Slack listener does: resolve the person, make one call to the same service the
 * REST API uses (same authorisation, channel 'slack' in the audit), answer in Slack.
 */
@Injectable()
export class SlackInteractionsService {
  private readonly logger = new Logger(SlackInteractionsService.name);

  constructor(
    private readonly people: SlackPeopleService,
    private readonly requests: RequestsService,
    private readonly flows: AccessFlowsService,
    private readonly integrations: IntegrationsService,
    private readonly identity: IdentityService,
    private readonly home: SlackHomeService,
    private readonly catalogs: CatalogService,
    private readonly credentials: CredentialsRevealService,
  ) {}

  async command(o: SlackOrigin, text: string): Promise<void> {
    await this.as(o, async (actor) => {
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
          return this.openRequestModal(actor, o);
        case 'cancel': {
          const id = await this.ownRequestId(actor, cmd.id);
          if (!id)
            return this.people.tell(
              o,
              `None of your requests has the id \`${escapeText(cmd.id)}\`; \`/access list\` shows them.`,
            );
          return this.cancelAs(actor, o, id);
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

  private async openRequestModal(actor: Actor, o: SlackOrigin): Promise<void> {
    const [flows, integrations, groupIds] = await Promise.all([
      this.flows.list(),
      this.integrations.list(),
      this.identity.groupIdsOf(actor.id),
    ]);
    const catalog = requestCatalog(
      flows,
      { id: actor.id, groupIds },
      new Map(integrations.map((i) => [i.id, i.name])),
      await this.catalogs.grantableIndex([...new Set(flows.map((f) => f.integrationId))]),
    );
    if (!catalog || !catalog.options.length) {
      return this.people.tell(o, 'No access flow lets you request anything yet.');
    }
    await this.people.client.views.open({ trigger_id: o.triggerId!, view: requestModal(catalog) });
  }

  /** The request form was submitted: errors go back onto the form's fields. */
  async submitRequest(o: SlackOrigin, values: ViewValues): Promise<ViewErrors> {
    const b = SlackIds.blocks;
    const picked = parseOptionValue(values[b.resource]?.[b.resource]?.selected_option?.value ?? '');
    if (!picked) return { [b.resource]: 'Choose a database and schema' };
    let errors: ViewErrors = null;
    await this.as(o, async (actor) => {
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
        const offer = await this.extendOffer(e);
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

  async approve(o: SlackOrigin, id: string): Promise<void> {
    await this.as(o, async (actor) => {
      try {
        await this.requests.approve(actor, validId(id));
      } catch (e) {
        if (e instanceof DomainError && e.code === ErrorCode.IllegalTransition)
          return this.people.tell(o, await this.alreadyDecided(actor, id));
        throw e;
      }
    });
  }

  async openDeny(o: SlackOrigin, requestId: string): Promise<void> {
    await this.as(o, async (actor) => {
      validId(requestId);
      const req = await this.requests.getVisible(actor, requestId);
      if (req.status !== 'PENDING')
        return this.people.tell(o, await this.alreadyDecided(actor, requestId, req));
      const v = await this.people.view(req);
      await this.people.client.views.open({
        trigger_id: o.triggerId!,
        view: denyModal(
          req.id,
          `${v.requester}: *${escapeText(v.permission)}* on ${resourceLine(v)}`,
        ),
      });
    });
  }

  async submitDeny(o: SlackOrigin, requestId: string, reason: string): Promise<ViewErrors> {
    let errors: ViewErrors = null;
    await this.as(o, async (actor) => {
      validId(requestId);
      try {
        await this.requests.deny(actor, requestId, reason.trim() || undefined);
      } catch (e) {
        if (e instanceof DomainError && e.code === ErrorCode.IllegalTransition) {
          errors = {
            [SlackIds.blocks.reason]: (await this.alreadyDecided(actor, requestId)).slice(0, 150),
          };
          return;
        }
        if (e instanceof DomainError && e.code === ErrorCode.Forbidden) {
          errors = { [SlackIds.blocks.reason]: e.message.slice(0, 150) };
          return;
        }
        throw e;
      }
    });
    return errors;
  }

  /** Credentials only ever travel in a modal, opened for the requester and audited by the service. */
  async reveal(o: SlackOrigin, requestId: string): Promise<void> {
    await this.as(o, async (actor) => {
      validId(requestId);
      let creds: Credentials;
      try {
        creds = await this.credentials.reveal(actor, requestId);
      } catch (e) {
        // No credentials to show (ended, not ready yet, …): say why in words, not in statuses.
        if (
          !(e instanceof DomainError) ||
          (e.code !== ErrorCode.Conflict && e.code !== ErrorCode.IllegalTransition)
        )
          throw e;
        const v = await this.people.view(await this.requests.getVisible(actor, requestId));
        const now = new Date();
        return this.people.tell(
          o,
          v.status === 'ACTIVE' && !accessOver(v, now) ? e.message : noCredentialsText(v, now),
        );
      }
      await this.people.client.views.open({
        trigger_id: o.triggerId!,
        view: credentialsModal(creds),
      });
    });
  }

  async openExtend(o: SlackOrigin, requestId: string): Promise<void> {
    await this.as(o, async (actor) => {
      validId(requestId);
      const grant = await this.requests.getVisible(actor, requestId);
      const v = await this.people.view(grant);
      await this.people.client.views.open({
        trigger_id: o.triggerId!,
        view: extendModal(grant.id, `*${escapeText(v.permission)}* on ${resourceLine(v)}`),
      });
    });
  }

  /** An extension is a request of its own: the flow's extension rules judge it in the service. */
  async submitExtend(
    o: SlackOrigin,
    requestId: string,
    duration: string,
    justification: string,
  ): Promise<ViewErrors> {
    let errors: ViewErrors = null;
    await this.as(o, async (actor) => {
      validId(requestId);
      try {
        const ext = await this.requests.extend(
          actor,
          requestId,
          duration.trim(),
          justification.trim() || undefined,
        );
        await this.people.tell(
          { slackUserId: o.slackUserId },
          ext.status === 'PENDING'
            ? 'Extension requested; I will tell you when it is decided.'
            : 'Extension granted.',
        );
      } catch (e) {
        if (!(e instanceof DomainError) || e.code === ErrorCode.NotFound) throw e;
        errors = { [SlackIds.blocks.duration]: e.message.slice(0, 150) };
      }
    });
    return errors;
  }

  /** Close review on a break-glass notice: the form, for security and admins only. */
  async openReview(o: SlackOrigin, requestId: string): Promise<void> {
    await this.as(o, async (actor) => {
      validId(requestId);
      const verdict = mayCloseReview(actor);
      if (!verdict.ok) throw DomainError.forbidden(verdict.reason);
      const req = await this.requests.getVisible(actor, requestId);
      if (!req.breakGlass) throw DomainError.validation('only break-glass requests have a review');
      if (req.reviewStatus !== 'open') {
        const by = await this.people.mentionOf(req.reviewClosedBy);
        return this.people.tell(
          o,
          `This review was already closed${by ? ` by ${by}` : ''}; nothing changed.`,
        );
      }
      const v = await this.people.view(req);
      await this.people.client.views.open({
        trigger_id: o.triggerId!,
        view: reviewModal(
          req.id,
          `${v.requester} used break-glass: *${escapeText(v.permission)}* on ${resourceLine(v)}`,
        ),
      });
    });
  }

  /** The review form was submitted: the same service call as REST, refusals on the form. */
  async submitReview(o: SlackOrigin, requestId: string, note: string): Promise<ViewErrors> {
    let errors: ViewErrors = null;
    await this.as(o, async (actor) => {
      validId(requestId);
      try {
        await this.requests.closeReview(actor, requestId, note);
      } catch (e) {
        if (!(e instanceof DomainError) || e.code === ErrorCode.NotFound) throw e;
        errors = { [SlackIds.blocks.note]: e.message.slice(0, 150) };
      }
    });
    return errors;
  }

  /** Cancel on the "submitted" DM, the App Home or `/access list`: the same call as REST. */
  async cancel(o: SlackOrigin, requestId: string): Promise<void> {
    await this.as(o, async (actor) => this.cancelAs(actor, o, validId(requestId)));
    if (!o.channel) await this.publishHome(o.slackUserId);
  }

  private async cancelAs(actor: Actor, o: SlackOrigin, id: string): Promise<void> {
    try {
      const req = await this.requests.cancel(actor, id);
      const v = await this.people.view(req);
      await this.people.tell(
        o,
        `Cancelled your request for *${escapeText(v.permission)}* on ${resourceLine(v)}; its approvers can no longer approve it.`,
      );
    } catch (e) {
      if (e instanceof DomainError && e.code === ErrorCode.IllegalTransition) {
        const req = await this.requests.getVisible(actor, id);
        return this.people.tell(o, movedOnText('cancelled', req.status));
      }
      throw e;
    }
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

  async revoke(o: SlackOrigin, requestId: string): Promise<void> {
    await this.as(o, async (actor) => {
      validId(requestId);
      await this.requests.revoke(actor, requestId, 'revoked from Slack');
      await this.people.tell(o, 'Revoking now; I will tell you when the access has ended.');
    });
    if (!o.channel) await this.publishHome(o.slackUserId);
  }

  async publishHome(slackUserId: string): Promise<void> {
    await this.home.publish(slackUserId);
  }

  private async alreadyDecided(
    actor: Actor,
    id: string,
    known?: AccessRequestEntity,
  ): Promise<string> {
    const req = known ?? (await this.requests.getVisible(actor, id));
    const outcome = DECIDED[req.status] ?? req.status.toLowerCase();
    const by = req.decidedBy ? await this.people.mentionOf(req.decidedBy) : null;
    return `This request was already ${outcome}${by && outcome !== DECIDED.CANCELLED ? ` by ${by}` : ''}; nothing changed.`;
  }

  /** Resolves the Slack user and runs `work` as them; every failure becomes a clear answer. */
  private async as(o: SlackOrigin, work: (actor: Actor) => Promise<void>): Promise<void> {
    try {
      const user = await this.people.resolve(o.slackUserId);
      if (!user) {
        await this.people.tell(o, UNKNOWN_PERSON_TEXT);
        return;
      }
      await work(this.identity.actorOf(user, 'slack'));
    } catch (e) {
      const offer = await this.extendOffer(e);
      if (offer) return this.people.tell(o, offer);
      const { text, correlationId } = slackErrorText(e);
      if (correlationId) this.logger.error({ err: e, correlationId }, 'Slack interaction failed');
      await this.people.tell(o, text);
    }
  }

  /**
   * "You already have it": REST names the extend route; Slack offers the Extend button, with
   * the end shown in the reader's own time zone.
   */
  private async extendOffer(e: unknown): Promise<SlackMessage | null> {
    if (!(e instanceof DomainError) || e.code !== ErrorCode.Conflict) return null;
    const id = e.details?.requestId;
    if (e.details?.offer !== 'extend' || typeof id !== 'string') return null;
    const existing = await this.requests.get(id).catch(() => null);
    if (!existing) return null;
    const flow = await this.flows
      .getVersion(existing.flowId, existing.flowVersion)
      .catch(() => null);
    const canExtend =
      existing.status === 'ACTIVE' &&
      flow !== null &&
      existing.extensionCount < flow.extensions.maxCount;
    return alreadyHaveMessage(await this.people.view(existing), canExtend);
  }
}
