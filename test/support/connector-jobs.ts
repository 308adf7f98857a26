import { randomUUID } from 'node:crypto';
import {
  CONTRACT_VERSION,
  type CleanupUserJob,
  type GroupGrant,
  type SyncUserJob,
} from '@doorman/contracts';

/** Factories for connector job payloads: valid by default, overridable per test. */
export interface Person {
  personId: string;
  personEmail: string;
  username: string;
  integrationId: string;
}

let counter = 0;
export function person(over: Partial<Person> = {}): Person {
  counter += 1;
  const name = `p${counter}_${randomUUID().slice(0, 6)}`;
  return {
    personId: randomUUID(),
    personEmail: `${name}@example.com`,
    username: `${name}_doorman`,
    integrationId: '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
    ...over,
  };
}

export function syncJob(
  who: Person,
  generation: number,
  groups: GroupGrant[],
  over: Partial<SyncUserJob> = {},
): SyncUserJob {
  const login = groups.length > 0;
  return {
    v: CONTRACT_VERSION,
    kind: 'sync-user',
    ...who,
    generation,
    login,
    groups,
    validUntil: null,
    startingDurationSeconds: login ? 3600 : null,
    connectionLimit: 10,
    rotatePassword: false,
    ...over,
  };
}

export function cleanupJob(who: Person, generation: number, databases: string[]): CleanupUserJob {
  return { v: CONTRACT_VERSION, kind: 'cleanup-user', ...who, generation, databases };
}
