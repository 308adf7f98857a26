import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import {
  CONTRACT_VERSION,
  RotateAdminJobSchema,
  jobIds,
  type RotateAdminResult,
} from '@doorman/contracts';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import type { Actor } from '../identity/actor';
import type { IntegrationEntity } from '../integrations/integration.entity';
import { IntegrationsService } from '../integrations/integrations.service';
import { OutboxService } from '../outbox/outbox.service';
import type { AdminRotationEntity } from './admin-rotation.entity';
import { AdminRotationRepository } from './admin-rotation.repository';
import { adminRotationDue } from './admin-rotation.policy';

/** A rotation with no result after this long is considered lost (its job or result). */
const PENDING_TIMEOUT_MS = 10 * 60_000;
/** A failed scheduled rotation is tried again after this long. */
const RETRY_AFTER_FAILURE_MS = 3600_000;

export interface AdminRotationView {
  integrationId: string;
  adminRotationDays: number;
  lastRotatedAt: Date | null;
  dueAt: Date | null;
  pending: boolean;
  lastError: string | null;
}

/**
 * Rotation of each connector's own login (the one it grants with): scheduled every adminRotationDays
 * (spread by a per-integration jitter) or on demand; the connector does the work and keeps
 * the password, the broker keeps the dates and the outcome. Once on several replicas: the
 * integration's row is locked and one rotation is in flight at a time. Due dates are checked
 * every SWEEP_INTERVAL_MS by the `admin-rotation` schedule (scheduling/).
 */
@Injectable()
export class AdminRotationService {
  private readonly logger = new Logger(AdminRotationService.name);
  private busy = false;

  constructor(
    private readonly rotations: AdminRotationRepository,
    private readonly integrations: IntegrationsService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  async tick(now = new Date()): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const id of await this.integrations.idsRotatingAdmin()) await this.rotateIfDue(id, now);
    } catch (err) {
      this.logger.warn({ err }, 'admin rotation check failed; next tick retries');
    } finally {
      this.busy = false;
    }
  }

  @Transactional()
  private async rotateIfDue(integrationId: string, now: Date): Promise<void> {
    const integration = await this.integrations.get(integrationId).catch(() => null);
    if (!integration || integration.adminRotationDays <= 0) return;
    const row = await this.rotations.lock(integrationId);
    if (row.dueAt === null) {
      const due = adminRotationDue(
        row.lastRotatedAt ?? integration.createdAt,
        integration.adminRotationDays,
        integration.id,
      );
      await this.rotations.update(integrationId, { dueAt: due });
      row.dueAt = due;
    }
    if (!row.dueAt || row.dueAt > now) return;
    if (this.inFlight(row, now)) return;
    await this.enqueue(integration, row, null, 'scheduled');
  }

  /** On demand (admin, security): refused while one is in flight. */
  @Transactional()
  async rotateNow(actor: Actor, integrationId: string): Promise<{ rotationId: string }> {
    const integration = await this.integrations.get(integrationId);
    const row = await this.rotations.lock(integrationId);
    if (this.inFlight(row, new Date()))
      throw DomainError.conflict('a rotation of this admin login is already in progress');
    return { rotationId: await this.enqueue(integration, row, actor, 'on-demand') };
  }

  /** Records a rotation's outcome, unless a newer one superseded it (or it came twice). */
  @Transactional()
  async onResult(r: RotateAdminResult): Promise<void> {
    const row = await this.rotations.lockExisting(r.integrationId);
    if (!row || row.pendingRotationId !== r.rotationId) return; // superseded or repeated
    const integration = await this.integrations.get(r.integrationId).catch(() => null);
    const now = new Date();
    if (r.status === 'applied') {
      const rotatedAt = r.rotatedAt ? new Date(r.rotatedAt) : now;
      await this.rotations.update(row.integrationId, {
        lastRotatedAt: rotatedAt,
        dueAt: integration
          ? adminRotationDue(rotatedAt, integration.adminRotationDays, integration.id)
          : null,
        pendingRotationId: null,
        pendingSince: null,
        lastError: null,
      });
      await this.audit.record({
        action: 'admin_rotation.rotated',
        actorType: 'connector',
        channel: 'connector',
        integrationId: r.integrationId,
        details: {
          rotationId: r.rotationId,
          rotatedAt: rotatedAt.toISOString(),
          effects: r.effects,
        },
      });
      return;
    }
    const error = r.error ?? { code: 'UNKNOWN', message: 'rotation failed', retryable: true };
    const text = `${error.code}: ${error.message}`;
    await this.rotations.update(row.integrationId, {
      pendingRotationId: null,
      pendingSince: null,
      lastError: text,
      // The old password still works; a scheduled rotation is tried again later.
      ...(row.dueAt && row.dueAt <= now
        ? { dueAt: new Date(now.getTime() + RETRY_AFTER_FAILURE_MS) }
        : {}),
    });
    this.logger.error(
      { integrationId: r.integrationId, rotationId: r.rotationId, error },
      'admin rotation failed; the old password stays',
    );
    await this.audit.record({
      action: 'admin_rotation.failed',
      actorType: 'connector',
      channel: 'connector',
      integrationId: r.integrationId,
      details: { rotationId: r.rotationId, error, effects: r.effects, oldPasswordKept: true },
    });
  }

  async view(integrationId: string): Promise<AdminRotationView> {
    const integration = await this.integrations.get(integrationId);
    const row = await this.rotations.of(integrationId);
    return {
      integrationId,
      adminRotationDays: integration.adminRotationDays,
      lastRotatedAt: row?.lastRotatedAt ?? null,
      dueAt:
        row?.dueAt ??
        adminRotationDue(
          row?.lastRotatedAt ?? integration.createdAt,
          integration.adminRotationDays,
          integration.id,
        ),
      pending: row ? this.inFlight(row, new Date()) : false,
      lastError: row?.lastError ?? null,
    };
  }

  private inFlight(row: AdminRotationEntity, now: Date): boolean {
    return (
      row.pendingRotationId !== null &&
      row.pendingSince !== null &&
      now.getTime() - row.pendingSince.getTime() < PENDING_TIMEOUT_MS
    );
  }

  /** Marks the rotation pending and writes its job and audit, all in the ambient transaction. */
  private async enqueue(
    integration: IntegrationEntity,
    row: AdminRotationEntity,
    actor: Actor | null,
    reason: 'scheduled' | 'on-demand',
  ): Promise<string> {
    const rotationId = randomUUID();
    await this.rotations.update(row.integrationId, {
      pendingRotationId: rotationId,
      pendingSince: new Date(),
    });
    const job = RotateAdminJobSchema.parse({
      v: CONTRACT_VERSION,
      kind: 'rotate-admin',
      integrationId: integration.id,
      rotationId,
    });
    await this.outbox.add({
      job: { kind: 'connector', connectorId: integration.connectorId, job },
      jobId: jobIds.rotateAdmin(integration.id, rotationId),
    });
    await this.audit.record({
      action: 'admin_rotation.requested',
      actor,
      actorType: actor ? 'user' : 'system',
      integrationId: integration.id,
      details: { rotationId, reason },
    });
    return rotationId;
  }
}
