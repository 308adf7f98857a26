import { adminRotationDue } from './admin-rotation.policy';

const from = new Date('2026-11-21T00:00:00Z');
const ids = Array.from(
  { length: 50 },
  (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
);

describe('adminRotationDue', () => {
  it('is off with adminRotationDays 0', () => {
    expect(adminRotationDue(from, 0, ids[0])).toBeNull();
  });

  it('is the period after the last rotation plus a jitter of at most 10 % / 6 h, stable per integration', () => {
    for (const id of ids) {
      const due = adminRotationDue(from, 30, id)!.getTime() - from.getTime();
      expect(due).toBeGreaterThanOrEqual(30 * 86400_000);
      expect(due).toBeLessThan(30 * 86400_000 + 6 * 3600_000);
      expect(adminRotationDue(from, 30, id)).toEqual(adminRotationDue(from, 30, id));
    }
    const one = adminRotationDue(from, 1, ids[0])!.getTime() - from.getTime();
    expect(one).toBeLessThan(86400_000 * 1.1);
  });

  it('spreads integrations rotated at the same moment', () => {
    const distinct = new Set(ids.map((id) => adminRotationDue(from, 30, id)!.getTime()));
    expect(distinct.size).toBeGreaterThan(45);
  });
});
