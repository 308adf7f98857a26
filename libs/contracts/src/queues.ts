/**
 * Queue names shared by broker and connector. BullMQ forbids ':' in queue names; the
 * Redis key prefix (default `{doorman}`, hash-tagged for Redis Cluster) is configured apart.
 */
export const CONTRACT_VERSION = 1 as const;

/** The queue a connector consumes: one per connector. */
export function connectorQueueName(connectorId: string): string {
  return `connector-${connectorId}`;
}

/**
 * Results and heartbeats from one connector back to the broker (durable). One queue per
 * connector: only that connector's Redis user may write it, so the broker knows who
 * sent a message by the queue it came on, and refuses one that speaks for another connector.
 */
export function connectorResultsQueueName(connectorId: string): string {
  return `results-${connectorId}`;
}

/**
 * The results queue every connector shared before each had its own. Nothing is sent or read
 * on it any more: a sender on it cannot be told apart. Kept for the health probe and for tests.
 */
export const RESULTS_QUEUE = 'connector-results';

/** The broker's own timers: grant expiry and cleanup due dates. */
export const TIMERS_QUEUE = 'broker-timers';

export const DEFAULT_REDIS_PREFIX = '{doorman}';

/** Deterministic job ids: a double enqueue is a no-op. */
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
