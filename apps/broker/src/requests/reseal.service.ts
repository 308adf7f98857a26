import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { SealKeyring } from '@doorman/crypto';
import { Not, IsNull, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { SEAL_KEYRING } from '../config/seal-keyring';
import { DatabaseUserEntity } from '../grants/database-user.entity';

/**
 * Key rotation of the sealed credentials the broker stores: at start, when previous keys are
 * configured, every stored box not sealed to the current key is re-sealed to it. Once this has
 * run everywhere, the previous keys can be removed from the configuration.
 */
@Injectable()
export class ResealService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ResealService.name);

  constructor(
    @InjectRepository(DatabaseUserEntity) private readonly users: Repository<DatabaseUserEntity>,
    @Inject(SEAL_KEYRING) private readonly keyring: SealKeyring,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.BROKER_SEAL_PREVIOUS_PRIVATE_KEYS.length === 0) return;
    const { resealed, unreadable } = await this.resealAll();
    this.logger.log({ resealed, unreadable }, 'sealed credentials re-sealed to the current key');
  }

  async resealAll(): Promise<{ resealed: number; unreadable: number }> {
    let resealed = 0;
    let unreadable = 0;
    const rows = await this.users.find({
      select: { id: true, sealedPassword: true },
      where: { sealedPassword: Not(IsNull()) },
    });
    for (const row of rows) {
      if (this.keyring.isCurrent(row.sealedPassword!)) continue;
      try {
        // Conditional on the old box: a password issued meanwhile is never overwritten.
        const result = await this.users
          .createQueryBuilder()
          .update()
          .set({ sealedPassword: this.keyring.reseal(row.sealedPassword!) })
          .where('id = :id AND sealed_password = :old', {
            id: row.id,
            old: JSON.stringify(row.sealedPassword),
          })
          .execute();
        resealed += result.affected ?? 0;
      } catch (err) {
        unreadable++;
        this.logger.error(
          { err, databaseUserId: row.id },
          'a stored credential opens with no configured key',
        );
      }
    }
    if (resealed || unreadable)
      await this.audit.record({
        action: 'credentials.resealed',
        details: { resealed, unreadable },
      });
    return { resealed, unreadable };
  }
}
