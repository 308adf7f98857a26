import { Injectable, Logger } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { Inventory, InventoryRole } from '@doorman/contracts';
import { AuditService } from '../audit/audit.service';
import type { IntegrationEntity } from '../integrations/integration.entity';
import { IntegrationsService } from '../integrations/integrations.service';
import { DatabaseUserRepository } from './database-user.repository';
import { ExpiryService } from './expiry.service';
import { FaultMetrics } from './fault-metrics';
import { GrantSyncService } from './grant-sync.service';
import { inventoryPredates, roleDrift } from './reconcile.policy';

export interface ReconcileOutcome {
  expired: number;
  corrected: number;
  resent: number;
  unknown: number;
}

/**
 * Reconciliation: the connector's inventory of managed roles against the desired
 * state of every person on its integrations. What differs is re-synced as a new generation
 * (the connector converges it), lost jobs are sent again under their own ids, and every
 * correction is audited. It only ever acts through sync jobs, so roles outside the marker
 * role — never reported — are never touched.
 */
@Injectable()
export class ReconcileService {
  private readonly logger = new Logger(ReconcileService.name);

  constructor(
    private readonly users: DatabaseUserRepository,
    private readonly integrations: IntegrationsService,
    private readonly expiry: ExpiryService,
    private readonly grantSync: GrantSyncService,
    private readonly audit: AuditService,
    private readonly metrics: FaultMetrics,
  ) {}

  async onInventory(inventory: Inventory): Promise<ReconcileOutcome> {
    const out: ReconcileOutcome = { expired: 0, corrected: 0, resent: 0, unknown: 0 };
    // A connector with several targets reports each apart, naming its integration: only that
    // one is judged by it (another target's roles are not in it). One naming none speaks for all.
    const integrations = (await this.integrations.list()).filter(
      (i) =>
        i.connectorId === inventory.connectorId &&
        (inventory.integrationId === undefined || i.id === inventory.integrationId),
    );
    if (integrations.length === 0) return out;
    const at = new Date(inventory.at);
    const now = new Date();
    const roles = new Map(inventory.roles.map((r) => [r.name, r]));
    const known = new Set<string>();

    for (const integration of integrations) {
      // Grants past their expiry end first, so the desired states below no longer hold them.
      out.expired += await this.expiry.expireOverdueOn(integration.id, now);

      for (const u of await this.users.namesOnIntegration(integration.id)) {
        known.add(u.username);
        const outcome = await this.reconcileUser(
          integration,
          u.id,
          roles.get(u.username) ?? null,
          at,
        );
        if (outcome === 'corrected') out.corrected++;
        if (outcome === 'resent') out.resent++;
      }
    }

    for (const role of roles.values()) {
      if (known.has(role.name) || !role.canLogin) continue;
      // A managed role the broker has no record of (its database restored from an older
      // backup?): reported loudly; the connector needs a person to converge it for.
      out.unknown++;
      this.metrics.unknownRoles++;
      this.logger.warn({ username: role.name }, 'managed role unknown to the broker can log in');
      await this.audit.record({
        action: 'reconcile.unknown_role',
        actorType: 'system',
        integrationId: integrations.length === 1 ? integrations[0].id : null,
        details: { username: role.name, person: role.person, generation: role.generation },
      });
    }
    if (out.expired || out.corrected || out.resent || out.unknown)
      this.logger.log(
        { connectorId: inventory.connectorId, integrationId: inventory.integrationId, ...out },
        'reconciliation acted',
      );
    return out;
  }

  @Transactional()
  private async reconcileUser(
    integration: IntegrationEntity,
    databaseUserId: string,
    role: InventoryRole | null,
    at: Date,
  ): Promise<'ok' | 'corrected' | 'resent'> {
    const du = await this.users.lockById(databaseUserId);
    if (!du || du.generation === 0) return 'ok';
    if (role?.person && role.person !== du.userId) return 'ok'; // the connector refuses it

    // Sent but not yet applied (or cleanup under way): send it again under its own job id —
    // a no-op while the job is in Redis, the recovery when Redis lost it.
    if (du.state === 'deleting' || du.generation > du.appliedGeneration) {
      if (du.state === 'deleting' && !role) return 'ok'; // done; its result is on its way
      await this.grantSync.resend(integration, du);
      return 'resent';
    }
    // A snapshot older than what the broker already knows was applied: judge the next one.
    if (inventoryPredates(role, at, { generation: du.appliedGeneration, at: du.lastAppliedAt }))
      return 'ok';

    const desired = await this.grantSync.desiredFor(integration, du, false);
    if (desired.held.some((g) => g.status === 'GRANTING')) return 'ok';
    const drift = roleDrift(desired, role, at);
    if (drift.length === 0) return 'ok';

    // The role's comment holds a generation the broker never sent (its database restored
    // from a backup): jump past it, or the connector would call every sync stale.
    if (role?.generation != null && role.generation > du.generation)
      await this.users.update(du.id, { generation: role.generation });
    if (du.state === 'deleted' || du.state === 'none') {
      // Cleaned up (or never created) but present again: take login away, then clean up anew.
      await this.users.update(du.id, {
        state: 'inactive',
        accessEndedAt: at,
        cleanupDueAt: at,
      });
    }
    const generation = await this.grantSync.schedule(integration.id, du.userId, { integration });
    this.metrics.reconcileCorrections++;
    await this.audit.record({
      action: 'reconcile.corrected',
      actorType: 'system',
      integrationId: integration.id,
      details: {
        username: du.username,
        personId: du.userId,
        drift,
        observedAt: at.toISOString(),
        generation,
      },
    });
    this.logger.warn({ username: du.username, drift, generation }, 'drift corrected');
    return 'corrected';
  }
}
