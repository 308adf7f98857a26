/**
 * Expiry, one at a time: grants approved SPACING ms apart with one duration, so they expire
 * SPACING ms apart — further apart than an expiry takes, so each is alone; each gets a session
 * as soon as it is ACTIVE; overstay = expiresAt → that session terminated by the server.
 */
import { COUNTS, check } from '../harness';
import { approve, request, type Bench } from '../stack';
import { mapLimit, sleep } from '../stats';
import { overstayOf, sessionFor, StatusWatch } from './expiry-tools';

const SPACING = 75;

export async function expirySerial(b: Bench): Promise<void> {
  const who = b.seq.slice(0, COUNTS.expirySerial);
  const duration = Math.ceil((who.length * SPACING) / 1000) + 6;
  const ids = await mapLimit(who, 16, (p) => request(b, p, `${duration}s`));
  const gone = new Map<string, number>();
  const watch = new StatusWatch(b.db);
  const t0 = Date.now();
  const creds = await mapLimit(ids, ids.length, async (id, i) => {
    await sleep(t0 + i * SPACING - Date.now());
    await approve(b, id);
    try {
      await watch.until(id, 'ACTIVE', 30000);
      return await sessionFor(b, who[i], id, gone);
    } catch {
      return null;
    }
  });
  watch.stop();
  const s = await overstayOf(b, 'expiry, one at a time', ids, creds, gone);
  check({
    scenario: 'expiry (one at a time)',
    metric: `overstay p99 (expiresAt → session gone, n=${s.n})`,
    value: s.p99,
    unit: 'ms',
    floor: b.floors.revokeSqlMs.p50,
    target: '≤ 250 ms',
    met: s.p99 <= 250 && s.n === ids.length,
  });
}
