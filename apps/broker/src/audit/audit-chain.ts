import { createHash } from 'node:crypto';

/**
 * The audit hash chain, pure: each sealed event's hash covers the previous hash and
 * the event's content as PostgreSQL stores it (jsonb text is canonical), so changing, removing
 * or reordering any event breaks every link after it.
 */
export interface ChainRow {
  id: string;
  seq: string | null;
  prev_hash: string | null;
  hash: string | null;
  /** Text renderings straight from SQL (see CHAIN_COLUMNS). */
  at: string;
  action: string;
  actor_id: string | null;
  actor_type: string;
  channel: string;
  request_id: string | null;
  integration_id: string | null;
  details: string;
  source_address: string | null;
}

export const GENESIS = '0'.repeat(64);

/**
 * Columns read for hashing, rendered as text by PostgreSQL so both sides agree byte for byte.
 * Queries must alias the table as `e` and order by `e.seq`/`e.id`: the text aliases here would
 * otherwise sort as text ('9' after '10').
 */
export const CHAIN_COLUMNS = `e.id::text AS id, e.seq::text AS seq, e.prev_hash, e.hash,
  to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, e.action, e.actor_id::text AS actor_id,
  e.actor_type, e.channel, e.request_id::text AS request_id, e.integration_id::text AS integration_id,
  e.details::text AS details, e.source_address`;

export function eventHash(
  prevHash: string,
  r: Omit<ChainRow, 'seq' | 'prev_hash' | 'hash'>,
): string {
  const content = JSON.stringify([
    r.id,
    r.at,
    r.action,
    r.actor_id,
    r.actor_type,
    r.channel,
    r.request_id,
    r.integration_id,
    r.details,
    r.source_address,
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

export type ChainVerdict =
  | { ok: true; checked: number; lastSeq: string | null; lastHash: string }
  | { ok: false; checked: number; brokenAt: { id: string; seq: string }; reason: string };

/** Checks a run of sealed rows in seq order, continuing from (`prevSeq`, `prevHash`). */
export function verifyRun(
  rows: ChainRow[],
  prevSeq: bigint,
  prevHash: string,
  checkedBefore: number,
): ChainVerdict {
  let seq = prevSeq;
  let hash = prevHash;
  let checked = checkedBefore;
  for (const r of rows) {
    const at = { id: r.id, seq: r.seq ?? '?' };
    if (BigInt(r.seq!) !== seq + 1n)
      return { ok: false, checked, brokenAt: at, reason: `event(s) missing before seq ${r.seq}` };
    if (r.prev_hash !== hash)
      return { ok: false, checked, brokenAt: at, reason: 'does not link to the previous event' };
    if (eventHash(hash, r) !== r.hash)
      return { ok: false, checked, brokenAt: at, reason: 'content does not match its hash' };
    seq = BigInt(r.seq!);
    hash = r.hash;
    checked++;
  }
  return { ok: true, checked, lastSeq: seq === 0n ? null : seq.toString(), lastHash: hash };
}
