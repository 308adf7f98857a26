import type { InventoryRole } from '@doorman/contracts';
import type { DesiredState } from './desired-state';

/**
 * Reconciliation, pure: how one managed role as the target reports it differs
 * from the desired state of its person's grants. An empty list means nothing to correct.
 */

/** VALID UNTIL is stored with microseconds and reported in milliseconds: allow for rounding. */
const VALID_UNTIL_TOLERANCE_MS = 1000;

const groupKey = (g: { database: string; schema: string; permission: string }) =>
  `${g.permission} ${g.database}.${g.schema}`;

/** What the broker knows was applied to a database user (from the connector's results). */
export interface KnownApplied {
  /** The newest generation a result said the database holds. */
  generation: number;
  /** The target's clock when that sync finished; null before any (or from an older broker). */
  at: Date | null;
}

/**
 * Whether an inventory is older than what the broker knows was applied, and so cannot be
 * judged: it reports the role at an older generation, or it was read (by the
 * target's clock, as `at`) before the newest applied sync finished — a role that sync created
 * would look missing, and a membership it granted absent. The next inventory is judged.
 */
export function inventoryPredates(
  role: InventoryRole | null,
  at: Date,
  applied: KnownApplied,
): boolean {
  if (role?.generation != null && role.generation < applied.generation) return true;
  // Equal counts as older: both clocks are read in whole milliseconds.
  return applied.at !== null && at.getTime() <= applied.at.getTime();
}

export function roleDrift(desired: DesiredState, role: InventoryRole | null, now: Date): string[] {
  if (!role) return desired.login ? ['role missing while a grant is active'] : [];
  const drift: string[] = [];
  if (role.canLogin && !desired.login) drift.push('can log in without an active grant');
  if (!role.canLogin && desired.login) drift.push('cannot log in although a grant is active');

  const wanted = new Set(desired.groups.map(groupKey));
  const held = new Set(role.groups.map(groupKey));
  for (const g of [...wanted].sort()) if (!held.has(g)) drift.push(`missing membership ${g}`);
  for (const g of [...held].sort()) if (!wanted.has(g)) drift.push(`unexpected membership ${g}`);

  const actual = role.validUntil === null ? null : Date.parse(role.validUntil);
  if (desired.login) {
    const expected = desired.validUntil?.getTime() ?? null;
    const same =
      expected === null
        ? actual === null
        : actual !== null && Math.abs(actual - expected) <= VALID_UNTIL_TOLERANCE_MS;
    if (!same) drift.push(`VALID UNTIL ${show(actual)}, expected ${show(expected)}`);
  } else if (actual === null || actual > now.getTime()) {
    drift.push(`VALID UNTIL ${show(actual)} on a role that must not log in`);
  }
  return drift;
}

function show(ms: number | null): string {
  return ms === null ? 'infinity' : new Date(ms).toISOString();
}
