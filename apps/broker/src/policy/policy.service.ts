import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import type { FlowRules } from '../access-flows/access-flow.policy';
import { flowExposure, requestorPeople, type Exposure } from '../access-flows/exposure.policy';
import {
  FlowInputSchema,
  normaliseFlow,
  type FlowDefinition,
  type FlowInput,
} from '../access-flows/flow-definition';
import { AuditService } from '../audit/audit.service';
import { canonicalJson } from '../common/canonical-json';
import { DomainError } from '../common/errors';
import type { Actor } from '../identity/actor';
import { parsePolicy, type Policy } from './policy-file';
import { PolicyPeopleApplier } from './policy-people.applier';
import { PolicyRepository } from './policy.repository';
import { PolicyRun } from './policy-run';
import { PolicyServersApplier } from './policy-servers.applier';

export interface ApplyResult {
  dryRun: boolean;
  changes: string[];
  /** What each created or changed flow opens up or closes: who may reach what, how easily. */
  exposure: Exposure[];
}

type Approvers = Policy['flows'][number]['steps'][number]['approvers'];

/**
 * Applies a policy file idempotently: creates what is missing, updates what differs, leaves
 * the rest alone (a second apply changes nothing). All or nothing: the file is applied in one
 * transaction, so an error anywhere in it leaves everything as it was. A dry run reports the
 * same changes and writes nothing. Things not named in the file are never deleted. One apply
 * at a time, across replicas.
 */
@Injectable()
export class PolicyService {
  constructor(
    private readonly policies: PolicyRepository,
    private readonly people: PolicyPeopleApplier,
    private readonly servers: PolicyServersApplier,
    private readonly flows: AccessFlowsService,
    private readonly audit: AuditService,
  ) {}

  @Transactional()
  async apply(actor: Actor, text: string, dryRun: boolean): Promise<ApplyResult> {
    const { policy, source } = parsePolicy(text);
    await this.policies.lockApplies();
    const run = new PolicyRun(actor, policy, source, dryRun);
    await this.people.apply(run);
    await this.servers.apply(run);
    run.throwIfErrors();
    await this.applyFlows(run);
    run.throwIfErrors();
    if (!dryRun && run.changes.length) {
      await this.audit.record({
        action: 'policy.applied',
        actor,
        details: { changes: run.changes },
      });
    }
    return { dryRun, changes: run.changes, exposure: run.exposure };
  }

  /** Through the flows service, so their rules are checked and edits make versions. */
  private async applyFlows(run: PolicyRun): Promise<void> {
    for (const [n, f] of run.policy.flows.entries()) {
      const path = ['flows', n];
      const integrationId = run.integrationIds.get(f.integration);
      if (!integrationId) {
        run.errors.push(
          run.source.error([...path, 'integration'], `unknown integration ${f.integration}`),
        );
        continue;
      }
      const spec = (a: Approvers | undefined, p: Array<string | number>) =>
        a && {
          userIds: run.resolveUsers(a.users, [...p, 'users']),
          groupIds: run.resolveGroups(a.groups, [...p, 'groups']),
          integrationOwners: a.integrationOwners,
          resourceOwners: a.resourceOwners,
        };
      const input: FlowInput = {
        name: f.name,
        integrationId,
        requestors: {
          userIds: run.resolveUsers(f.requestors.users, [...path, 'requestors', 'users']),
          groupIds: run.resolveGroups(f.requestors.groups, [...path, 'requestors', 'groups']),
        },
        resources: f.resources.map((r, i) => ({
          ...('role' in r ? { role: r.role } : { database: r.database, schema: r.schema }),
          ownerIds: run.resolveUsers(r.owners, [...path, 'resources', i, 'owners']),
        })),
        permissions: f.permissions,
        steps: f.steps.map((s, i) => ({
          approvers: spec(s.approvers, [...path, 'steps', i, 'approvers'])!,
          quorum: s.quorum,
          timeout: s.timeout,
          onTimeout: s.onTimeout,
          fallback: spec(s.fallback, [...path, 'steps', i, 'fallback']),
        })),
        autoApprove: f.autoApprove ?? null,
        allowSelfApproval: f.allowSelfApproval,
        defaultDuration: f.defaultDuration,
        maxDuration: f.maxDuration,
        justificationRequired: f.justificationRequired,
        pendingTtl: f.pendingTtl,
        durationStartsAt: f.durationStartsAt,
        maxWaitForFirstLogin: f.maxWaitForFirstLogin,
        extensions: f.extensions
          ? {
              maxCount: f.extensions.maxCount,
              maxDuration: f.extensions.maxDuration,
              auto: f.extensions.auto,
            }
          : undefined,
        breakGlass: f.breakGlass
          ? { userIds: run.resolveUsers(f.breakGlass.users, [...path, 'breakGlass', 'users']) }
          : undefined,
        slackChannel: f.slackChannel,
        priority: f.priority,
        approverAuthentication: f.approverAuthentication,
        requesterAuthentication: f.requesterAuthentication,
        onRuleChange: f.onRuleChange,
      };
      if (run.errors.length) continue;
      const existing = await this.flows.findByName(f.name);
      if (
        existing &&
        canonicalJson({ ...normaliseFlow(input) }) === canonicalJson(stripIdentity(existing))
      )
        continue;
      run.changes.push(
        existing
          ? `update flow ${f.name} (version ${existing.version + 1})`
          : `create flow ${f.name}`,
      );
      const parsed = FlowInputSchema.safeParse(input);
      if (!parsed.success) {
        run.errors.push(
          ...parsed.error.issues.map((i) =>
            run.source.error([...path, ...i.path.map(String)], i.message),
          ),
        );
        continue;
      }
      const before = existing ? stripIdentity(existing) : null;
      const after = normaliseFlow(parsed.data);
      run.exposure.push(
        ...flowExposure({
          before,
          after,
          peopleBefore: before
            ? requestorPeople(before, (g) => run.membersBefore.get(g) ?? [])
            : new Set(),
          peopleAfter: requestorPeople(after, (g) => run.membersAfter.get(g) ?? []),
          inactive: run.inactiveUserIds,
        }),
      );
      if (run.dryRun) continue;
      try {
        if (existing) await this.flows.update(run.actor, existing.id, parsed.data);
        else await this.flows.create(run.actor, parsed.data);
      } catch (e) {
        if (e instanceof DomainError) run.errors.push(run.source.error(path, e.message));
        else throw e;
      }
    }
  }
}

function stripIdentity(f: FlowRules): FlowDefinition {
  const { id: _id, version: _version, ...rest } = f;
  return rest;
}
