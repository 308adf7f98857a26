/**
 * Auto-approval conditions: permission, duration and a weekly time window in a
 * named time zone. Zone arithmetic is Intl's, so daylight saving time is handled by the
 * platform's tz database, not by us.
 */
import type { PermissionLevel } from '@doorman/contracts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface TimeWindow {
  days: Weekday[];
  /** "HH:MM", inclusive */
  start: string;
  /** "HH:MM", exclusive; earlier than start means the window runs past midnight */
  end: string;
  timeZone: string;
}

export interface AutoApproveRule {
  permissions: PermissionLevel[] | null;
  maxDurationSeconds: number | null;
  window: TimeWindow | null;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/** The weekday and minute of the day at `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): { day: Weekday; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as Weekday;
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

export function inWindow(at: Date, w: TimeWindow): boolean {
  const { day, minute } = localTime(at, w.timeZone);
  const start = minutes(w.start);
  const end = minutes(w.end);
  if (start <= end) return w.days.includes(day) && minute >= start && minute < end;
  // Past midnight: the part after midnight belongs to the previous day's window.
  const previous = WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7];
  return (w.days.includes(day) && minute >= start) || (w.days.includes(previous) && minute < end);
}

export type AutoVerdict = { ok: true } | { ok: false; reason: string };

export function autoApproves(
  rule: AutoApproveRule,
  ask: { permission: PermissionLevel; durationSeconds: number },
  at: Date,
): AutoVerdict {
  if (rule.permissions && !rule.permissions.includes(ask.permission)) {
    return { ok: false, reason: `auto-approval covers only ${rule.permissions.join(', ')}` };
  }
  if (rule.maxDurationSeconds !== null && ask.durationSeconds > rule.maxDurationSeconds) {
    return { ok: false, reason: `auto-approval covers at most ${rule.maxDurationSeconds}s` };
  }
  if (rule.window && !inWindow(at, rule.window)) {
    return {
      ok: false,
      reason: `auto-approval applies ${rule.window.days.join(',')} ${rule.window.start}-${rule.window.end} ${rule.window.timeZone}`,
    };
  }
  return { ok: true };
}
