/** Durations as people write them: `30s`, `15m`, `2h`, `7d` (DESIGN: access flows). */
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const PATTERN = /^([1-9][0-9]{0,6})([smhd])$/;

/**
 * The longest duration anything may name (a flow's maximum, a request, a step's timeout): ten
 * years. Seconds are stored as PostgreSQL integers (at most 2^31 - 1, about 24855 days) and added
 * to timestamps; a bound far below both keeps every sum of them in range.
 */
export const MAX_DURATION_DAYS = 3650;
export const MAX_DURATION_SECONDS = MAX_DURATION_DAYS * UNITS.d;

export function parseDuration(text: string): number | null {
  const m = PATTERN.exec(text.trim());
  if (!m) return null;
  const seconds = Number(m[1]) * UNITS[m[2]];
  return seconds <= MAX_DURATION_SECONDS ? seconds : null;
}

export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

export const DURATION_HINT = `a duration such as 30s, 15m, 2h or 7d, at most ${MAX_DURATION_DAYS}d`;
