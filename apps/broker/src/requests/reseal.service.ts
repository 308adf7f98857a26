import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { SealKeyring } from '@doorman/crypto';
import { AuditService } from '../audit/audit.service';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { SEAL_KEYRING } from '../config/seal-keyring';
import { DatabaseUserRepository } from '../grants/database-user.repository';

/**
 * Key rotation of the sealed credentials the broker stores: at start, when previous keys are
 * configured, every stored box not sealed to the current key is re-sealed to it. Once this has
 * run everywhere, the previous keys can be removed from the configuration.
 */
@Injectable()
export class ResealService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ResealService.name);

  constructor(
    private readonly users: DatabaseUserRepository,
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
    const rows = await this.users.sealedPasswords();
    for (const row of rows) {
      if (this.keyring.isCurrent(row.sealedPassword!)) continue;
      try {
        // Conditional on the old box: a password issued meanwhile is never overwritten.
        resealed += await this.users.replaceSealed(
          row.id,
          row.sealedPassword!,
          this.keyring.reseal(row.sealedPassword!),
        );
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
