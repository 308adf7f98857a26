/**
 * What the expiry scenarios share: an open session per grant (reveal + login) whose end the
 * server causes, overstay (expiresAt → that session terminated), and one poller for many grants.
 */
import type { Client } from 'pg';
import { note } from '../harness';
import { credentials, login, loginRefused, statusCounts, type Bench, type Person } from '../stack';
import { mapLimit, sleep, summarize } from '../stats';

export type Opened = { username: string; password: string; openedAt: number } | null;

/** Reveal and log in; `gone` records when the server ends the session (its socket closed). */
export async function sessionFor(
  b: Bench,
  p: Person,
  id: string,
  gone: Map<string, number>,
): Promise<NonNullable<Opened>> {
  const c = await credentials(p, id);
  const s = await login(b, c.username, c.password);
  b.sessions.push(s);
  const end = () => {
    if (!gone.has(id)) gone.set(id, Date.now());
  };
  s.on('error', end);
  s.on('end', end);
  return { ...c, openedAt: Date.now() };
}

/**
 * Overstay of the grants whose session was open before their expiry, once all ended (or 15 s
 * past the last expiry); notes how far apart the expiries were and where the time went.
 */
export async function overstayOf(
  b: Bench,
  label: string,
  ids: string[],
  creds: Opened[],
  gone: Map<string, number>,
) {
  const rows = (
    await b.db.query<{ id: string; expires: Date }>(
      'SELECT id, expires_at AS expires FROM access_requests WHERE id = ANY($1::uuid[])',
      [ids],
    )
  ).rows;
  const expires = new Map(rows.map((r) => [r.id, r.expires.getTime()]));
  const lastExpiry = Math.max(...expires.values());
  const firstExpiry = Math.min(...expires.values());
  const open = ids.filter((id, i) => {
    const c = creds[i];
    return c != null && c.openedAt < expires.get(id)!;
  });
  const deadline = lastExpiry + 15000;
  while (open.some((id) => !gone.has(id)) && Date.now() < deadline) await sleep(20);
  const overstay = open.map((id) => (gone.get(id) ?? deadline) - expires.get(id)!);
  const sample = creds.filter((c) => c != null).slice(0, 100);
  const refused = (
    await mapLimit(sample, 8, (c) => loginRefused(b, c.username, c.password))
  ).filter(Boolean).length;
  const final = await statusCounts(b, ids);
  const stage = async (action: string) =>
    summarize(
      (
        await b.db.query<{ ms: number }>(
          `SELECT extract(epoch FROM e.at - r.expires_at) * 1000 AS ms
             FROM audit_events e JOIN access_requests r ON r.id = e.request_id
            WHERE e.action = $2 AND r.id = ANY($1::uuid[])`,
          [ids, action],
        )
      ).rows.map((r) => Number(r.ms)),
    );
  const [expiredAt, revokedAt] = [await stage('grant.expired'), await stage('grant.revoked')];
  for (const x of b.sessions.splice(0)) x.end().catch(() => undefined);
  const spreadMs = lastExpiry - firstExpiry;
  note(
    `${label}: expiries spread over ${spreadMs} ms; sessions open at their grant's expiry ${open.length}/${ids.length} (only these are measured); ` +
      `sessions never ended ${open.filter((id) => !gone.has(id)).length}; a new login refused afterwards ${refused}/${sample.length}; statuses ${JSON.stringify(final)}; ` +
      `expiresAt → grant.expired p50 ${expiredAt.p50} ms p99 ${expiredAt.p99} ms, → grant.revoked p50 ${revokedAt.p50} ms p99 ${revokedAt.p99} ms`,
  );
  return { ...summarize(overstay), spreadMs, measured: open.length };
}

/** Waits for grants to reach a status, with one query for all of them every 10 ms. */
export class StatusWatch {
  private readonly waiting = new Map<
    string,
    Array<{ status: string; resolve: () => void; reject: (e: Error) => void; until: number }>
  >();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly db: Client) {}

  until(id: string, status: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(id) ?? [];
      list.push({ status, resolve, reject, until: Date.now() + timeoutMs });
      this.waiting.set(id, list);
      this.timer ??= setInterval(() => {
        this.poll().catch((err: unknown) => process.stderr.write(`status watch: ${String(err)}\n`));
      }, 10);
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    if (this.busy || this.waiting.size === 0) return;
    this.busy = true;
    try {
      const rows = (
        await this.db.query<{ id: string; status: string }>(
          'SELECT id, status FROM access_requests WHERE id = ANY($1::uuid[])',
          [[...this.waiting.keys()]],
        )
      ).rows;
      const now = Date.now();
      for (const r of rows) {
        const left = (this.waiting.get(r.id) ?? []).filter((w) => {
          if (w.status === r.status) w.resolve();
          else if (r.status === 'FAILED') w.reject(new Error(`grant ${r.id} FAILED`));
          else if (now > w.until) w.reject(new Error(`grant ${r.id} still ${r.status}`));
          else return true;
          return false;
        });
        if (left.length) this.waiting.set(r.id, left);
        else this.waiting.delete(r.id);
      }
    } finally {
      this.busy = false;
    }
  }
}
