import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  describeResource,
  isRoleResource,
  resourceProblem,
  type PermissionLevel,
} from '@doorman/contracts';
import { Brackets, type EntityManager, In, LessThanOrEqual, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import {
  judgeRequest,
  matchedResource,
  mayCancel,
  mayCloseReview,
  mayExtend,
  mayRevoke,
  type FlowRules,
  type Verdict,
} from '../access-flows/access-flow.policy';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import {
  anyApprover,
  eligibleApprovers,
  evaluateApprovals,
  deadlineBeforeDecision,
  dueStepTimeout,
  mayDecideStep,
  type ApproverContext,
} from '../access-flows/approval.policy';
import { autoApproves } from '../access-flows/time-window';
import type { AuditAction } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { CatalogService } from '../catalog/catalog.service';
import { DURATION_HINT, formatDuration, parseDuration } from '../common/durations';
import { DomainError, ErrorCode } from '../common/errors';
import { expiryTimer, GrantsService, IN_LIST_CHUNK } from '../grants/grants.service';
import { hasAnyRole, type Actor } from '../identity/actor';
import { AUDIT_READERS } from '../identity/doorman-roles';
import { IdentityService } from '../identity/identity.service';
import type { IntegrationEntity } from '../integrations/integration.entity';
import { IntegrationsService } from '../integrations/integrations.service';
import { REQUEST_TIMERS_QUEUE, type RequestTimerJob } from '../outbox/broker-jobs';
import { OutboxService } from '../outbox/outbox.service';
import { AccessRequestEntity } from '../access-requests/access-request.entity';
import { ApprovalEntity } from '../approvals/approval.entity';
import {
  IllegalTransitionError,
  lapsedEvent,
  transition,
  type RequestEvent,
  type RequestStatus,
} from '../access-requests/request-state';

/** The broker's own timers for pending requests: step timeouts and pending expiry. */
export { REQUEST_TIMERS_QUEUE };
export interface CreateRequestInput {
  integrationId: string;
  database: string;
  schema: string;
  permission: PermissionLevel;
  duration?: string;
  justification?: string | null;
  /** Grant myself access at once under a flow that names me for break-glass. */
  breakGlass?: boolean;
  /** The flow to judge the request when the rules leave several tied (`chooseFlow`). */
  flowId?: string | null;
}

function assertVerdict(v: Verdict): void {
  if (!v.ok) throw DomainError.forbidden(v.reason);
}

type Opening = 'pending' | 'auto' | 'break-glass';

/** A person's decision on a step, about to be written. */
type NewApproval = Pick<
  ApprovalEntity,
  'requestId' | 'step' | 'approverId' | 'decision' | 'reason' | 'channel'
>;

/**
 * The request lifecycle, shared by every channel (REST, Slack) — one code path, one set of
 * rules: approval steps and quorum, escalation, auto-approval, break-glass, extensions.
 */
@Injectable()
export class RequestsService {
  constructor(
    @InjectRepository(AccessRequestEntity)
    private readonly requests: Repository<AccessRequestEntity>,
    private readonly flows: AccessFlowsService,
    private readonly integrations: IntegrationsService,
    private readonly identity: IdentityService,
    private readonly grants: GrantsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly catalog: CatalogService,
  ) {}

  async create(
    actor: Actor,
    input: CreateRequestInput,
    now = new Date(),
  ): Promise<AccessRequestEntity> {
    const integration = await this.integrations.get(input.integrationId).catch(() => {
      throw DomainError.validation(`integrationId: unknown integration ${input.integrationId}`);
    });
    // "*"."*" is everything on the server, "*".<role> an existing role (issue 7).
    const problem = resourceProblem(input);
    if (problem) throw DomainError.validation(problem);
    const durationSeconds = this.parseDuration(input.duration);
    const flows = await this.flows.forIntegration(integration.id);
    const ask = {
      requesterId: actor.id,
      requesterGroupIds: await this.identity.groupIdsOf(actor.id),
      integrationId: integration.id,
      database: input.database,
      schema: input.schema,
      permission: input.permission,
      durationSeconds,
      justification: input.justification ?? null,
    };
    const decision = judgeRequest(
      input.breakGlass ? flows.filter((f) => f.breakGlassUserIds.includes(actor.id)) : flows,
      ask,
      input.flowId,
    );
    if (!decision.ok) {
      const reason = input.breakGlass ? `break-glass refused: ${decision.reason}` : decision.reason;
      if (decision.kind === 'ambiguous')
        throw new DomainError(ErrorCode.Conflict, reason, { candidates: decision.candidates });
      throw decision.kind === 'forbidden'
        ? DomainError.forbidden(reason)
        : DomainError.validation(reason);
    }
    const flow = decision.flow;
    // Before anyone is asked to approve: what the admin cannot grant is refused now, with why.
    await this.catalog.assertGrantable(integration.id, ask, now);
    await this.refuseDuplicate(actor.id, input);
    let opening: Opening = 'pending';
    if (input.breakGlass) {
      opening = 'break-glass';
    } else if (flow.autoApprove) {
      const auto = autoApproves(
        flow.autoApprove,
        { permission: input.permission, durationSeconds: decision.durationSeconds },
        now,
      );
      if (auto.ok) opening = 'auto';
      else if (flow.steps.length === 0)
        throw DomainError.forbidden(`flow "${flow.name}" only auto-approves, and ${auto.reason}`);
    }
    return this.open(
      actor,
      integration,
      flow,
      { ...ask, durationSeconds: decision.durationSeconds },
      opening,
      null,
      now,
    );
  }

  /** An extension is a request of its own that follows the flow's rules (or is automatic). */
  async extend(
    actor: Actor,
    id: string,
    duration: string,
    justification?: string,
    now = new Date(),
  ): Promise<AccessRequestEntity> {
    const grant = await this.get(id);
    if (grant.requesterId !== actor.id)
      throw DomainError.forbidden('only the requester may extend their access');
    if (grant.kind !== 'access')
      throw DomainError.validation('an extension cannot itself be extended');
    const ended = await this.endIfLapsed(grant, now);
    if (ended)
      throw new DomainError(ErrorCode.Conflict, `${ended}; request access anew instead`, {
        status: transition('ACTIVE', 'expire'),
      });
    const durationSeconds = this.parseDuration(duration)!;
    const flow = await this.flows.getVersion(grant.flowId, grant.flowVersion);
    const verdict = mayExtend(flow, {
      status: grant.status,
      extensionCount: grant.extensionCount,
      durationSeconds,
    });
    if (!verdict.ok)
      throw grant.status === 'ACTIVE'
        ? DomainError.forbidden(verdict.reason)
        : DomainError.conflict(verdict.reason);
    if (await this.requests.existsBy({ extendsRequestId: grant.id, status: 'PENDING' })) {
      throw DomainError.conflict('an extension of this access is already waiting for approval');
    }
    const integration = await this.integrations.get(grant.integrationId);
    let opening: Opening = 'pending';
    if (flow.extensions.auto) opening = 'auto';
    else if (
      flow.autoApprove &&
      autoApproves(flow.autoApprove, { permission: grant.permission, durationSeconds }, now).ok
    )
      opening = 'auto';
    else if (flow.steps.length === 0)
      throw DomainError.forbidden(
        `flow "${flow.name}" cannot approve this extension automatically`,
      );
    const ask = {
      requesterId: actor.id,
      integrationId: grant.integrationId,
      database: grant.database,
      schema: grant.schema,
      permission: grant.permission,
      durationSeconds,
      justification: justification ?? null,
    };
    return this.open(actor, integration, flow, ask, opening, grant.id, now);
  }

  private async open(
    actor: Actor,
    integration: IntegrationEntity,
    flow: FlowRules,
    ask: Pick<
      AccessRequestEntity,
      | 'requesterId'
      | 'integrationId'
      | 'database'
      | 'schema'
      | 'permission'
      | 'durationSeconds'
      | 'justification'
    >,
    opening: Opening,
    extendsRequestId: string | null,
    now: Date,
  ): Promise<AccessRequestEntity> {
    const ctx = await this.contextFor(flow, integration, ask);
    const id = await this.grants.inTransaction(async (em) => {
      // Held until commit: a deactivation either comes first (refused here) or sees this row.
      await this.identity.assertActive(ask.requesterId, em);
      const repo = em.getRepository(AccessRequestEntity);
      const row = await repo.save(
        repo.create({
          ...ask,
          justification: ask.justification?.trim() || null,
          flowId: flow.id,
          flowVersion: flow.version,
          flowName: flow.name,
          status: 'PENDING',
          kind: extendsRequestId ? 'extension' : 'access',
          extendsRequestId,
          approverIds: anyApprover(flow.steps, ctx),
          currentStep: 0,
          stepStartedAt: now,
          pendingExpiresAt: new Date(now.getTime() + flow.pendingTtlSeconds * 1000),
          breakGlass: opening === 'break-glass',
          reviewStatus: opening === 'break-glass' ? 'open' : null,
        }),
      );
      await this.audit.record(
        {
          action: extendsRequestId ? 'extension.requested' : 'request.created',
          actor,
          requestId: row.id,
          integrationId: row.integrationId,
          details: {
            flowId: flow.id,
            flowVersion: flow.version,
            database: row.database,
            schema: row.schema,
            permission: row.permission,
            // An existing role (issue 7) is named as such in the audit trail.
            ...(isRoleResource(row) ? { role: row.schema } : {}),
            durationSeconds: row.durationSeconds,
            justification: row.justification,
            approvers: row.approverIds,
            extends: extendsRequestId,
            breakGlass: row.breakGlass,
          },
        },
        em,
      );
      if (opening === 'pending') {
        await this.scheduleTimer(em, 'pending-expire', row.id, row.pendingExpiresAt!);
        await this.scheduleStepTimeout(em, row, flow, now);
        return row.id;
      }
      if (opening === 'break-glass') {
        await this.audit.record(
          {
            action: 'request.break_glass',
            actor,
            requestId: row.id,
            integrationId: row.integrationId,
            // Owners and security are told (Slack listens to this event); security must close the review.
            details: {
              notify: { integrationOwners: integration.ownerIds, roles: ['security'] },
              review: 'open',
            },
          },
          em,
        );
      }
      await this.finishApproval(
        em,
        row,
        actor,
        opening === 'auto' ? 'request.auto_approved' : 'request.approved',
        now,
        undefined,
        integration,
      );
      return row.id;
    });
    return this.get(id);
  }

  private async refuseDuplicate(requesterId: string, input: CreateRequestInput): Promise<void> {
    const same = await this.requests.findOne({
      where: {
        requesterId,
        integrationId: input.integrationId,
        database: input.database,
        schema: input.schema,
        permission: input.permission,
        kind: 'access',
        status: In(['APPROVED', 'GRANTING', 'ACTIVE']),
      },
    });
    if (!same) return;
    throw new DomainError(
      ErrorCode.Conflict,
      `you already have ${same.permission} on ${describeResource(same)}` +
        (same.expiresAt ? ` until ${same.expiresAt.toISOString()}` : '') +
        `; extend it instead: POST /api/v1/access-requests/${same.id}/extend`,
      { requestId: same.id, offer: 'extend' },
    );
  }

  private parseDuration(text: string | undefined): number | null {
    if (text === undefined) return null;
    const seconds = parseDuration(text);
    if (seconds === null) throw DomainError.validation(`duration: must be ${DURATION_HINT}`);
    return seconds;
  }

  private async contextFor(
    flow: FlowRules,
    integration: Pick<IntegrationEntity, 'ownerIds'>,
    req: Pick<AccessRequestEntity, 'database' | 'schema'>,
  ): Promise<ApproverContext> {
    const match = matchedResource(flow, req);
    return this.flows.approverContext(flow, integration, match?.resource.ownerIds ?? []);
  }

  async get(id: string): Promise<AccessRequestEntity> {
    const row = await this.requests.findOneBy({ id });
    if (!row) throw DomainError.notFound('access request', id);
    return row;
  }

  /** The requester, the flow's approvers and audit readers may see a request. */
  async getVisible(actor: Actor, id: string): Promise<AccessRequestEntity> {
    const row = await this.get(id);
    if (
      row.requesterId === actor.id ||
      row.approverIds.includes(actor.id) ||
      hasAnyRole(actor, AUDIT_READERS)
    )
      return row;
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
            .orWhere(':me = ANY(r.approver_ids)', { me: actor.id }),
        ),
      );
    }
    return qb.getMany();
  }

  /** Who may decide the pending request's current step now (its fallback once escalated): whom to ask. */
  async currentApproverIds(req: AccessRequestEntity): Promise<string[]> {
    if (req.status !== 'PENDING') return [];
    const flow = await this.flows.getVersion(req.flowId, req.flowVersion);
    const step = flow.steps[req.currentStep];
    if (!step) return [];
    const ctx = await this.contextFor(flow, await this.integrations.get(req.integrationId), req);
    return eligibleApprovers(step, req.escalated, ctx);
  }

  async approvalsOf(requestId: string): Promise<ApprovalEntity[]> {
    return this.requests.manager
      .getRepository(ApprovalEntity)
      .find({ where: { requestId }, order: { at: 'ASC' } });
  }

  async approve(actor: Actor, id: string): Promise<AccessRequestEntity> {
    return this.auditRefusal(actor, id, 'approve', () => this.decide(actor, id, 'approve'));
  }

  async deny(actor: Actor, id: string, reason?: string): Promise<AccessRequestEntity> {
    return this.auditRefusal(actor, id, 'deny', () => this.decide(actor, id, 'deny', reason));
  }

  /**
   * A refused decision (self-approval, not an approver, not this step's) is an attempt worth
   * keeping, whichever channel it came through (issue 19). Recorded after the refused
   * transaction rolled back, so the refusal itself stays exactly what it was.
   */
  private async auditRefusal<T>(
    actor: Actor,
    id: string,
    decision: 'approve' | 'deny',
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof DomainError && e.code === ErrorCode.Forbidden) {
        const req = await this.requests.findOneBy({ id });
        if (req)
          await this.audit.record({
            action: 'decision.refused',
            actor,
            requestId: req.id,
            integrationId: req.integrationId,
            details: { decision, reason: e.message },
          });
      }
      throw e;
    }
  }

  private async decide(
    actor: Actor,
    id: string,
    decision: 'approve' | 'deny',
    reason?: string,
  ): Promise<AccessRequestEntity> {
    const now = new Date();
    // A deadline that passed is applied first and committed; the decision is then refused.
    const lapsed = await this.grants.inTransaction(async (em) => {
      const req = await this.lockRequest(em, id);
      // Who may decide at all comes before the request's state: others learn nothing from it.
      if (!req.approverIds.includes(actor.id)) {
        throw DomainError.forbidden(
          actor.id === req.requesterId
            ? 'you cannot approve or deny your own request'
            : 'you are not an approver of this access flow',
        );
      }
      if (req.status !== 'PENDING') await this.refuseDecided(req, decision);
      const flow = await this.flows.getVersion(req.flowId, req.flowVersion);
      const lapse = await this.applyLapsedDeadlines(em, req, flow, now);
      if (lapse) return lapse;
      const integration = await this.integrations.get(req.integrationId);
      const ctx = await this.contextFor(flow, integration, req);
      const approvals = await em
        .getRepository(ApprovalEntity)
        .find({ where: { requestId: req.id } });
      assertVerdict(
        mayDecideStep(
          flow.steps,
          req,
          approvals.map((x) => ({ step: x.step, approverId: x.approverId, decision: x.decision })),
          actor.id,
          flow.allowSelfApproval,
          ctx,
        ),
      );
      const step = req.currentStep;
      const approval: NewApproval = {
        requestId: req.id,
        step,
        approverId: actor.id,
        decision,
        reason: reason ?? null,
        channel: actor.channel,
      };
      const all = [
        ...approvals.map((x) => ({ step: x.step, approverId: x.approverId, decision: x.decision })),
        { step, approverId: actor.id, decision },
      ];
      // The outcome depends only on the approvals read under the request's lock and this one:
      // a decided request takes the approval's INSERT and its own UPDATE in one statement.
      const outcome = evaluateApprovals(flow.steps, req, all);
      const requests = em.getRepository(AccessRequestEntity);
      switch (outcome.outcome) {
        case 'denied':
          await this.recordDecision(em, req.id, approval, {
            status: this.next(req, 'deny'),
            decidedBy: actor.id,
            decidedAt: now,
            statusReason: reason ?? null,
            endedAt: now,
          });
          await this.audit.record(
            {
              action: 'request.denied',
              actor,
              requestId: req.id,
              integrationId: req.integrationId,
              details: { step: step + 1, ...(reason ? { reason } : {}) },
            },
            em,
          );
          return;
        case 'approved':
          await this.finishApproval(
            em,
            req,
            actor,
            'request.approved',
            now,
            step,
            integration,
            approval,
          );
          return;
        case 'pending':
          await em.getRepository(ApprovalEntity).insert(approval);
          await this.audit.record(
            {
              action: 'request.step_approved',
              actor,
              requestId: req.id,
              integrationId: req.integrationId,
              details: {
                step: step + 1,
                nextStep: outcome.currentStep + 1,
                advanced: outcome.advanced,
              },
            },
            em,
          );
          if (outcome.advanced) {
            await requests.update(req.id, {
              currentStep: outcome.currentStep,
              stepStartedAt: now,
              escalated: false,
            });
            await this.scheduleStepTimeout(
              em,
              { ...req, currentStep: outcome.currentStep },
              flow,
              now,
            );
          }
          return;
      }
    });
    if (lapsed)
      throw new DomainError(ErrorCode.Conflict, `cannot ${decision}: ${lapsed.reason}`, {
        status: lapsed.status,
      });
    return this.get(id);
  }

  /**
   * The timers' work, done now if they have not run: a step timeout that denies, the pending
   * TTL, whichever passed first; a step timeout that escalates widens who may decide (on `req`
   * too) and the decision is judged after it. Returns why a decision can no longer be taken.
   */
  private async applyLapsedDeadlines(
    em: EntityManager,
    req: AccessRequestEntity,
    flow: FlowRules,
    now: Date,
  ): Promise<{ status: RequestStatus; reason: string } | undefined> {
    const due = deadlineBeforeDecision(flow.steps[req.currentStep], req, now);
    switch (due?.what) {
      case undefined:
        return undefined;
      case 'escalate':
        await this.escalate(em, req, flow);
        req.escalated = true;
        return undefined;
      case 'deny':
        return {
          status: await this.denyTimedOutStep(em, req, now),
          reason: `approval step ${req.currentStep + 1} timed out at ${due.at.toISOString()} and the flow denies it then`,
        };
      case 'expire':
        return {
          status: await this.expirePending(em, req, now),
          reason: `the request expired undecided at ${due.at.toISOString()} (the flow's pending time limit)`,
        };
    }
  }

  /** A clear answer to a decision on a request that is no longer pending ("already approved by X"). */
  private async refuseDecided(
    req: AccessRequestEntity,
    decision: 'approve' | 'deny',
  ): Promise<never> {
    const by = req.decidedBy ? await this.identity.getUser(req.decidedBy).catch(() => null) : null;
    const verb = {
      APPROVED: 'approved',
      GRANTING: 'approved',
      ACTIVE: 'approved',
      DENIED: 'denied',
    } as Record<string, string>;
    const what = verb[req.status]
      ? `already ${verb[req.status]}${by ? ` by ${by.email}` : ''}`
      : req.status;
    throw new DomainError(
      ErrorCode.IllegalTransition,
      `cannot ${decision} a request that is ${req.status} (${what})`,
      {
        status: req.status,
        decidedBy: req.decidedBy,
      },
    );
  }

  /** Every step's quorum met (or auto/break-glass): grant it, or apply the extension. */
  private async finishApproval(
    em: EntityManager,
    req: AccessRequestEntity,
    actor: Actor | null,
    action: AuditAction,
    now: Date,
    step?: number,
    integration?: IntegrationEntity,
    approval?: NewApproval,
  ): Promise<void> {
    const approved = this.next(req, 'approve');
    // APPROVED → GRANTING at once for a grant: one UPDATE for both transitions.
    await this.recordDecision(em, req.id, approval, {
      status: req.kind === 'extension' ? approved : transition(approved, 'startGranting'),
      decidedBy: actor?.id ?? null,
      decidedAt: now,
      ...(req.kind === 'extension' ? {} : { syncGeneration: null }),
    });
    const decided = {
      action,
      actor,
      requestId: req.id,
      integrationId: req.integrationId,
      details: step === undefined ? {} : { step: step + 1 },
    };
    if (req.kind === 'extension') {
      await this.audit.record(decided, em);
      await this.applyExtension(em, { ...req, status: approved }, actor, now);
      return;
    }
    const generation = await this.grants.syncPerson(
      em,
      req.integrationId,
      req.requesterId,
      req.id,
      {},
      integration,
    );
    // Both events in one INSERT, in this order.
    await this.audit.recordMany(
      [
        decided,
        {
          action: 'grant.requested',
          actor,
          requestId: req.id,
          integrationId: req.integrationId,
          details: { generation },
        },
      ],
      em,
    );
  }

  /**
   * A request's decision (status, decider, …) and, when a person decided it, their approval:
   * one round trip — the approval's INSERT rides in a CTE of the request's UPDATE.
   */
  private async recordDecision(
    em: EntityManager,
    requestId: string,
    approval: NewApproval | undefined,
    set: {
      status: RequestStatus;
      decidedBy: string | null;
      decidedAt: Date;
      statusReason?: string | null;
      endedAt?: Date;
      syncGeneration?: null;
    },
  ): Promise<void> {
    if (!approval) {
      await em.getRepository(AccessRequestEntity).update(requestId, set);
      return;
    }
    await em.query(
      `WITH a AS (
         INSERT INTO approvals (request_id, step, approver_id, decision, reason, channel)
         VALUES ($1, $2, $3, $4, $5, $6))
       UPDATE access_requests
          SET status = $7, decided_by = $8, decided_at = $9,
              status_reason = CASE WHEN $10::bool THEN $11 ELSE status_reason END,
              ended_at = CASE WHEN $12::bool THEN $13::timestamptz ELSE ended_at END,
              sync_generation = CASE WHEN $14::bool THEN NULL ELSE sync_generation END,
              updated_at = CURRENT_TIMESTAMP
        WHERE id = $1`,
      [
        requestId,
        approval.step,
        approval.approverId,
        approval.decision,
        approval.reason,
        approval.channel,
        set.status,
        set.decidedBy,
        set.decidedAt,
        'statusReason' in set,
        set.statusReason ?? null,
        'endedAt' in set,
        set.endedAt ?? null,
        'syncGeneration' in set,
      ],
    );
  }

  /** Moves the grant's expiry, its revoke timer and the role's VALID UNTIL (a new generation). */
  private async applyExtension(
    em: EntityManager,
    ext: AccessRequestEntity,
    actor: Actor | null,
    now: Date,
  ): Promise<void> {
    const requests = em.getRepository(AccessRequestEntity);
    const grant = await requests.findOne({
      where: { id: ext.extendsRequestId! },
      lock: { mode: 'pessimistic_write' },
    });
    // A grant past its expiry has ended, whether or not its expiry timer has fired yet.
    if (!grant || grant.status !== 'ACTIVE' || !grant.expiresAt || grant.expiresAt <= now) {
      await requests.update(ext.id, {
        status: transition(ext.status, 'cancel'),
        statusReason: 'the access it extends has ended',
        endedAt: now,
      });
      return;
    }
    const expiresAt = new Date(grant.expiresAt.getTime() + ext.durationSeconds * 1000);
    await requests.update(grant.id, {
      status: transition(grant.status, 'extend'),
      expiresAt,
      extensionCount: grant.extensionCount + 1,
    });
    await requests.update(ext.id, {
      status: transition(ext.status, 'applyExtension'),
      grantedAt: now,
      expiresAt,
    });
    await this.outbox.add(expiryTimer(grant.id, expiresAt));
    const generation = await this.grants.syncPerson(
      em,
      grant.integrationId,
      grant.requesterId,
      grant.id,
    );
    await this.audit.record(
      {
        action: 'grant.extended',
        actor,
        requestId: grant.id,
        integrationId: grant.integrationId,
        details: {
          extensionId: ext.id,
          by: formatDuration(ext.durationSeconds),
          previousExpiresAt: grant.expiresAt.toISOString(),
          expiresAt: expiresAt.toISOString(),
          generation,
        },
      },
      em,
    );
  }

  private async scheduleStepTimeout(
    em: EntityManager,
    req: Pick<AccessRequestEntity, 'id' | 'currentStep'>,
    flow: FlowRules,
    from: Date,
  ): Promise<void> {
    const step = flow.steps[req.currentStep];
    if (!step?.timeoutSeconds) return;
    await this.scheduleTimer(
      em,
      'step-timeout',
      req.id,
      new Date(from.getTime() + step.timeoutSeconds * 1000),
      req.currentStep,
    );
  }

  private async scheduleTimer(
    _em: EntityManager,
    name: RequestTimerJob['kind'],
    requestId: string,
    at: Date,
    step?: number,
  ): Promise<void> {
    await this.outbox.add({
      job: { kind: name, requestId, step: step ?? 0 },
      jobId: `${name}-${requestId}-${step ?? 0}-${at.getTime()}`,
      runAt: at,
    });
  }

  /** A step's timeout passed: escalate to its fallback approvers, or deny (the flow says which). */
  async stepTimedOut(requestId: string, step: number, now = new Date()): Promise<boolean> {
    return this.grants.inTransaction(async (em) => {
      const req = await em
        .getRepository(AccessRequestEntity)
        .findOne({ where: { id: requestId }, lock: { mode: 'pessimistic_write' } });
      if (!req || req.status !== 'PENDING' || req.currentStep !== step || !req.stepStartedAt)
        return false;
      const flow = await this.flows.getVersion(req.flowId, req.flowVersion);
      const due = dueStepTimeout(flow.steps[step], req, now);
      if (!due) return false;
      if (due.what === 'escalate') await this.escalate(em, req, flow);
      else await this.denyTimedOutStep(em, req, now);
      return true;
    });
  }

  /** The current step's approvers are joined by its fallback (the step timed out). */
  private async escalate(
    em: EntityManager,
    req: AccessRequestEntity,
    flow: FlowRules,
  ): Promise<void> {
    await em.getRepository(AccessRequestEntity).update(req.id, { escalated: true });
    await this.audit.record(
      {
        action: 'request.escalated',
        requestId: req.id,
        integrationId: req.integrationId,
        details: { step: req.currentStep + 1, fallback: flow.steps[req.currentStep]?.fallback },
      },
      em,
    );
  }

  /** The current step timed out and its flow denies then. */
  private async denyTimedOutStep(
    em: EntityManager,
    req: AccessRequestEntity,
    now: Date,
  ): Promise<RequestStatus> {
    const status = this.next(req, 'deny');
    await em.getRepository(AccessRequestEntity).update(req.id, {
      status,
      statusReason: `approval step ${req.currentStep + 1} timed out`,
      decidedAt: now,
      endedAt: now,
    });
    await this.audit.record(
      {
        action: 'request.denied',
        requestId: req.id,
        integrationId: req.integrationId,
        details: { step: req.currentStep + 1, reason: 'timed out' },
      },
      em,
    );
    return status;
  }

  /** Nobody answered within the flow's pending TTL: the request expires. */
  async pendingExpired(requestId: string, now = new Date()): Promise<boolean> {
    return this.grants.inTransaction(async (em) => {
      const req = await em
        .getRepository(AccessRequestEntity)
        .findOne({ where: { id: requestId }, lock: { mode: 'pessimistic_write' } });
      if (!req || lapsedEvent(req, now) !== 'expirePending') return false;
      await this.expirePending(em, req, now);
      return true;
    });
  }

  private async expirePending(
    em: EntityManager,
    req: AccessRequestEntity,
    now: Date,
  ): Promise<RequestStatus> {
    const status = this.next(req, 'expirePending');
    await em.getRepository(AccessRequestEntity).update(req.id, {
      status,
      statusReason: 'nobody decided before the pending time limit',
      endedAt: now,
    });
    await this.audit.record(
      { action: 'request.expired', requestId: req.id, integrationId: req.integrationId },
      em,
    );
    return status;
  }

  /**
   * A grant whose time is up is ended now by the expiry path (audited, its role revoked), even
   * if its expiry timer has not fired. Returns why the access is over, or null while it runs.
   */
  async endIfLapsed(
    req: Pick<AccessRequestEntity, 'id' | 'status' | 'pendingExpiresAt' | 'expiresAt'>,
    now = new Date(),
  ): Promise<string | null> {
    if (lapsedEvent(req, now) !== 'expire') return null;
    await this.grants.expireGrant(req.id, now);
    return `this access ended at ${req.expiresAt!.toISOString()}`;
  }

  /** Catches step timeouts and pending expiry whose timers were lost. */
  async sweepPending(now = new Date()): Promise<number> {
    let changed = 0;
    const expired = await this.requests.find({
      select: { id: true },
      where: { status: 'PENDING', pendingExpiresAt: LessThanOrEqual(now) },
      take: 500,
    });
    for (const r of expired) if (await this.pendingExpired(r.id, now)) changed++;
    const waiting = await this.requests.find({
      select: { id: true, currentStep: true },
      where: { status: 'PENDING', stepStartedAt: LessThanOrEqual(now) },
      take: 500,
    });
    for (const r of waiting) if (await this.stepTimedOut(r.id, r.currentStep, now)) changed++;
    return changed;
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

  /** A person's requests that are not over yet (deactivation ends them, issue 18). */
  async openRequestsOf(requesterId: string): Promise<AccessRequestEntity[]> {
    return this.requests.find({
      where: { requesterId, status: In(['PENDING', 'APPROVED', 'GRANTING', 'ACTIVE']) },
      order: { createdAt: 'ASC' },
    });
  }

  /** Cancels a deactivated person's request while still PENDING; false when it moved on. */
  async cancelForDeactivated(actor: Actor, id: string, reason: string): Promise<boolean> {
    return this.grants.inTransaction(async (em) => {
      const req = await this.lockRequest(em, id);
      if (req.status !== 'PENDING') return false;
      await em.getRepository(AccessRequestEntity).update(req.id, {
        status: this.next(req, 'cancel'),
        statusReason: reason,
        endedAt: new Date(),
        endedBy: actor.id,
      });
      await this.audit.record(
        {
          action: 'request.cancelled',
          actor,
          requestId: req.id,
          integrationId: req.integrationId,
          details: { reason },
        },
        em,
      );
      return true;
    });
  }

  /** Revoke now: the access ends at once, sessions included (DESIGN §3.4). */
  async revoke(actor: Actor, id: string, reason?: string): Promise<AccessRequestEntity> {
    await this.grants.inTransaction(async (em) => {
      const req = await this.lockRequest(em, id);
      assertVerdict(mayRevoke(req.approverIds, req.requesterId, actor));
      const to = await this.endGrant(em, req, actor, reason ?? 'revoked');
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

  private async endGrant(
    em: EntityManager,
    req: AccessRequestEntity,
    actor: Actor,
    reason: string,
  ) {
    const to = this.next(req, 'revoke');
    await em.getRepository(AccessRequestEntity).update(req.id, {
      status: to,
      statusReason: reason,
      endedAt: new Date(),
      endedBy: actor.id,
      syncGeneration: null,
    });
    return to;
  }

  /**
   * The incident button: every grant on the integration ends now, approved-but-not-granted ones
   * too, and pending requests are denied. One sync per person.
   */
  async revokeAll(
    actor: Actor,
    integrationId: string,
    reason: string,
  ): Promise<{ revoked: number; denied: number; people: number }> {
    if (!hasAnyRole(actor, ['admin', 'security'])) {
      throw DomainError.forbidden(
        'only security or an admin may revoke everything on an integration',
      );
    }
    await this.integrations.get(integrationId);
    return this.grants.inTransaction(async (em) => {
      const repo = em.getRepository(AccessRequestEntity);
      const open = await repo.find({
        where: { integrationId, status: In(['PENDING', 'APPROVED', 'GRANTING', 'ACTIVE']) },
        lock: { mode: 'pessimistic_write' },
        order: { id: 'ASC' },
      });
      const now = new Date();
      const pending = open.filter((r) => r.status === 'PENDING');
      // Grants by the state each one moves to (the state machine decides), one UPDATE each.
      const ending = new Map<RequestStatus, AccessRequestEntity[]>();
      for (const req of open.filter((r) => r.status !== 'PENDING')) {
        const to = this.next(req, 'revoke');
        ending.set(to, [...(ending.get(to) ?? []), req]);
      }
      // IN lists in chunks: PostgreSQL binds at most 65,535 parameters a statement.
      const updateAll = async (
        reqs: AccessRequestEntity[],
        set: QueryDeepPartialEntity<AccessRequestEntity>,
      ) => {
        for (let i = 0; i < reqs.length; i += IN_LIST_CHUNK)
          await repo.update({ id: In(reqs.slice(i, i + IN_LIST_CHUNK).map((r) => r.id)) }, set);
      };
      if (pending.length > 0) {
        await updateAll(pending, {
          status: this.next(pending[0], 'deny'),
          statusReason: `revoke-all: ${reason}`,
          decidedBy: actor.id,
          decidedAt: now,
          endedAt: now,
        });
        // A decision like any other: audited per request, so its approvers' messages are updated.
        await this.audit.recordMany(
          pending.map((req) => ({
            action: 'request.denied',
            actor,
            requestId: req.id,
            integrationId,
            details: { reason: `revoke-all: ${reason}`, revokeAll: true },
          })),
          em,
        );
      }
      for (const [to, reqs] of ending) {
        await updateAll(reqs, {
          status: to,
          statusReason: `revoke-all: ${reason}`,
          endedAt: now,
          endedBy: actor.id,
          syncGeneration: null,
        });
      }
      const denied = pending.length;
      const revoked = open.length - denied;
      const people = new Set((ending.get('REVOKING') ?? []).map((r) => r.requesterId));
      await this.grants.syncPeople(em, integrationId, [...people]);
      await this.audit.record(
        {
          action: 'integration.revoke_all',
          actor,
          integrationId,
          details: { reason, revoked, denied, people: people.size },
        },
        em,
      );
      return { revoked, denied, people: people.size };
    });
  }

  /** Security closes a break-glass grant's follow-up review. */
  async closeReview(actor: Actor, id: string, note: string): Promise<AccessRequestEntity> {
    // The role check lives here, not only on the route: Slack closes reviews too.
    assertVerdict(mayCloseReview(actor));
    const finding = note.trim();
    if (!finding) throw DomainError.validation('note: say what the review found');
    await this.grants.inTransaction(async (em) => {
      const req = await this.lockRequest(em, id);
      if (!req.breakGlass) throw DomainError.validation('only break-glass requests have a review');
      if (req.reviewStatus !== 'open') throw DomainError.conflict('this review is already closed');
      await em.getRepository(AccessRequestEntity).update(req.id, {
        reviewStatus: 'closed',
        reviewNote: finding,
        reviewClosedBy: actor.id,
        reviewClosedAt: new Date(),
      });
      await this.audit.record(
        {
          action: 'break_glass.review_closed',
          actor,
          requestId: req.id,
          integrationId: req.integrationId,
          details: { note: finding },
        },
        em,
      );
    });
    return this.get(id);
  }

  async reviews(status: 'open' | 'closed'): Promise<AccessRequestEntity[]> {
    return this.requests.find({
      where: { breakGlass: true, reviewStatus: status },
      order: { createdAt: 'DESC' },
      take: 500,
    });
  }

  private async lockRequest(em: EntityManager, id: string): Promise<AccessRequestEntity> {
    const req = await em
      .getRepository(AccessRequestEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!req) throw DomainError.notFound('access request', id);
    return req;
  }

  private next(req: Pick<AccessRequestEntity, 'status'>, event: RequestEvent) {
    try {
      return transition(req.status, event);
    } catch (e) {
      if (e instanceof IllegalTransitionError)
        throw new DomainError(ErrorCode.IllegalTransition, e.message, { status: req.status });
      throw e;
    }
  }
}
