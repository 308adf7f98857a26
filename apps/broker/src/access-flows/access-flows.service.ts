import { isEverything, isRoleResource } from '@doorman/contracts';
import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AuditService } from '../audit/audit.service';
import { canonicalJson } from '../common/canonical-json';
import { DomainError } from '../common/errors';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import type { IntegrationEntity } from '../integrations/integration.entity';
import { IntegrationsService } from '../integrations/integrations.service';
import { ruleChangeJob } from '../outbox/broker-jobs';
import { OutboxService } from '../outbox/outbox.service';
import type { AccessFlowEntity } from './access-flow.entity';
import { AccessFlowRepository } from './access-flow.repository';
import type { FlowRules } from './access-flow.policy';
import { validateSteps, type ApproverContext } from './approval.policy';
import { normaliseFlow, type FlowDefinition, type FlowInput } from './flow-definition';

export function toFlowRules(f: Pick<AccessFlowEntity, 'id' | 'version' | 'definition'>): FlowRules {
  return { ...f.definition, id: f.id, version: f.version };
}

/** Flow versions kept in memory (a few hundred flows at most in practice). */
const VERSION_CACHE_SIZE = 1000;

@Injectable()
export class AccessFlowsService {
  private readonly versionCache = new Map<string, FlowRules>();

  constructor(
    private readonly flows: AccessFlowRepository,
    private readonly integrations: IntegrationsService,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  @Transactional()
  async create(actor: Actor, input: FlowInput): Promise<FlowRules> {
    const definition = await this.validate(input);
    if (await this.flows.existsNamed(definition.name))
      throw DomainError.conflict(`an access flow named ${definition.name} exists`);
    const row = await this.flows.insert(definition, actor.id);
    await this.audit.record({
      action: 'access_flow.created',
      actor,
      integrationId: row.integrationId,
      details: { flowId: row.id, name: row.name, version: 1 },
    });
    return toFlowRules(row);
  }

  /** Editing a flow creates a new version; requests keep the version they were judged under. */
  @Transactional()
  async update(
    actor: Actor,
    id: string,
    input: FlowInput,
  ): Promise<{ flow: FlowRules; changed: boolean }> {
    const definition = await this.validate(input);
    const current = await this.flows.lockForUpdate(id);
    if (!current) throw DomainError.notFound('access flow', id);
    if (canonicalJson(current.definition) === canonicalJson(definition))
      return { flow: toFlowRules(current), changed: false };
    if (definition.name !== current.name && (await this.flows.existsNamed(definition.name)))
      throw DomainError.conflict(`an access flow named ${definition.name} exists`);
    const version = current.version + 1;
    await this.flows.writeVersion(id, version, definition, actor.id);
    await this.audit.record({
      action: 'access_flow.updated',
      actor,
      integrationId: definition.integrationId,
      details: { flowId: id, name: definition.name, version },
    });
    // What the new version no longer allows is found right after this commits (rule-changes/).
    await this.outbox.add(
      ruleChangeJob(
        { type: 'flow', flowId: id, version },
        { id: actor.id, channel: actor.channel },
      ),
    );
    return { flow: toFlowRules({ id, version, definition }), changed: true };
  }

  async validate(input: FlowInput): Promise<FlowDefinition> {
    const definition = normaliseFlow(input);
    const integration = await this.integrations.get(definition.integrationId).catch(() => {
      throw DomainError.validation(
        `integrationId: unknown integration ${definition.integrationId}`,
      );
    });
    const problems: string[] = [];
    // "*"."*" is everything on the server (pg_read_all_data / pg_write_all_data), "*".<role> an
    // existing role: neither names one of the integration's databases.
    const unknownDbs = definition.resources.filter(
      (r) => !isEverything(r) && !isRoleResource(r) && !integration.databases.includes(r.database),
    );
    if (unknownDbs.length) {
      problems.push(
        `resources: database(s) ${unknownDbs.map((r) => r.database).join(', ')} are not part of integration ${integration.name}`,
      );
    }
    const userIds = [
      ...definition.requestorUserIds,
      ...definition.breakGlassUserIds,
      ...definition.resources.flatMap((r) => r.ownerIds),
      ...definition.steps.flatMap((s) => [...s.approvers.userIds, ...(s.fallback?.userIds ?? [])]),
    ];
    const groupIds = [
      ...definition.requestorGroupIds,
      ...definition.steps.flatMap((s) => [
        ...s.approvers.groupIds,
        ...(s.fallback?.groupIds ?? []),
      ]),
    ];
    await this.identity.assertUsersExist(userIds, 'flow users');
    await this.identity.assertGroupsExist(groupIds);
    const ctx = await this.approverContext(
      definition,
      integration,
      definition.resources.flatMap((r) => r.ownerIds),
    );
    problems.push(
      ...validateSteps(
        definition.steps,
        definition.requestorUserIds,
        definition.allowSelfApproval,
        ctx,
      ),
    );
    if (problems.length) throw DomainError.validation(problems.join('; '));
    return definition;
  }

  /** Group members, integration and resource owners: what approver specs resolve against. */
  async approverContext(
    flow: Pick<FlowDefinition, 'steps' | 'requestorGroupIds'>,
    integration: Pick<IntegrationEntity, 'ownerIds'>,
    resourceOwnerIds: string[],
  ): Promise<ApproverContext> {
    const groupIds = [
      ...new Set([
        ...flow.requestorGroupIds,
        ...flow.steps.flatMap((s) => [...s.approvers.groupIds, ...(s.fallback?.groupIds ?? [])]),
      ]),
    ];
    const groups = await this.identity.groupsById(groupIds);
    const people = [
      ...flow.steps.flatMap((s) => [...s.approvers.userIds, ...(s.fallback?.userIds ?? [])]),
      ...groups.flatMap((g) => g.memberIds),
      ...integration.ownerIds,
      ...resourceOwnerIds,
    ];
    return {
      groupMembers: new Map(groups.map((g) => [g.id, g.memberIds])),
      integrationOwnerIds: integration.ownerIds,
      resourceOwnerIds,
      deactivatedIds: new Set(await this.identity.deactivatedAmong(people)),
    };
  }

  async get(id: string): Promise<FlowRules> {
    const flow = await this.flows.byId(id);
    if (!flow) throw DomainError.notFound('access flow', id);
    return toFlowRules(flow);
  }

  /**
   * The flow as it was at `version` (what a request recorded). Versions are written once and
   * never changed, so they are kept in memory: every decision reads one.
   */
  async getVersion(id: string, version: number): Promise<FlowRules> {
    const key = `${id}@${version}`;
    const cached = this.versionCache.get(key);
    if (cached) return structuredClone(cached);
    const row = await this.flows.version(id, version);
    if (!row) throw DomainError.notFound('access flow version', key);
    const rules: FlowRules = { ...row.definition, id, version };
    if (this.versionCache.size >= VERSION_CACHE_SIZE) this.versionCache.clear();
    this.versionCache.set(key, structuredClone(rules));
    return rules;
  }

  async forIntegration(integrationId: string): Promise<FlowRules[]> {
    return (await this.flows.ofIntegration(integrationId)).map(toFlowRules);
  }

  async list(): Promise<Array<FlowRules & { createdAt: Date; updatedAt: Date }>> {
    return (await this.flows.list()).map((f) => ({
      ...toFlowRules(f),
      createdAt: f.createdAt,
      updatedAt: f.updatedAt,
    }));
  }

  async findByName(name: string): Promise<FlowRules | null> {
    const f = await this.flows.byName(name);
    return f ? toFlowRules(f) : null;
  }
}
