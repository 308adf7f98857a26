import { connectorQueueName, DEFAULT_REDIS_PREFIX, RESULTS_QUEUE } from './queues';

/**
 * The Redis ACL of one connector (issue 6): it may use its own queue's keys and write results
 * back, and nothing else — not another connector's jobs, not the broker's timers. BullMQ runs
 * Lua scripts (EVALSHA) over declared keys, which Redis 7 checks against these key patterns;
 * it also needs INFO (version check) and CLIENT SETNAME, which @dangerous would otherwise deny.
 */
export function connectorAclRules(connectorId: string, prefix = DEFAULT_REDIS_PREFIX): string[] {
  return [
    'on',
    'resetkeys',
    'resetchannels',
    `~${prefix}:${connectorQueueName(connectorId)}:*`,
    `~${prefix}:${RESULTS_QUEUE}:*`,
    '-@all',
    '+@read',
    '+@write',
    '+@keyspace',
    '+@list',
    '+@hash',
    '+@sortedset',
    '+@stream',
    '+@string',
    '+@set',
    '+@scripting',
    '+@blocking',
    '+@connection',
    '+@transaction',
    // Order matters: later rules win, so the few needed commands come back after -@dangerous.
    '-@admin',
    '-@dangerous',
    '+info',
    '+client|setname',
    '+client|getname',
    '-keys',
    '-flushdb',
    '-flushall',
  ];
}

/** `ACL SETUSER` arguments for the connector's Redis user (password given in clear, hashed by Redis). */
export function connectorAclSetUser(
  connectorId: string,
  password: string,
  prefix = DEFAULT_REDIS_PREFIX,
): string[] {
  return [
    `connector-${connectorId}`,
    'reset',
    `>${password}`,
    ...connectorAclRules(connectorId, prefix),
  ];
}
