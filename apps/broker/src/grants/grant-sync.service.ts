import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import {
  CONTRACT_VERSION,
  CleanupUserJobSchema,
  SyncUserJobSchema,
  jobIds,
} from '@doorman/contracts';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { currentCorrelationId } from '../common/correlation';
import { IdentityService } from '../identity/identity.service';
import type { UserEntity } from '../identity/user.entity';
import type { IntegrationEntity } from '../integrations/integration.entity';
import { IntegrationsService } from '../integrations/integrations.service';
import { OutboxService, type OutboxJob } from '../outbox/outbox.service';
import type { DatabaseUserEntity } from './database-user.entity';
import { DatabaseUserRepository, type GenerationPlan } from './database-user.repository';
import { desiredState, type DesiredState, type HeldGrant } from './desired-state';
import { baseUsername, chooseUsername, hashedUsername } from './username';

type Person = Pick<UserEntity, 'id' | 'email'>;

export interface SyncOptions {
  /** A new password now, even in the middle of access (reset, or a lost password). */
  forcePassword?: boolean;
  /** The id that follows the change end to end when no HTTP request carries one. */
  correlationId?: string;
  /** The integration, when the caller has just read it. */
  integration?: IntegrationEntity;
}

/** How many people one revoke-all statement takes (their ids are bound parameters). */
const PEOPLE_CHUNK = 5000;

/**
 * Desired-state sync: turns the grants a person holds on an integration into the one state
 * their database user should have, as a new generation and one `sync-user` job for the
 * connector, written to the outbox in the ambient transaction that changed the grants.
 */
@Injectable()
export class GrantSyncService {
  constructor(
    private readonly users: DatabaseUserRepository,
    private readonly requests: AccessRequestRepository,
    private readonly outbox: OutboxService,
    private readonly integrations: IntegrationsService,
    private readonly identity: IdentityService,
  ) {}

  /** Re-computes and sends the person's desired state; returns the new generation. */
  @Transactional()
  async schedule(integrationId: string, personId: string, opts: SyncOptions = {}): Promise<number> {
    const integration =
      opts.integration?.id === integrationId
        ? opts.integration
        : await this.integrations.get(integrationId);
    const person = await this.identity.getUser(personId);
    return this.scheduleUser(integration, person, opts);
  }

  /**
   * Bumps the person's generation from every grant they hold, stamps the requests whose
   * transition this sync realises, and writes one `sync-user` job.
   */
  @Transactional()
  async scheduleUser(
    integration: IntegrationEntity,
    person: Person,
    opts: SyncOptions = {},
  ): Promise<number> {
    const du = await this.lockOrCreateUser(integration.id, person);
    const desired = await this.desiredFor(integration, du, opts.forcePassword === true);
    const generation = du.generation + 1;
    await this.users.advanceGeneration(
      { id: du.id, generation, login: desired.login, rotate: desired.rotatePassword },
      { integrationId: integration.id, personId: person.id },
    );
    await this.outbox.add(
      this.syncJob(integration, person, du.username, generation, desired, opts.correlationId),
    );
    return generation;
  }

  /**
   * `schedule` for many people on one integration at once (revoke-all, expiries together): the
   * same desired states, generations, stamps and jobs in a handful of statements instead of
   * ~8 a person. Their database user rows are locked in id order.
   */
  @Transactional()
  async scheduleMany(integrationId: string, personIds: readonly string[]): Promise<void> {
    for (let i = 0; i < personIds.length; i += PEOPLE_CHUNK)
      await this.scheduleChunk(integrationId, personIds.slice(i, i + PEOPLE_CHUNK));
  }

  private async scheduleChunk(integrationId: string, personIds: readonly string[]): Promise<void> {
    if (personIds.length === 0) return;
    const integration = await this.integrations.get(integrationId);
    const people = await this.identity.findByIds([...personIds]);
    const locked = await this.users.lockManyOf(integrationId, personIds);
    const byPerson = new Map(locked.map((du) => [du.userId, du]));
    // A person without a database user row yet (never synced) goes the one-by-one way.
    for (const person of people)
      if (!byPerson.has(person.id)) await this.scheduleUser(integration, person);
    const held = await this.requests.heldBy(integrationId, [...byPerson.keys()]);
    const heldBy = new Map<string, AccessRequestEntity[]>();
    for (const r of held) heldBy.set(r.requesterId, [...(heldBy.get(r.requesterId) ?? []), r]);
    const now = new Date();
    const plans = people
      .filter((p) => byPerson.has(p.id))
      .map((person) => {
        const du = byPerson.get(person.id)!;
        const desired = desiredState((heldBy.get(person.id) ?? []).map(heldGrant), {
          now,
          rotationDays: integration.rotationDays,
          hasSealedPassword: du.sealedPassword !== null,
          passwordIssuedAt: du.passwordIssuedAt,
          accessEndedAt: du.accessEndedAt,
        });
        const plan: GenerationPlan = {
          id: du.id,
          generation: du.generation + 1,
          login: desired.login,
          rotate: desired.rotatePassword,
        };
        return { person, du, desired, plan };
      });
    if (plans.length === 0) return;
    await this.users.advanceGenerations(plans.map((x) => x.plan));
    await this.requests.stampSyncGenerations(
      integrationId,
      plans.map((x) => x.person.id),
      plans.map((x) => x.plan.generation),
    );
    await this.outbox.addMany(
      plans.map((x) =>
        this.syncJob(integration, x.person, x.du.username, x.plan.generation, x.desired),
      ),
    );
  }

  /**
   * Sends the current generation again under its own job id: a no-op while the job is still
   * in Redis, a recovery when it was lost (a flushed Redis). Never bumps the generation.
   */
  async resend(integration: IntegrationEntity, du: DatabaseUserEntity): Promise<void> {
    if (du.generation === 0) return;
    const person = await this.identity.getUser(du.userId);
    if (du.state === 'deleting') {
      await this.sendCleanup(du, du.generation, { integration, person });
      return;
    }
    const desired = await this.desiredFor(integration, du, false);
    await this.outbox.add(
      this.syncJob(integration, person, du.username, du.generation, {
        ...desired,
        rotatePassword: desired.rotatePassword || du.passwordPendingGeneration === du.generation,
      }),
    );
  }

  /** The person's desired state on the integration from every grant they hold. */
  async desiredFor(
    integration: IntegrationEntity,
    du: DatabaseUserEntity,
    forceNewPassword: boolean,
  ): Promise<DesiredState & { held: HeldGrant[] }> {
    const held = (await this.requests.heldBy(integration.id, [du.userId])).map(heldGrant);
    const desired = desiredState(held, {
      now: new Date(),
      rotationDays: integration.rotationDays,
      hasSealedPassword: du.sealedPassword !== null,
      passwordIssuedAt: du.passwordIssuedAt,
      accessEndedAt: du.accessEndedAt,
      forceNewPassword,
    });
    return { ...desired, held };
  }

  /** The `cleanup-user` job of a generation: the connector drops the role and its objects. */
  async sendCleanup(
    du: DatabaseUserEntity,
    generation: number,
    known?: { integration: IntegrationEntity; person: Person },
  ): Promise<void> {
    const integration = known?.integration ?? (await this.integrations.get(du.integrationId));
    const person = known?.person ?? (await this.identity.getUser(du.userId));
    const job = CleanupUserJobSchema.parse({
      v: CONTRACT_VERSION,
      kind: 'cleanup-user',
      integrationId: du.integrationId,
      personId: du.userId,
      personEmail: person.email,
      username: du.username,
      generation,
      databases: integration.databases,
    });
    await this.outbox.add({
      job: { kind: 'connector', connectorId: integration.connectorId, job },
      jobId: jobIds.cleanup(du.integrationId, du.userId, generation),
    });
  }

  /** The `sync-user` job of a desired state, as an outbox row (no secret in it). */
  private syncJob(
    integration: IntegrationEntity,
    person: Person,
    username: string,
    generation: number,
    desired: DesiredState,
    correlationId?: string,
  ): OutboxJob {
    const job = SyncUserJobSchema.parse({
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      integrationId: integration.id,
      personId: person.id,
      personEmail: person.email,
      username,
      generation,
      login: desired.login,
      groups: desired.groups,
      validUntil: desired.validUntil?.toISOString() ?? null,
      startingDurationSeconds: desired.startingDurationSeconds,
      connectionLimit: integration.connectionLimit,
      rotatePassword: desired.rotatePassword,
      groupTimes: desired.groupTimes?.map((t) => ({
        ...t,
        validUntil: t.validUntil?.toISOString() ?? null,
      })),
      // The HTTP request's id when there is one (REST, Slack), so one id follows it end to end.
      correlationId: currentCorrelationId() ?? correlationId,
    });
    return {
      job: { kind: 'connector', connectorId: integration.connectorId, job },
      jobId: jobIds.sync(integration.id, person.id, generation),
    };
  }

  /** Locks (creating if needed) the person's database user row on the integration. */
  private async lockOrCreateUser(
    integrationId: string,
    person: Person,
  ): Promise<DatabaseUserEntity> {
    const existing = await this.users.lockOf(integrationId, person.id);
    if (existing) return existing;
    // The plain name first: usually free, and then the only statement needed.
    const plain = await this.users.insertIfAbsent(
      integrationId,
      person.id,
      baseUsername(person.email),
    );
    if (plain) return plain;
    // Only the two names this person could get are looked up (unique index), not every user.
    const taken = await this.users.holdersOf(integrationId, [
      baseUsername(person.email),
      hashedUsername(person.email),
    ]);
    const username = chooseUsername(person.email, (n) =>
      taken.some((t) => t.username === n && t.userId !== person.id),
    );
    const created = await this.users.insertIfAbsent(integrationId, person.id, username);
    if (created) return created;
    const row = await this.users.lockOf(integrationId, person.id);
    if (!row)
      throw new Error(`database user name ${username} is taken on integration ${integrationId}`);
    return row;
  }
}

export function heldGrant(r: AccessRequestEntity): HeldGrant {
  return {
    database: r.database,
    schema: r.schema,
    permission: r.permission,
    status: r.status as HeldGrant['status'],
    expiresAt: r.expiresAt,
    // VALID UNTIL of a first-login grant starts at its hard bound: wait + duration.
    durationSeconds: r.durationSeconds + (r.firstLoginWaitSeconds ?? 0),
  };
}
