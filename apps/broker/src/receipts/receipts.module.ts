import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { GrantsModule } from '../grants/grants.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { RequestsModule } from '../requests/requests.module';
import { UsageModule } from '../usage/usage.module';
import { ReceiptFactsService } from './receipt-facts.service';
import { ReceiptKeysController } from './receipt-keys.controller';
import { ReceiptKeysRepository } from './receipt-keys.repository';
import { ReceiptKeysService } from './receipt-keys.service';
import { ReceiptSessionsService } from './receipt-sessions.service';
import { ReceiptsController } from './receipts.controller';
import { ReceiptsService } from './receipts.service';

/** Signed access receipts per request, and the public keys that verify them. */
@Module({
  imports: [
    RequestsModule,
    AuditModule,
    GrantsModule,
    IdentityModule,
    IntegrationsModule,
    UsageModule,
  ],
  controllers: [ReceiptsController, ReceiptKeysController],
  providers: [
    ReceiptsService,
    ReceiptFactsService,
    ReceiptKeysService,
    ReceiptKeysRepository,
    ReceiptSessionsService,
  ],
  exports: [ReceiptsService],
})
export class ReceiptsModule {}
