/** Pure: the numbers behind the console's pictures, from requests as the API lists them. */

export interface Bar {
  label: string;
  value: number;
}

interface Dated {
  createdAt: string;
  decidedAt?: string | null;
  grantedAt: string | null;
  expiresAt: string | null;
  endedAt: string | null;
  statusReason: string | null;
  kind?: string;
}

const DAY = 86_400_000;

/** Grants started on each of the last `days` days (oldest first), by local date. */
export function grantsPerDay(requests: Dated[], days: number, now: number): Bar[] {
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  const first = midnight.getTime() - (days - 1) * DAY;
  const bars: Bar[] = Array.from({ length: days }, (_, i) => {
    const d = new Date(first + i * DAY);
    return { label: `${d.getMonth() + 1}/${d.getDate()}`, value: 0 };
  });
  for (const r of requests) {
    if (!r.grantedAt) continue;
    const i = Math.floor((new Date(r.grantedAt).getTime() - first) / DAY);
    if (i >= 0 && i < days) bars[i].value += 1;
  }
  return bars;
}

/** Counts of spans (ms) in buckets with upper bounds `edges` (ms), plus one for "longer". */
export function histogram(spans: number[], edges: Array<[number, string]>, longer: string): Bar[] {
  const bars: Bar[] = [
    ...edges.map(([, label]) => ({ label, value: 0 })),
    { label: longer, value: 0 },
  ];
  for (const s of spans) {
    const i = edges.findIndex(([edge]) => s <= edge);
    bars[i === -1 ? edges.length : i].value += 1;
  }
  return bars;
}

const MIN = 60_000;

/** How long decisions took: from the request to its decision. */
export function approvalLatency(requests: Dated[]): Bar[] {
  const spans = requests
    .filter((r) => r.decidedAt)
    .map((r) => new Date(r.decidedAt!).getTime() - new Date(r.createdAt).getTime());
  return histogram(
    spans,
    [
      [MIN, '≤ 1m'],
      [5 * MIN, '≤ 5m'],
      [15 * MIN, '≤ 15m'],
      [60 * MIN, '≤ 1h'],
      [240 * MIN, '≤ 4h'],
      [1440 * MIN, '≤ 1d'],
    ],
    '> 1d',
  );
}

/** How long past its end an expired grant still ran before it was taken back. */
export function expiryOverstay(requests: Dated[]): Bar[] {
  const spans = requests
    .filter((r) => r.statusReason === 'expired' && r.endedAt && r.expiresAt)
    .map((r) => Math.max(0, new Date(r.endedAt!).getTime() - new Date(r.expiresAt!).getTime()));
  return histogram(
    spans,
    [
      [1000, '≤ 1s'],
      [2000, '≤ 2s'],
      [5000, '≤ 5s'],
      [30_000, '≤ 30s'],
      [MIN, '≤ 1m'],
    ],
    '> 1m',
  );
}
