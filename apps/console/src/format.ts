/** Pure helpers for what the pages show: times, durations, commands. */

/** "1h 5m left", "45s left", or "expired", from an ISO time and now (ms). */
export function timeLeft(expiresAt: string | null, now: number): string {
  if (!expiresAt) return 'no expiry';
  const ms = new Date(expiresAt).getTime() - now;
  if (ms <= 0) return 'expired';
  return `${span(ms)} left`;
}

/** A span of ms as its two largest units: "2d 3h", "1h 5m", "4m 10s", "9s". */
export function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts: Array<[number, string]> = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** A word for a shell, in single quotes (a quote inside closes, escapes and reopens). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command that logs in with the revealed credentials. */
export function psqlCommand(connectionString: string): string {
  return `psql ${shellQuote(connectionString)}`;
}

/** The datetime-local input's value for a time (local, minutes). */
export function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const shown = (v: unknown): string => {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.length ? v.map(shown).join(', ') : 'none';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
};

/**
 * What an audit event changed, from the details' `{field: {from, to}}` entries (as
 * integration.updated records them): "cleanupDays: 0 → 14". Other details are not changes.
 */
export function auditChanges(details: Record<string, unknown> | null): string {
  return Object.entries(details ?? {})
    .flatMap(([field, v]) =>
      v && typeof v === 'object' && !Array.isArray(v) && 'from' in v && 'to' in v
        ? [`${field}: ${shown(v.from)} → ${shown(v.to)}`]
        : [],
    )
    .join('; ');
}
