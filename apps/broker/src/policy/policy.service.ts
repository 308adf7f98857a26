import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { readFile } from 'node:fs/promises';
import { Repository } from 'typeorm';
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
import { ConnectorEntity } from '../connectors/connector.entity';
import type { Actor } from '../identity/actor';
import { GroupEntity } from '../identity/group.entity';
import { IdentityService } from '../identity/identity.service';
import { UserEntity } from '../identity/user.entity';
import { IntegrationEntity } from '../integrations/integration.entity';
import { roleChangeRefusal } from '../identity/role-assignment.policy';
import {
  parsePolicy,
  PolicyFileError,
  type Policy,
  type PolicyError,
  type PolicySource,
} from './policy-file';

export interface ApplyResult {
  dryRun: boolean;
  changes: string[];
}

type Approvers = Policy['flows'][number]['steps'][number]['approvers'];

/**
 * Applies a policy file idempotently: creates what is missing, updates what differs, leaves
 * the rest alone (a second apply changes nothing). A dry run reports the same changes and
 * writes nothing. Things not named in the file are never deleted.
 */
@Injectable()
export class PolicyService implements OnApplicationBootstrap {
  private readonly logger = new Logger(PolicyService.name);

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(GroupEntity) private readonly groups: Repository<GroupEntity>,
    @InjectRepository(ConnectorEntity) private readonly connectors: Repository<ConnectorEntity>,
    @InjectRepository(IntegrationEntity)
    private readonly integrations: Repository<IntegrationEntity>,
    private readonly flows: AccessFlowsService,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** POLICY_FILE, when set, is applied at every start; an invalid file stops the start. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.POLICY_FILE) return;
    await this.identity.onApplicationBootstrap();
    const admin = await this.users.findOneByOrFail({
      email: this.config.BOOTSTRAP_ADMIN_EMAIL.toLowerCase(),
    });
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

  /** Every user entry of the file against the role rule; a refusal is audited with its lines. */
  private async assertRoleChangesAllowed(
    actor: Actor,
    policy: Policy,
    source: PolicySource,
    known: ReadonlyMap<string, UserEntity>,
  ): Promise<void> {
    const refused = policy.users.flatMap((u, i) => {
      const before = known.get(u.email)?.roles ?? null;
      const reason = roleChangeRefusal(actor.roles, { before, after: u.roles });
      return reason ? [{ u, i, before, reason }] : [];
    });
    if (!refused.length) return this.assertAnAdminRemains(policy, source, known);
    const errors = refused.map(({ u, i, reason }) =>
      source.error(['users', i, 'roles'], `${u.email}: ${reason}`),
    );
    await this.identity.auditRoleRefusal(
      actor,
      refused.map(({ u, before, reason }, n) => ({
        email: u.email,
        rolesBefore: before,
        roles: u.roles,
        reason,
        line: errors[n].line,
      })),
      'policy',
    );
    throw new PolicyRefusedError(errors);
  }

  /** A file may not demote every active admin (checked whole, like the role rule). */
  private assertAnAdminRemains(
    policy: Policy,
    source: PolicySource,
    known: ReadonlyMap<string, UserEntity>,
  ): void {
    const entry = new Map(policy.users.map((u, i) => [u.email, { roles: u.roles, i }]));
    const admins = [...known.values()].filter((u) => u.roles.includes('admin') && !u.deactivatedAt);
    const kept = admins.filter((u) => entry.get(u.email)?.roles.includes('admin') ?? true);
    const added = policy.users.filter((u) => !known.has(u.email) && u.roles.includes('admin'));
    if (!admins.length || kept.length || added.length) return;
    throw new PolicyFileError(
      admins.map((u) =>
        source.error(
          ['users', entry.get(u.email)!.i, 'roles'],
          `${u.email} is the last admin: keep admin on someone`,
        ),
      ),
    );
  }

  async apply(actor: Actor, text: string, dryRun: boolean): Promise<ApplyResult> {
    // A dry run first: a file with unknown references or a refused role change is refused
    // before anything of it is written (the writes below are not one transaction).
    if (!dryRun) await this.run(actor, text, true);
    return this.run(actor, text, dryRun);
  }

  private async run(actor: Actor, text: string, dryRun: boolean): Promise<ApplyResult> {
    const { policy, source } = parsePolicy(text);
    const changes: string[] = [];
    const errors: PolicyError[] = [];
    const placeholder = (kind: string, name: string) =>
      `00000000-0000-4000-8000-${Buffer.from(`${kind}:${name}`).toString('hex').padEnd(12, '0').slice(0, 12)}`;

    // People: the role rule is checked for the whole file before anything is written, so a
    // file that grants what its author could not grant directly changes nothing at all.
    const userIds = new Map<string, string>();
    const known = new Map<string, UserEntity>();
    for (const u of await this.users.find()) {
      userIds.set(u.email, u.id);
      known.set(u.email, u);
    }
    await this.assertRoleChangesAllowed(actor, policy, source, known);
    for (const u of policy.users) {
      const existing = known.get(u.email) ?? null;
      const roles = [...new Set(u.roles)].sort();
      if (!existing) {
        changes.push(`create user ${u.email} (${roles.join(', ')})`);
        if (!dryRun) {
          const row = await this.identity.savePerson(actor, null, { ...u, roles });
          userIds.set(u.email, row.id);
        } else userIds.set(u.email, placeholder('user', u.email));
      } else if (
        existing.name !== u.name ||
        canonicalJson([...existing.roles].sort()) !== canonicalJson(roles)
      ) {
        changes.push(`update user ${u.email}`);
        if (!dryRun) await this.identity.savePerson(actor, existing, { ...u, roles });
      }
    }
    const resolveUsers = (emails: string[], path: Array<string | number>): string[] =>
      emails.flatMap((e, i) => {
        const id = userIds.get(e);
        if (!id)
          errors.push(
            source.error([...path, i], `unknown user ${e}: add it under users or create it first`),
          );
        return id ? [id] : [];
      });

    // Groups
    const groupIds = new Map<string, string>();
    for (const g of await this.groups.find()) groupIds.set(g.name, g.id);
    for (const [i, g] of policy.groups.entries()) {
      const members = resolveUsers(g.members, ['groups', i, 'members']);
      const slackUsergroupId = g.slackUsergroup ?? null;
      const existing = await this.groups.findOneBy({ name: g.name });
      if (!existing) {
        changes.push(`create group ${g.name}`);
        if (!dryRun)
          groupIds.set(
            g.name,
            (
              await this.groups.save(
                this.groups.create({ name: g.name, memberIds: members, slackUsergroupId }),
              )
            ).id,
          );
        else groupIds.set(g.name, placeholder('group', g.name));
      } else if (existing.slackUsergroupId !== slackUsergroupId) {
        changes.push(
          slackUsergroupId
            ? `link group ${g.name} to Slack user group ${slackUsergroupId}`
            : `unlink group ${g.name} from Slack user group ${existing.slackUsergroupId}`,
        );
        if (!dryRun)
          await this.groups.update(existing.id, {
            slackUsergroupId,
            ...(slackUsergroupId ? {} : { memberIds: members }),
          });
      } else if (
        // A linked group's members come from Slack: the file does not fight the sync.
        !slackUsergroupId &&
        canonicalJson([...existing.memberIds].sort()) !== canonicalJson([...members].sort())
      ) {
        changes.push(`update group ${g.name} members`);
        if (!dryRun) await this.groups.update(existing.id, { memberIds: members });
      }
    }
    const resolveGroups = (names: string[], path: Array<string | number>): string[] =>
      names.flatMap((n, i) => {
        const id = groupIds.get(n);
        if (!id) errors.push(source.error([...path, i], `unknown group ${n}`));
        return id ? [id] : [];
      });

    // Connectors
    const connectorIds = new Map<string, string>();
    for (const c of await this.connectors.find()) connectorIds.set(c.name, c.id);
    for (const c of policy.connectors) {
      if (connectorIds.has(c.name)) continue;
      changes.push(`create connector ${c.name}`);
      connectorIds.set(
        c.name,
        dryRun
          ? placeholder('connector', c.name)
          : (await this.connectors.save(this.connectors.create({ name: c.name }))).id,
      );
    }

    // Integrations
    const integrationIds = new Map<string, string>();
    for (const i of await this.integrations.find()) integrationIds.set(i.name, i.id);
    for (const [n, i] of policy.integrations.entries()) {
      const connectorId = connectorIds.get(i.connector);
      if (!connectorId) {
        errors.push(
          source.error(['integrations', n, 'connector'], `unknown connector ${i.connector}`),
        );
        continue;
      }
      const fields = {
        name: i.name,
        connectorId,
        host: i.host,
        port: i.port,
        databases: i.databases,
        sslMode: i.sslMode,
        rotationDays: i.rotationDays,
        cleanupDays: i.cleanupDays,
        adminRotationDays: i.adminRotationDays,
        customAccessDetails: i.customAccessDetails,
        ownerIds: resolveUsers(i.owners, ['integrations', n, 'owners']),
        connectionLimit: i.connectionLimit,
        revealToMintedTokens: i.revealToMintedTokens,
      };
      const existing = await this.integrations.findOneBy({ name: i.name });
      if (!existing) {
        changes.push(`create integration ${i.name}`);
        integrationIds.set(
          i.name,
          dryRun
            ? placeholder('integration', i.name)
            : (await this.integrations.save(this.integrations.create(fields))).id,
        );
      } else {
        const current = Object.fromEntries(
          Object.keys(fields).map((k) => [k, existing[k as keyof IntegrationEntity]]),
        );
        if (canonicalJson(current) !== canonicalJson(fields)) {
          changes.push(`update integration ${i.name}`);
          if (!dryRun) await this.integrations.update(existing.id, fields);
        }
      }
    }
    if (errors.length) throw new PolicyFileError(errors);

    // Flows: through the flows service, so their rules are checked and edits make versions.
    for (const [n, f] of policy.flows.entries()) {
      const path = ['flows', n];
      const integrationId = integrationIds.get(f.integration);
      if (!integrationId) {
        errors.push(source.error([...path, 'integration'], `unknown integration ${f.integration}`));
        continue;
      }
      const spec = (a: Approvers | undefined, p: Array<string | number>) =>
        a && {
          userIds: resolveUsers(a.users, [...p, 'users']),
          groupIds: resolveGroups(a.groups, [...p, 'groups']),
          integrationOwners: a.integrationOwners,
          resourceOwners: a.resourceOwners,
        };
      const input: FlowInput = {
        name: f.name,
        integrationId,
        requestors: {
          userIds: resolveUsers(f.requestors.users, [...path, 'requestors', 'users']),
          groupIds: resolveGroups(f.requestors.groups, [...path, 'requestors', 'groups']),
        },
        resources: f.resources.map((r, i) => ({
          ...('role' in r ? { role: r.role } : { database: r.database, schema: r.schema }),
          ownerIds: resolveUsers(r.owners, [...path, 'resources', i, 'owners']),
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
          ? { userIds: resolveUsers(f.breakGlass.users, [...path, 'breakGlass', 'users']) }
          : undefined,
        slackChannel: f.slackChannel,
        priority: f.priority,
      };
      if (errors.length) continue;
      const existing = await this.flows.findByName(f.name);
      if (
        existing &&
        canonicalJson({ ...normaliseFlow(input) }) === canonicalJson(stripIdentity(existing))
      )
        continue;
      changes.push(
        existing
          ? `update flow ${f.name} (version ${existing.version + 1})`
          : `create flow ${f.name}`,
      );
      const parsed = FlowInputSchema.safeParse(input);
      if (!parsed.success) {
        errors.push(
          ...parsed.error.issues.map((i) =>
            source.error([...path, ...i.path.map(String)], i.message),
          ),
        );
        continue;
      }
      if (dryRun) continue;
      try {
        if (existing) await this.flows.update(actor, existing.id, parsed.data);
        else await this.flows.create(actor, parsed.data);
      } catch (e) {
        if (e instanceof DomainError) errors.push(source.error(path, e.message));
        else throw e;
      }
    }
    if (errors.length) throw new PolicyFileError(errors);
    if (!dryRun && changes.length) {
      await this.audit.record({ action: 'policy.applied', actor, details: { changes } });
    }
    return { dryRun, changes };
  }
}

/** A file refused by the role rule: nothing of it was applied (mapped to 403 with its lines). */
export class PolicyRefusedError extends PolicyFileError {}

function stripIdentity(f: FlowRules): FlowDefinition {
  const { id: _id, version: _version, ...rest } = f;
  return rest;
}
