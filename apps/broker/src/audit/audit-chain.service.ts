import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import {
  CHAIN_COLUMNS,
  eventHash,
  GENESIS,
  verifyRun,
  type ChainRow,
  type ChainVerdict,
} from './audit-chain';

/** Serialises sealing across broker replicas. */
const CHAIN_LOCK = 0x61756474; // "audt"

/**
 * Seals committed audit events into the hash chain, in batches, shortly after they commit.
 * Sealing after commit (not at insert) keeps the chain free of gaps from rolled-back or
 * slow transactions and keeps a chain lock out of every business transaction.
 */
@Injectable()
export class AuditChainService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditChainService.name);
  private busy: Promise<number> | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  onApplicationBootstrap(): void {
    const handle = setInterval(() => {
      this.seal().catch((err: unknown) =>
        this.logger.warn({ err }, 'audit sealing failed; next tick retries'),
      );
    }, this.config.AUDIT_SEAL_INTERVAL_MS);
    handle.unref();
    this.scheduler.addInterval('audit-sealer', handle);
  }

  /** Seals everything committed so far; returns how many events were sealed. */
  async seal(): Promise<number> {
    this.busy ??= this.sealAll().finally(() => (this.busy = null));
    return this.busy;
  }

  private async sealAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.sealBatch(1000);
      total += n;
      if (n < 1000) return total;
    }
  }

  private async sealBatch(limit: number): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
      const [last] = await em.query<
        Array<{
          seq: string;
          hash: string;
        }>
      >(
        'SELECT e.seq::text AS seq, e.hash FROM audit_events e WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1',
      );
      const rows = await em.query<ChainRow[]>(
        `SELECT ${CHAIN_COLUMNS} FROM audit_events e WHERE e.seq IS NULL ORDER BY e.id LIMIT $1`,
        [limit],
      );
      if (rows.length === 0) return 0;
      let seq = last ? BigInt(last.seq) : 0n;
      let prev = last?.hash ?? GENESIS;
      const ids: string[] = [];
      const seqs: string[] = [];
      const prevs: string[] = [];
      const hashes: string[] = [];
      for (const r of rows) {
        seq++;
        const hash = eventHash(prev, r);
        ids.push(r.id);
        seqs.push(seq.toString());
        prevs.push(prev);
        hashes.push(hash);
        prev = hash;
      }
      await em.query(
        `UPDATE audit_events e SET seq = v.seq, prev_hash = v.prev, hash = v.hash
           FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS v(id, seq, prev, hash)
          WHERE e.id = v.id`,
        [ids, seqs, prevs, hashes],
      );
      return rows.length;
    });
  }

  /** Proves the whole chain, or names the first broken link. */
  async verify(): Promise<ChainVerdict & { unsealed: number }> {
    await this.seal();
    let prevSeq = 0n;
    let prevHash = GENESIS;
    let checked = 0;
    let verdict: ChainVerdict = { ok: true, checked: 0, lastSeq: null, lastHash: GENESIS };
    for (;;) {
      const rows = await this.dataSource.query<ChainRow[]>(
        `SELECT ${CHAIN_COLUMNS} FROM audit_events e WHERE e.seq > $1 ORDER BY e.seq LIMIT 5000`,
        [prevSeq.toString()],
      );
      if (rows.length === 0) break;
      verdict = verifyRun(rows, prevSeq, prevHash, checked);
      if (!verdict.ok) break;
      prevSeq = BigInt(verdict.lastSeq!);
      prevHash = verdict.lastHash;
      checked = verdict.checked;
    }
    const [{ n }] = await this.dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM audit_events WHERE seq IS NULL',
    );
    return { ...verdict, unsealed: n };
  }
}
