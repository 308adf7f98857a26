import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import {
  checkpointSignatureValid,
  compareWithCheckpoint,
  parseSigningKey,
  signCheckpoint,
  type AuditCheckpoint,
  type CheckpointVerdict,
  type SigningKey,
} from './audit-checkpoint';
import {
  CHAIN_COLUMNS,
  eventHash,
  GENESIS,
  verifyRun,
  type ChainRow,
  type ChainVerdict,
} from './audit-chain';
import { AuditStreamService } from './audit-stream.service';

/** Serialises sealing across broker replicas. */
const CHAIN_LOCK = 0x61756474; // "audt"

/**
 * Seals committed audit events into the hash chain, in batches, shortly after they commit.
 * Sealing after commit (not at insert) keeps the chain free of gaps from rolled-back or
 * slow transactions and keeps a chain lock out of every business transaction.
 *
 * With a signing key it also signs the chain's head now and then (and on demand) and sends
 * the checkpoint out of the database — to the log and the audit stream — so that a rewrite
 * of the table by someone who bypasses its trigger is caught by `verify` against it.
 */
@Injectable()
export class AuditChainService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditChainService.name);
  private busy: Promise<number> | null = null;
  private readonly signingKey: SigningKey | null;
  /** The head this process last signed: an unchanged head is not signed again. */
  private lastSigned: { seq: string; hash: string } | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    private readonly stream: AuditStreamService,
  ) {
    this.signingKey = config.AUDIT_SIGNING_PRIVATE_KEY
      ? parseSigningKey(config.AUDIT_SIGNING_PRIVATE_KEY)
      : null;
  }

  /**
   * Says whether checkpoints are on. Sealing runs every AUDIT_SEAL_INTERVAL_MS and checkpoints
   * every AUDIT_CHECKPOINT_INTERVAL_MS, from the `audit-seal` and `audit-checkpoint` schedules.
   */
  onApplicationBootstrap(): void {
    this.announceCheckpoints();
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

  private announceCheckpoints(): void {
    if (!this.signingKey) {
      this.logger.warn(
        'audit checkpoints are off: AUDIT_SIGNING_PRIVATE_KEY is not set (npm run keygen prints one); the chain verifies, but nothing outside the database pins its newest events',
      );
      return;
    }
    this.logger.log(
      { keyId: this.signingKey.keyId, publicKey: this.signingKey.publicKeyDer },
      'audit checkpoints are signed with this Ed25519 key',
    );
  }

  /** The key checkpoints are signed with, for those who check them. */
  publicKey(): { algorithm: 'Ed25519'; keyId: string; publicKey: string; pem: string } {
    const key = this.requireKey();
    return {
      algorithm: 'Ed25519',
      keyId: key.keyId,
      publicKey: key.publicKeyDer,
      pem: key.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    };
  }

  /**
   * Seals what is committed, signs the chain's head and sends the checkpoint to the log and
   * the audit stream. Returns null when there is nothing to sign (an empty chain, or a head
   * already signed when `onlyIfMoved`).
   */
  async checkpoint(opts: { onlyIfMoved?: boolean } = {}): Promise<AuditCheckpoint | null> {
    const key = this.requireKey();
    await this.seal();
    const head = await this.dataSource.transaction('REPEATABLE READ', async (em) => {
      const [row] = await em.query<Array<{ seq: string; id: string; hash: string }>>(
        'SELECT e.seq::text AS seq, e.id::text AS id, e.hash FROM audit_events e WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1',
      );
      if (!row) return null;
      const [{ n }] = await em.query<Array<{ n: number }>>(
        'SELECT count(*)::int AS n FROM audit_events WHERE seq IS NOT NULL AND seq <= $1',
        [row.seq],
      );
      return { ...row, count: n };
    });
    if (!head) return null;
    if (opts.onlyIfMoved && this.lastSigned?.seq === head.seq && this.lastSigned.hash === head.hash)
      return null;
    const checkpoint = signCheckpoint(head, key, new Date());
    this.lastSigned = { seq: head.seq, hash: head.hash };
    this.logger.log({ auditCheckpoint: checkpoint }, 'audit checkpoint signed');
    this.stream.checkpoint(checkpoint);
    return checkpoint;
  }

  /**
   * Proves the chain and compares it with a checkpoint signed earlier: rows missing after the
   * checkpoint's head (the newest events deleted) or a head that is no longer the one signed
   * (history rewritten and re-hashed) are reported. A checkpoint whose signature does not
   * verify is refused.
   */
  async verifyAgainst(c: AuditCheckpoint): Promise<{
    ok: boolean;
    chain: ChainVerdict & { unsealed: number };
    checkpoint: CheckpointVerdict;
  }> {
    const key = this.requireKey();
    if (c.keyId !== key.keyId)
      throw DomainError.validation(
        `checkpoint.keyId: signed by key ${c.keyId}, which is not this broker's (${key.keyId})`,
      );
    if (!checkpointSignatureValid(c, key.publicKey))
      throw DomainError.validation(
        'checkpoint.signature: does not verify; the checkpoint is forged or was altered',
      );
    const chain = await this.verify();
    const [atSeq] = await this.dataSource.query<Array<{ id: string; hash: string }>>(
      'SELECT e.id::text AS id, e.hash FROM audit_events e WHERE e.seq = $1',
      [c.seq],
    );
    const [{ n, head }] = await this.dataSource.query<Array<{ n: number; head: string | null }>>(
      `SELECT count(*) FILTER (WHERE seq <= $1)::int AS n, max(seq)::text AS head
         FROM audit_events WHERE seq IS NOT NULL`,
      [c.seq],
    );
    const checkpoint = compareWithCheckpoint(c, {
      atSeq: atSeq ?? null,
      countUpTo: n,
      headSeq: head,
    });
    return { ok: chain.ok && checkpoint.matches, chain, checkpoint };
  }

  private requireKey(): SigningKey {
    if (!this.signingKey)
      throw DomainError.conflict(
        'audit checkpoints are off: the broker has no AUDIT_SIGNING_PRIVATE_KEY',
      );
    return this.signingKey;
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
