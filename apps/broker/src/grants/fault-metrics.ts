import { Injectable } from '@nestjs/common';

/**
 * Counters of what went wrong and was put right, since this broker started: a scrape target
 * for monitoring (GET /api/v1/metrics/faults). Audit events are the durable record.
 */
@Injectable()
export class FaultMetrics {
  revokeAlerts = 0;
  reconcileCorrections = 0;
  passwordsLost = 0;
  unknownRoles = 0;
  /** Connector messages refused for speaking for another connector. */
  refusedMessages = 0;

  snapshot(): Record<string, number> {
    return {
      doorman_revoke_alerts_total: this.revokeAlerts,
      doorman_reconcile_corrections_total: this.reconcileCorrections,
      doorman_passwords_lost_total: this.passwordsLost,
      doorman_unknown_managed_roles_total: this.unknownRoles,
      doorman_connector_messages_refused_total: this.refusedMessages,
    };
  }
}
