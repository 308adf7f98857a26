import { createHash } from 'node:crypto';

/**
 * A person's database user name on an integration: readable, derived from the
 * email (`alice_doorman`), at most 63 bytes, and collision-safe — when the plain name is
 * taken by someone else a short hash of the email is added.
 */
export function baseUsername(email: string): string {
  const local = email.split('@')[0].toLowerCase();
  let name = local
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  if (!name) name = 'user';
  if (/^[0-9]/.test(name)) name = `u_${name}`;
  return `${name}_doorman`;
}

export function hashedUsername(email: string): string {
  const h = createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 8);
  return baseUsername(email).replace(/_doorman$/, `_${h}_doorman`);
}

export function chooseUsername(email: string, taken: (name: string) => boolean): string {
  const plain = baseUsername(email);
  if (!taken(plain)) return plain;
  return hashedUsername(email);
}
