import type { DoormanRole } from '@doorman/contracts';

/** The door an action came through, as the audit trail records it. */
export type AuditChannel = 'api' | 'slack' | 'system' | 'connector' | 'console' | 'scim';

/** Who is acting, through which channel: passed from every edge into the services. */
export interface Actor {
  id: string;
  email: string;
  roles: DoormanRole[];
  channel: AuditChannel;
  /** The client's address, when the action came over the network. */
  sourceAddress?: string;
  /** Set when someone else minted the token in use for this person (an admin acting as them). */
  mintedBy?: string;
  /** How the person proved who they are: a bearer token, or a sign-in at the identity provider. */
  authentication?: { method: 'oidc' | 'token'; authTime?: Date; acr?: string; amr?: string[] };
}

export function hasAnyRole(actor: Pick<Actor, 'roles'>, roles: readonly DoormanRole[]): boolean {
  return actor.roles.some((r) => roles.includes(r));
}
