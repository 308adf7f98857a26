/**
 * Queue names shared by broker and connector. BullMQ forbids ':' in queue names; the
 * Redis key prefix (default `{doorman}`, hash-tagged for Redis Cluster) is configured apart.
 */
export const CONTRACT_VERSION = 1 as const;

/** The queue a connector consumes: one per connector. */
export function connectorQueueName(connectorId: string): string {
  return `connector-${connectorId}`;
}

/** Results and heartbeats from every connector back to the broker (durable). */
export const RESULTS_QUEUE = 'connector-results';

/** The broker's own timers: grant expiry and cleanup due dates. */
export const TIMERS_QUEUE = 'broker-timers';

export const DEFAULT_REDIS_PREFIX = '{doorman}';

/** Deterministic job ids (DESIGN §5): a double enqueue is a no-op. */
export const jobIds = {
  sync: (integrationId: string, personId: string, generation: number) =>
    `sync-${integrationId}-${personId}-${generation}`,
  cleanup: (integrationId: string, personId: string, generation: number) =>
    `cleanup-${integrationId}-${personId}-${generation}`,
  expire: (requestId: string, expiresAtMs: number) => `expire-${requestId}-${expiresAtMs}`,
  cleanupDue: (databaseUserId: string, dueAtMs: number) =>
    `cleanup-due-${databaseUserId}-${dueAtMs}`,
  rotateAdmin: (integrationId: string, rotationId: string) =>
    `rotate-admin-${integrationId}-${rotationId}`,
  discover: (integrationId: string, discoveryId: string) =>
    `discover-${integrationId}-${discoveryId}`,
  retrySync: (databaseUserId: string, generation: number) =>
    `retry-sync-${databaseUserId}-${generation}`,
};
