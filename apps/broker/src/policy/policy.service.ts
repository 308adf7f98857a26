import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { readFile } from 'node:fs/promises';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import type { FlowRules } from '../access-flows/access-flow.policy';
import {
  FlowInputSchema,
  normaliseFlow,
  type FlowDefinition,
  type FlowInput,
} from '../access-flows/flow-definition';
import { AuditService } from '../audit/audit.service';
import { canonicalJson } from '../common/canonical-json';
import { DomainError } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../identity/actor';
import { ApiTokensService } from '../identity/api-tokens.service';
import { parsePolicy, type Policy } from './policy-file';
import { PolicyPeopleApplier } from './policy-people.applier';
import { PolicyRun } from './policy-run';
import { PolicyServersApplier } from './policy-servers.applier';

export interface ApplyResult {
  dryRun: boolean;
  changes: string[];
}

type Approvers = Policy['flows'][number]['steps'][number]['approvers'];

/**
 * Applies a policy file idempotently: creates what is missing, updates what differs, leaves
 * the rest alone (a second apply changes nothing). All or nothing: the file is applied in one
 * transaction, so an error anywhere in it leaves everything as it was. A dry run reports the
 * same changes and writes nothing. Things not named in the file are never deleted.
 */
@Injectable()
export class PolicyService implements OnApplicationBootstrap {
  private readonly logger = new Logger(PolicyService.name);

  constructor(
    private readonly people: PolicyPeopleApplier,
    private readonly servers: PolicyServersApplier,
    private readonly flows: AccessFlowsService,
    private readonly tokens: ApiTokensService,
    private readonly audit: AuditService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** POLICY_FILE, when set, is applied at every start; an invalid file stops the start. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.POLICY_FILE) return;
    // The file is applied as the bootstrap admin, who may not exist yet on a first start.
    const admin = await this.tokens.ensureBootstrapAdmin();
    const text = await readFile(this.config.POLICY_FILE, 'utf8');
    const result = await this.apply(
      { id: admin.id, email: admin.email, roles: admin.roles, channel: 'system' },
      text,
      false,
    );
    this.logger.log(
      { file: this.config.POLICY_FILE, changes: result.changes },
      `policy applied: ${result.changes.length} change(s)`,
    );
  }

  @Transactional()
  async apply(actor: Actor, text: string, dryRun: boolean): Promise<ApplyResult> {
    const { policy, source } = parsePolicy(text);
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
    return { dryRun, changes: run.changes };
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
