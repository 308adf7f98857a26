import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/**
 * A new database password: 24 random bytes, base64url (32 ASCII characters, so SASLprep
 * leaves it unchanged and it needs no quoting in a connection string).
 */
export function generatePassword(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677 as in
 * PostgreSQL's scram-common.c). Sending the verifier instead of the password keeps the
 * plain password out of the server's logs and pg_stat_statements.
 */
export function scramSha256Verifier(
  password: string,
  iterations = 4096,
  salt = randomBytes(16),
): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  return formatVerifier(salted, iterations, salt);
}

/**
 * The same verifier, its key stretching on libuv's thread pool: the 4,096 PBKDF2 rounds do
 * not block the event loop (the connector's other jobs and its BullMQ lock renewals).
 */
export async function scramSha256VerifierAsync(
  password: string,
  iterations = 4096,
  salt = randomBytes(16),
): Promise<string> {
  const salted = await pbkdf2Async(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  return formatVerifier(salted, iterations, salt);
}

function formatVerifier(salted: Buffer, iterations: number, salt: Buffer): string {
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
