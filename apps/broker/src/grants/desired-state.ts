import type { GroupGrant, PermissionLevel } from '@doorman/contracts';

/**
 * The broker decides, the connector converges: from every grant a person holds on
 * an integration, the one desired state of their database user. Pure; unit-tested.
 */
export interface HeldGrant {
  database: string;
  schema: string;
  permission: PermissionLevel;
  status: 'GRANTING' | 'ACTIVE';
  expiresAt: Date | null;
  durationSeconds: number;
}

export interface PasswordFacts {
  now: Date;
  rotationDays: number;
  hasSealedPassword: boolean;
  passwordIssuedAt: Date | null;
  /** When the person's previous access on this integration ended, if it did. */
  accessEndedAt: Date | null;
  /**
   * A new password now even in the middle of access: asked for explicitly (reset my
   * credentials, reset all) or because an issued password was lost on the way back.
   */
  forceNewPassword?: boolean;
}

export interface DesiredState {
  login: boolean;
  groups: GroupGrant[];
  validUntil: Date | null;
  startingDurationSeconds: number | null;
  rotatePassword: boolean;
  /**
   * `validUntil` and `startingDurationSeconds` per group, in the order of `groups`:
   * the connector leaves out a group it cannot apply, and VALID UNTIL counts only the others.
   */
  groupTimes?: GroupTimes[];
}

export interface GroupTimes extends GroupGrant {
  validUntil: Date | null;
  startingDurationSeconds: number | null;
}

const key = (g: GroupGrant) => `${g.database}\u0000${g.schema}\u0000${g.permission}`;

export function desiredState(grants: HeldGrant[], facts: PasswordFacts): DesiredState {
  const groups = new Map<string, GroupGrant>();
  const times = new Map<string, GroupTimes>();
  for (const g of grants) {
    const group = { database: g.database, schema: g.schema, permission: g.permission };
    groups.set(key(group), group);
    const t = times.get(key(group)) ?? {
      ...group,
      validUntil: null,
      startingDurationSeconds: null,
    };
    if (g.status === 'ACTIVE' && g.expiresAt && (!t.validUntil || g.expiresAt > t.validUntil))
      t.validUntil = g.expiresAt;
    if (g.status === 'GRANTING')
      t.startingDurationSeconds = Math.max(t.startingDurationSeconds ?? 0, g.durationSeconds);
    times.set(key(group), t);
  }
  const order = [...groups.keys()].sort();
  const active = grants.filter((g) => g.status === 'ACTIVE' && g.expiresAt);
  const starting = grants.filter((g) => g.status === 'GRANTING');
  const validUntil = active.length
    ? new Date(Math.max(...active.map((g) => g.expiresAt!.getTime())))
    : null;
  const startingDurationSeconds = starting.length
    ? Math.max(...starting.map((g) => g.durationSeconds))
    : null;
  return {
    login: grants.length > 0,
    groups: order.map((k) => groups.get(k)!),
    validUntil,
    startingDurationSeconds,
    rotatePassword:
      grants.length > 0 &&
      (facts.forceNewPassword === true || (active.length === 0 && passwordDue(facts))),
    groupTimes: order.map((k) => times.get(k)!),
  };
}

/**
 * A new password only when access begins (nothing active) and the current one is too old:
 * with rotationDays 0, any password issued before the previous access ended; otherwise one
 * older than rotationDays. Never in the middle of someone's active access.
 */
export function passwordDue(f: PasswordFacts): boolean {
  if (!f.hasSealedPassword || !f.passwordIssuedAt) return true;
  if (f.rotationDays === 0)
    return f.accessEndedAt !== null && f.passwordIssuedAt <= f.accessEndedAt;
  return f.now.getTime() - f.passwordIssuedAt.getTime() >= f.rotationDays * 86400_000;
}
