import { connectorQueueName, connectorResultsQueueName, DEFAULT_REDIS_PREFIX } from './queues';

/**
 * The Redis ACL of one connector: it may use its own queue's keys and its own results
 * queue's, and nothing else — not another connector's jobs or results, not the
 * broker's timers. BullMQ runs Lua scripts (EVAL/EVALSHA) over declared keys, which Redis 7
 * checks against these key patterns; it also needs INFO (version check) and CLIENT SETNAME,
 * which @dangerous would otherwise deny. It never lists key names (SCAN, KEYS, RANDOMKEY) nor
 * loads, flushes or kills scripts and functions, so those are denied: a connector could learn
 * every queue's name, or break every other client's cached scripts.
 */
export function connectorAclRules(connectorId: string, prefix = DEFAULT_REDIS_PREFIX): string[] {
  return [
    'on',
    'resetkeys',
    'resetchannels',
    `~${prefix}:${connectorQueueName(connectorId)}:*`,
    `~${prefix}:${connectorResultsQueueName(connectorId)}:*`,
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
    '-scan',
    '-randomkey',
    '-flushdb',
    '-flushall',
    '-script|flush',
    '-script|kill',
    '-function',
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
