import { Inject, Injectable } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../identity/actor';
import { buildReceipt, type Receipt } from './receipt';
import { ReceiptFactsService } from './receipt-facts.service';
import { ReceiptKeysService } from './receipt-keys.service';
import { signReceipt, type SignedReceipt } from './receipt-signature';

/** A request's receipt, built from the broker's records and signed with the receipt key. */
@Injectable()
export class ReceiptsService {
  constructor(
    private readonly facts: ReceiptFactsService,
    private readonly keys: ReceiptKeysService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async receiptOf(actor: Actor, requestId: string): Promise<SignedReceipt<Receipt>> {
    const issuer = this.config.PUBLIC_URL?.replace(/\/+$/, '') ?? 'doorman';
    const receipt = buildReceipt(await this.facts.of(actor, requestId, issuer));
    const { key } = await this.keys.signingKey();
    return signReceipt(receipt, key);
  }
}
