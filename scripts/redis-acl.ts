/**
 * `npm run redis-acl -- <connector-id> [prefix]`: prints the Redis ACL line for one connector's
 * own Redis user, with a new random password, and the REDIS_URL to give that connector.
 * Paste the line into redis.conf / an ACL file, or run it with redis-cli.
 */
import { randomBytes } from 'node:crypto';
import { connectorAclSetUser, DEFAULT_REDIS_PREFIX } from '@doorman/contracts';

const [connectorId, prefix = DEFAULT_REDIS_PREFIX] = process.argv.slice(2);
if (!connectorId || !/^[0-9a-f-]{36}$/i.test(connectorId)) {
  process.stderr.write('usage: npm run redis-acl -- <connector-id> [redis-prefix]\n');
  process.exit(2);
}
const password = randomBytes(24).toString('base64url');
const args = connectorAclSetUser(connectorId, password, prefix);
const quote = (s: string) =>
  /^[A-Za-z0-9_:|@>~%+\-.]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
process.stdout.write(
  [
    `# Redis ACL for connector ${connectorId} (its own job and results queues, nothing else)`,
    `redis-cli ACL SETUSER ${args.map(quote).join(' ')}`,
    `# then start that connector with:`,
    `REDIS_URL=redis://connector-${connectorId}:${password}@<redis-host>:6379`,
    '',
  ].join('\n'),
);
