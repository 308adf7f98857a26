import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager } from 'typeorm';
import { CHAIN_COLUMNS, type ChainRow } from './audit-chain';

/** Serialises sealing across broker replicas. */
const CHAIN_LOCK = 0x61756474; // "audt"

/** One link as the sealer writes it. */
export interface ChainLink {
  id: string;
  seq: string;
  prev: string;
  hash: string;
}

/** The hash chain's columns of the audit trail: read by position, written only by the sealer. */
@Injectable()
export class AuditChainRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  /** Holds the chain for the sealer until the ambient transaction ends. */
  async lockChain(): Promise<void> {
    await this.tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
  }

  /** The newest sealed event: the link the next one hangs from. */
  async head(): Promise<{ seq: string; id: string; hash: string } | null> {
    const [row] = await this.tx.query<Array<{ seq: string; id: string; hash: string }>>(
      'SELECT e.seq::text AS seq, e.id::text AS id, e.hash FROM audit_events e WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1',
    );
    return row ?? null;
  }

  /** The oldest events not sealed yet, in id order. */
  async unsealed(limit: number): Promise<ChainRow[]> {
    return this.tx.query<ChainRow[]>(
      `SELECT ${CHAIN_COLUMNS} FROM audit_events e WHERE e.seq IS NULL ORDER BY e.id LIMIT $1`,
      [limit],
    );
  }

  /** Writes the links in one statement (the values bound as arrays). */
  async seal(links: readonly ChainLink[]): Promise<void> {
    await this.tx.query(
      `UPDATE audit_events e SET seq = v.seq, prev_hash = v.prev, hash = v.hash
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS v(id, seq, prev, hash)
        WHERE e.id = v.id`,
      [
        links.map((l) => l.id),
        links.map((l) => l.seq),
        links.map((l) => l.prev),
        links.map((l) => l.hash),
      ],
    );
  }

  /** Sealed events from the start of the chain up to `seq`. */
  async countUpTo(seq: string): Promise<number> {
    const [{ n }] = await this.tx.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM audit_events WHERE seq IS NOT NULL AND seq <= $1',
      [seq],
    );
    return n;
  }

  /** The event at position `seq`, if the chain still has one there. */
  async atSeq(seq: string): Promise<{ id: string; hash: string } | null> {
    const [row] = await this.tx.query<Array<{ id: string; hash: string }>>(
      'SELECT e.id::text AS id, e.hash FROM audit_events e WHERE e.seq = $1',
      [seq],
    );
    return row ?? null;
  }

  /** In one read: sealed events up to `seq`, and the chain's newest position. */
  async countUpToAndHead(seq: string): Promise<{ n: number; head: string | null }> {
    const [row] = await this.tx.query<Array<{ n: number; head: string | null }>>(
      `SELECT count(*) FILTER (WHERE seq <= $1)::int AS n, max(seq)::text AS head
         FROM audit_events WHERE seq IS NOT NULL`,
      [seq],
    );
    return row;
  }

  /** Sealed events after position `seq`, in chain order. */
  async sealedAfter(seq: string, limit: number): Promise<ChainRow[]> {
    return this.tx.query<ChainRow[]>(
      `SELECT ${CHAIN_COLUMNS} FROM audit_events e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`,
      [seq, limit],
    );
  }

  async unsealedCount(): Promise<number> {
    const [{ n }] = await this.tx.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM audit_events WHERE seq IS NULL',
    );
    return n;
  }
}
