/**
 * The clock of a flow that counts from the first login. Pure; unit-tested.
 *
 * On activation the grant runs until `grantedAt + wait + duration` (the hard bound, VALID
 * UNTIL on the target from the start). The first session seen moves its end to
 * `firstLogin + duration`, never past that bound; no session by `grantedAt + wait` and the
 * access ends as unused.
 */
export interface FirstLoginGrant {
  grantedAt: Date;
  durationSeconds: number;
  waitSeconds: number;
  /**
   * Its end now: the hard bound, later by the extensions approved while it waited, or earlier
   * when a rule change cut it. Absent: the hard bound.
   */
  expiresAt?: Date | null;
}

export type FirstLoginOutcome =
  /** First used: the access now ends at `expiresAt`. */
  | { kind: 'first-use'; firstUsedAt: Date; expiresAt: Date }
  /** Nobody logged in within the wait: the access ends now, as unused. */
  | { kind: 'unused'; deadline: Date }
  | { kind: 'waiting' };

export const hardBound = (g: FirstLoginGrant): Date =>
  new Date(g.grantedAt.getTime() + (g.waitSeconds + g.durationSeconds) * 1000);

export const firstLoginDeadline = (g: FirstLoginGrant): Date =>
  new Date(g.grantedAt.getTime() + g.waitSeconds * 1000);

/**
 * `firstSessionStart`: the earliest backend_start of the user's sessions in a report read at
 * `reportAt` (null when there was none). A session opened before the grant (still live from an
 * earlier access) counts from the grant's start.
 */
export function firstLoginOutcome(
  g: FirstLoginGrant,
  firstSessionStart: Date | null,
  reportAt: Date,
): FirstLoginOutcome {
  const deadline = firstLoginDeadline(g);
  if (firstSessionStart !== null) {
    const firstUsedAt = new Date(Math.max(firstSessionStart.getTime(), g.grantedAt.getTime()));
    if (firstUsedAt <= deadline) {
      const bound = hardBound(g).getTime();
      const current = g.expiresAt?.getTime() ?? bound;
      // Extensions approved while it waited are kept; a cut end is never lengthened.
      const extended = Math.max(0, current - bound);
      const fromLogin = firstUsedAt.getTime() + g.durationSeconds * 1000;
      return {
        kind: 'first-use',
        firstUsedAt,
        expiresAt: new Date(Math.min(Math.min(fromLogin, bound) + extended, current)),
      };
    }
  }
  return reportAt >= deadline ? { kind: 'unused', deadline } : { kind: 'waiting' };
}
