import type { AuditChannel } from '../audit/audit-event.entity';
import type { DoormanRole } from './doorman-roles';

/** Who is acting, through which channel: passed from every edge into the services. */
export interface Actor {
  id: string;
  email: string;
  roles: DoormanRole[];
  channel: AuditChannel;
}

export function hasAnyRole(actor: Pick<Actor, 'roles'>, roles: readonly DoormanRole[]): boolean {
  return actor.roles.some((r) => roles.includes(r));
}
