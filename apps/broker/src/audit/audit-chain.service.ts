import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Propagation, Transactional } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
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
import { eventHash, GENESIS, verifyRun, type ChainVerdict } from './audit-chain';
import { AuditChainRepository, type ChainLink } from './audit-chain.repository';
import { AuditStreamService } from './audit-stream.service';

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
    private readonly chain: AuditChainRepository,
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

  /**
   * One batch in a transaction of its own (never the caller's): the chain lock is held only
   * as long as the batch takes, and a failing batch leaves the earlier ones sealed.
   */
  @Transactional(Propagation.RequiresNew)
  private async sealBatch(limit: number): Promise<number> {
    await this.chain.lockChain();
    const last = await this.chain.head();
    const rows = await this.chain.unsealed(limit);
    if (rows.length === 0) return 0;
    let seq = last ? BigInt(last.seq) : 0n;
    let prev = last?.hash ?? GENESIS;
    const links: ChainLink[] = [];
    for (const r of rows) {
      seq++;
      const hash = eventHash(prev, r);
      links.push({ id: r.id, seq: seq.toString(), prev, hash });
      prev = hash;
    }
    await this.chain.seal(links);
    return rows.length;
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
    const head = await this.headToSign();
    if (!head) return null;
    if (opts.onlyIfMoved && this.lastSigned?.seq === head.seq && this.lastSigned.hash === head.hash)
      return null;
    const checkpoint = signCheckpoint(head, key, new Date());
    this.lastSigned = { seq: head.seq, hash: head.hash };
    this.logger.log({ auditCheckpoint: checkpoint }, 'audit checkpoint signed');
    this.stream.checkpoint(checkpoint);
    return checkpoint;
  }

  /** The chain's head and how many events lead to it, read from one snapshot. */
  @Transactional<TransactionalAdapterTypeOrm>(Propagation.RequiresNew, {
    isolationLevel: 'REPEATABLE READ',
  })
  private async headToSign(): Promise<{
    seq: string;
    id: string;
    hash: string;
    count: number;
  } | null> {
    const head = await this.chain.head();
    if (!head) return null;
    return { ...head, count: await this.chain.countUpTo(head.seq) };
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
    const atSeq = await this.chain.atSeq(c.seq);
    const { n, head } = await this.chain.countUpToAndHead(c.seq);
    const checkpoint = compareWithCheckpoint(c, {
      atSeq,
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
      const rows = await this.chain.sealedAfter(prevSeq.toString(), 5000);
      if (rows.length === 0) break;
      verdict = verifyRun(rows, prevSeq, prevHash, checked);
      if (!verdict.ok) break;
      prevSeq = BigInt(verdict.lastSeq!);
      prevHash = verdict.lastHash;
      checked = verdict.checked;
    }
    return { ...verdict, unsealed: await this.chain.unsealedCount() };
  }
}
