import { autoApproves, inWindow, isValidTimeZone, localTime, type TimeWindow } from './time-window';

const office: TimeWindow = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '18:00',
  timeZone: 'Europe/Berlin',
};

describe('time windows', () => {
  it('reads local time in the window’s zone', () => {
    // 2026-11-23 is a Monday; 08:30 UTC is 09:30 in Berlin (CET, UTC+1).
    expect(localTime(new Date('2026-11-23T08:30:00Z'), 'Europe/Berlin')).toEqual({
      day: 'mon',
      minute: 9 * 60 + 30,
    });
    expect(localTime(new Date('2026-11-23T08:30:00Z'), 'America/New_York')).toEqual({
      day: 'mon',
      minute: 3 * 60 + 30,
    });
  });

  it('is inside during office hours and outside before, after and at the weekend', () => {
    expect(inWindow(new Date('2026-11-23T08:30:00Z'), office)).toBe(true);
    expect(inWindow(new Date('2026-11-23T07:59:00Z'), office)).toBe(false); // 08:59 Berlin
    expect(inWindow(new Date('2026-11-23T17:00:00Z'), office)).toBe(false); // 18:00 Berlin, end exclusive
    expect(inWindow(new Date('2026-11-22T10:00:00Z'), office)).toBe(false); // Sunday
  });

  it('follows daylight saving time', () => {
    // Summer: Berlin is UTC+2, so 07:30 UTC is 09:30 local (inside) — in winter 08:30 local (outside).
    expect(inWindow(new Date('2026-07-06T07:30:00Z'), office)).toBe(true);
    expect(inWindow(new Date('2026-11-23T07:30:00Z'), office)).toBe(false);
    // The spring-forward Sunday 2026-03-29 in Berlin: 01:30 UTC is 03:30 local.
    expect(localTime(new Date('2026-03-29T01:30:00Z'), 'Europe/Berlin')).toEqual({
      day: 'sun',
      minute: 3 * 60 + 30,
    });
  });

  it('handles windows past midnight, crediting the night to the day it began', () => {
    const night: TimeWindow = { days: ['fri'], start: '22:00', end: '02:00', timeZone: 'UTC' };
    expect(inWindow(new Date('2026-11-27T23:00:00Z'), night)).toBe(true); // Fri 23:00
    expect(inWindow(new Date('2026-11-28T01:00:00Z'), night)).toBe(true); // Sat 01:00, Friday's night
    expect(inWindow(new Date('2026-11-28T23:00:00Z'), night)).toBe(false); // Sat 23:00
  });

  it('knows valid zones', () => {
    expect(isValidTimeZone('Asia/Kolkata')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});

describe('auto-approval conditions', () => {
  const at = new Date('2026-11-23T10:00:00Z');
  it('approves read within limits and window', () => {
    expect(
      autoApproves(
        { permissions: ['read'], maxDurationSeconds: 3600, window: office },
        { permission: 'read', durationSeconds: 3600 },
        at,
      ),
    ).toEqual({ ok: true });
  });
  it.each([
    ['a permission it does not cover', { permission: 'write' as const, durationSeconds: 60 }, at],
    ['a longer duration', { permission: 'read' as const, durationSeconds: 3601 }, at],
    [
      'outside the window',
      { permission: 'read' as const, durationSeconds: 60 },
      new Date('2026-11-22T10:00:00Z'),
    ],
  ])('refuses %s', (_n, ask, when) => {
    expect(
      autoApproves({ permissions: ['read'], maxDurationSeconds: 3600, window: office }, ask, when)
        .ok,
    ).toBe(false);
  });
  it('with no conditions, always approves', () => {
    expect(
      autoApproves(
        { permissions: null, maxDurationSeconds: null, window: null },
        { permission: 'admin', durationSeconds: 1e6 },
        at,
      ).ok,
    ).toBe(true);
  });
});
