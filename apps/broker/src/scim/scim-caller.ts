import type { Actor } from '../common/actor';
import type { ScimProviderView } from './scim-providers.service';

/** The provider behind a SCIM call, and the actor its changes are audited under. */
export interface ScimCaller {
  providerId: string;
  actor: Actor;
}

/**
 * A provider acts with an admin's standing over people and groups (it may deactivate an admin,
 * as the company's directory says), but only through the SCIM routes, which change nothing
 * else. Audited on the 'scim' channel, the provider's id as the actor, its name as the email.
 */
export function scimCaller(provider: ScimProviderView, sourceAddress?: string): ScimCaller {
  return {
    providerId: provider.id,
    actor: {
      id: provider.id,
      email: `scim:${provider.name}`,
      roles: ['admin'],
      channel: 'scim',
      sourceAddress,
    },
  };
}
