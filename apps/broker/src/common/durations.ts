/** Durations as people write them: `30s`, `15m`, `2h`, `7d` (DESIGN: access flows). */
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const PATTERN = /^([1-9][0-9]{0,6})([smhd])$/;

export function parseDuration(text: string): number | null {
  const m = PATTERN.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNITS[m[2]];
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

export const DURATION_HINT = 'a duration such as 30s, 15m, 2h or 7d';
