import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { PermissionLevel } from '@doorman/contracts';
import { loadSealPrivateKey, open } from '@doorman/crypto';
import type { KeyObject } from 'node:crypto';
import { Brackets, type EntityManager, Repository } from 'typeorm';
import {
  judgeRequest,
  mayCancel,
  mayDecide,
  mayRevoke,
  type Verdict,
} from '../access-flows/access-flow.policy';
import { AccessFlowsService, toFlowRules } from '../access-flows/access-flows.service';
import { AuditService } from '../audit/audit.service';
import { DURATION_HINT, parseDuration } from '../common/durations';
import { DomainError, ErrorCode } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { DatabaseUserEntity } from '../grants/database-user.entity';
import { GrantsService } from '../grants/grants.service';
import { hasAnyRole, type Actor } from '../identity/actor';
import { AUDIT_READERS } from '../identity/doorman-roles';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { AccessRequestEntity } from './access-request.entity';
import { IllegalTransitionError, transition, type RequestEvent } from './request-state';

export interface CreateRequestInput {
  integrationId: string;
  database: string;
  schema: string;
  permission: PermissionLevel;
  duration?: string;
  justification?: string | null;
}

export interface Credentials {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  sslMode: string;
  connectionString: string;
  customAccessDetails: string | null;
  expiresAt: Date | null;
}

function assertVerdict(v: Verdict): void {
  if (!v.ok) throw DomainError.forbidden(v.reason);
}

/** The request lifecycle, shared by every channel (REST now, Slack next) — one code path. */
@Injectable()
export class RequestsService {
  private readonly privateKey: KeyObject;

  constructor(
    @InjectRepository(AccessRequestEntity)
    private readonly requests: Repository<AccessRequestEntity>,
    @InjectRepository(DatabaseUserEntity)
    private readonly databaseUsers: Repository<DatabaseUserEntity>,
    private readonly flows: AccessFlowsService,
    private readonly integrations: IntegrationsService,
    private readonly identity: IdentityService,
    private readonly grants: GrantsService,
    private readonly audit: AuditService,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
  ) {
    this.privateKey = loadSealPrivateKey(config.BROKER_SEAL_PRIVATE_KEY);
  }

  async create(actor: Actor, input: CreateRequestInput): Promise<AccessRequestEntity> {
    const integration = await this.integrations.get(input.integrationId).catch(() => {
      throw DomainError.validation(`integrationId: unknown integration ${input.integrationId}`);
    });
    let durationSeconds: number | null = null;
    if (input.duration !== undefined) {
      durationSeconds = parseDuration(input.duration);
      if (durationSeconds === null)
        throw DomainError.validation(`duration: must be ${DURATION_HINT}`);
    }
    const flows = (await this.flows.forIntegration(integration.id)).map(toFlowRules);
    const decision = judgeRequest(flows, {
      requesterId: actor.id,
      requesterGroupIds: await this.identity.groupIdsOf(actor.id),
      integrationId: integration.id,
      database: input.database,
      schema: input.schema,
      permission: input.permission,
      durationSeconds,
      justification: input.justification ?? null,
    });
    if (!decision.ok) {
      throw decision.kind === 'forbidden'
        ? DomainError.forbidden(decision.reason)
        : DomainError.validation(decision.reason);
    }
    const flow = await this.flows.get(decision.flow.id);
    const saved = await this.grants.inTransaction(async (em) => {
      const row = await em.getRepository(AccessRequestEntity).save(
        em.getRepository(AccessRequestEntity).create({
          requesterId: actor.id,
          integrationId: integration.id,
          flowId: flow.id,
          flowVersion: flow.version,
          database: input.database,
          schema: input.schema,
          permission: input.permission,
          durationSeconds: decision.durationSeconds,
          justification: input.justification?.trim() || null,
          status: 'PENDING',
        }),
      );
      await this.audit.record(
        {
          action: 'request.created',
          actor,
          requestId: row.id,
          integrationId: row.integrationId,
          details: {
            flowId: flow.id,
            flowVersion: flow.version,
            database: row.database,
            schema: row.schema,
            permission: row.permission,
            durationSeconds: row.durationSeconds,
            justification: row.justification,
            approvers: flow.approverUserIds,
          },
        },
        em,
      );
      return row;
    });
    return saved;
  }

  async get(id: string): Promise<AccessRequestEntity> {
    const row = await this.requests.findOneBy({ id });
    if (!row) throw DomainError.notFound('access request', id);
    return row;
  }

  /** The requester, the flow's approvers and audit readers may see a request. */
  async getVisible(actor: Actor, id: string): Promise<AccessRequestEntity> {
    const row = await this.get(id);
    if (row.requesterId === actor.id || hasAnyRole(actor, AUDIT_READERS)) return row;
    const flow = await this.flows.get(row.flowId);
    if (flow.approverUserIds.includes(actor.id)) return row;
    throw DomainError.forbidden('you may not see this request');
  }

  async list(
    actor: Actor,
    filter: { mine: boolean; status?: string; limit: number },
  ): Promise<AccessRequestEntity[]> {
    const qb = this.requests
      .createQueryBuilder('r')
      .orderBy('r.created_at', 'DESC')
      .take(filter.limit);
    if (filter.status) qb.andWhere('r.status = :status', { status: filter.status });
    if (filter.mine) {
      qb.andWhere('r.requester_id = :me', { me: actor.id });
    } else if (!hasAnyRole(actor, AUDIT_READERS)) {
      // Everyone else sees their own requests and those they may decide.
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('r.requester_id = :me', { me: actor.id })
            .orWhere(
              'r.flow_id IN (SELECT f.id FROM access_flows f WHERE :me = ANY(f.approver_user_ids))',
              { me: actor.id },
            ),
        ),
      );
    }
    return qb.getMany();
  }

  async approve(actor: Actor, id: string): Promise<AccessRequestEntity> {
    return this.decide(actor, id, 'approve');
  }

  async deny(actor: Actor, id: string, reason?: string): Promise<AccessRequestEntity> {
    return this.decide(actor, id, 'deny', reason);
  }

  private async decide(
    actor: Actor,
    id: string,
    event: 'approve' | 'deny',
    reason?: string,
  ): Promise<AccessRequestEntity> {
    await this.grants.inTransaction(async (em) => {
      const req = await this.lockRequest(em, id);
      const flow = await this.flows.get(req.flowId);
      assertVerdict(mayDecide(flow, req.requesterId, actor.id));
      const now = new Date();
      const decided = this.next(req, event);
      await em.getRepository(AccessRequestEntity).update(req.id, {
        status: decided,
        decidedBy: actor.id,
        decidedAt: now,
        statusReason: reason ?? null,
        ...(event === 'deny' ? { endedAt: now } : {}),
      });
      await this.audit.record(
        {
          action: event === 'approve' ? 'request.approved' : 'request.denied',
          actor,
          requestId: req.id,
          integrationId: req.integrationId,
          details: reason ? { reason } : {},
        },
        em,
      );
      if (event === 'approve') {
        await em.getRepository(AccessRequestEntity).update(req.id, {
          status: transition(decided, 'startGranting'),
          syncGeneration: null,
        });
        const generation = await this.grants.syncPerson(
          em,
          req.integrationId,
          req.requesterId,
          req.id,
        );
        await this.audit.record(
          {
            action: 'grant.requested',
            actor,
            requestId: req.id,
            integrationId: req.integrationId,
            details: { generation },
          },
          em,
        );
      }
    });
    return this.get(id);
  }

  async cancel(actor: Actor, id: string): Promise<AccessRequestEntity> {
    await this.grants.inTransaction(async (em) => {
      const req = await this.lockRequest(em, id);
      assertVerdict(mayCancel(req.requesterId, actor.id));
      await em.getRepository(AccessRequestEntity).update(req.id, {
        status: this.next(req, 'cancel'),
        endedAt: new Date(),
        endedBy: actor.id,
      });
      await this.audit.record(
        { action: 'request.cancelled', actor, requestId: req.id, integrationId: req.integrationId },
        em,
      );
    });
    return this.get(id);
  }

  /** Revoke now: the access ends at once, sessions included (DESIGN §3.4). */
  async revoke(actor: Actor, id: string, reason?: string): Promise<AccessRequestEntity> {
    await this.grants.inTransaction(async (em) => {
      const req = await this.lockRequest(em, id);
      const flow = await this.flows.get(req.flowId);
      assertVerdict(mayRevoke(flow, req.requesterId, actor));
      const to = this.next(req, 'revoke');
      const now = new Date();
      await em.getRepository(AccessRequestEntity).update(req.id, {
        status: to,
        statusReason: reason ?? 'revoked',
        endedAt: now,
        endedBy: actor.id,
        syncGeneration: null,
      });
      await this.audit.record(
        {
          action: 'grant.revoke_requested',
          actor,
          requestId: req.id,
          integrationId: req.integrationId,
          details: reason ? { reason } : {},
        },
        em,
      );
      if (to === 'REVOKING')
        await this.grants.syncPerson(em, req.integrationId, req.requesterId, req.id);
    });
    return this.get(id);
  }

  /** The requester alone sees their password, opened from its sealed box; every reveal is audited. */
  async revealCredentials(actor: Actor, id: string): Promise<Credentials> {
    const req = await this.get(id);
    if (req.requesterId !== actor.id)
      throw DomainError.forbidden('only the requester may reveal credentials');
    if (req.status !== 'ACTIVE') {
      throw DomainError.conflict(
        `credentials are available while access is ACTIVE; this request is ${req.status}`,
      );
    }
    const [integration, du] = await Promise.all([
      this.integrations.get(req.integrationId),
      this.databaseUsers.findOneBy({ integrationId: req.integrationId, userId: req.requesterId }),
    ]);
    if (!du?.sealedPassword) throw DomainError.conflict('no credentials have been issued yet');
    const password = open(du.sealedPassword, this.privateKey);
    await this.audit.record({
      action: 'credentials.revealed',
      actor,
      requestId: req.id,
      integrationId: req.integrationId,
      details: {
        username: du.username,
        passwordIssuedAt: du.passwordIssuedAt?.toISOString() ?? null,
      },
    });
    const connectionString =
      `postgresql://${encodeURIComponent(du.username)}:${encodeURIComponent(password)}` +
      `@${integration.host}:${integration.port}/${encodeURIComponent(req.database)}?sslmode=${integration.sslMode}`;
    return {
      host: integration.host,
      port: integration.port,
      database: req.database,
      username: du.username,
      password,
      sslMode: integration.sslMode,
      connectionString,
      customAccessDetails: integration.customAccessDetails,
      expiresAt: req.expiresAt,
    };
  }

  private async lockRequest(em: EntityManager, id: string): Promise<AccessRequestEntity> {
    const req = await em
      .getRepository(AccessRequestEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!req) throw DomainError.notFound('access request', id);
    return req;
  }

  private next(req: AccessRequestEntity, event: RequestEvent) {
    try {
      return transition(req.status, event);
    } catch (e) {
      if (e instanceof IllegalTransitionError)
        throw new DomainError(ErrorCode.IllegalTransition, e.message, { status: req.status });
      throw e;
    }
  }
}
