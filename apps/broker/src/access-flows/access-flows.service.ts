import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { PermissionLevel } from '@doorman/contracts';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { DURATION_HINT, parseDuration } from '../common/durations';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { AccessFlowEntity } from './access-flow.entity';
import type { FlowRules } from './access-flow.policy';

export interface CreateFlowInput {
  name: string;
  integrationId: string;
  requestors: { userIds: string[]; groupIds: string[] };
  resources: Array<{ database: string; schema: string }>;
  permissions: PermissionLevel[];
  approvers: { userIds: string[] };
  defaultDuration: string;
  maxDuration: string;
  justificationRequired: boolean;
}

export function toFlowRules(f: AccessFlowEntity): FlowRules {
  return {
    id: f.id,
    name: f.name,
    integrationId: f.integrationId,
    requestorUserIds: f.requestorUserIds,
    requestorGroupIds: f.requestorGroupIds,
    resources: f.resources,
    permissions: f.permissions,
    approverUserIds: f.approverUserIds,
    defaultDurationSeconds: f.defaultDurationSeconds,
    maxDurationSeconds: f.maxDurationSeconds,
    justificationRequired: f.justificationRequired,
  };
}

@Injectable()
export class AccessFlowsService {
  constructor(
    @InjectRepository(AccessFlowEntity) private readonly flows: Repository<AccessFlowEntity>,
    private readonly integrations: IntegrationsService,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, input: CreateFlowInput): Promise<AccessFlowEntity> {
    const integration = await this.integrations.get(input.integrationId).catch(() => {
      throw DomainError.validation(`integrationId: unknown integration ${input.integrationId}`);
    });
    const defaultSeconds = parseDuration(input.defaultDuration);
    const maxSeconds = parseDuration(input.maxDuration);
    const problems: string[] = [];
    if (defaultSeconds === null) problems.push(`defaultDuration: must be ${DURATION_HINT}`);
    if (maxSeconds === null) problems.push(`maxDuration: must be ${DURATION_HINT}`);
    if (defaultSeconds !== null && maxSeconds !== null && defaultSeconds > maxSeconds) {
      problems.push('defaultDuration: must not exceed maxDuration');
    }
    const unknownDbs = input.resources.filter((r) => !integration.databases.includes(r.database));
    if (unknownDbs.length) {
      problems.push(
        `resources: database(s) ${unknownDbs.map((r) => r.database).join(', ')} are not part of integration ${integration.name}`,
      );
    }
    if (problems.length) throw DomainError.validation(problems.join('; '));
    await this.identity.assertUsersExist(input.requestors.userIds, 'requestors.userIds');
    await this.identity.assertGroupsExist(input.requestors.groupIds);
    await this.identity.assertUsersExist(input.approvers.userIds, 'approvers.userIds');
    if (await this.flows.existsBy({ name: input.name }))
      throw DomainError.conflict(`an access flow named ${input.name} exists`);
    const flow = await this.flows.save(
      this.flows.create({
        name: input.name,
        integrationId: input.integrationId,
        requestorUserIds: [...new Set(input.requestors.userIds)],
        requestorGroupIds: [...new Set(input.requestors.groupIds)],
        resources: input.resources,
        permissions: [...new Set(input.permissions)],
        approverUserIds: [...new Set(input.approvers.userIds)],
        defaultDurationSeconds: defaultSeconds!,
        maxDurationSeconds: maxSeconds!,
        justificationRequired: input.justificationRequired,
        version: 1,
      }),
    );
    await this.audit.record({
      action: 'access_flow.created',
      actor,
      integrationId: flow.integrationId,
      details: { flowId: flow.id, name: flow.name, version: flow.version },
    });
    return flow;
  }

  async get(id: string): Promise<AccessFlowEntity> {
    const flow = await this.flows.findOneBy({ id });
    if (!flow) throw DomainError.notFound('access flow', id);
    return flow;
  }

  async forIntegration(integrationId: string): Promise<AccessFlowEntity[]> {
    return this.flows.find({ where: { integrationId }, order: { createdAt: 'ASC' } });
  }

  async list(): Promise<AccessFlowEntity[]> {
    return this.flows.find({ order: { createdAt: 'ASC' } });
  }
}
