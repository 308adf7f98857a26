import { Module } from '@nestjs/common';
import { DomainEventBus } from './domain-events';
import { AccessRequestsModule } from '../access-requests/access-requests.module';
import { OutboxModule } from '../outbox/outbox.module';
import { AccessHistoryService } from './access-history.service';
import { AuditController } from './audit.controller';
import { AuditEventRepository } from './audit-event.repository';
import { AuditChainRepository } from './audit-chain.repository';
import { AuditChainService } from './audit-chain.service';
import { AuditStreamService } from './audit-stream.service';
import { AuditService } from './audit.service';

/**
 * The audit trail: recorded by every feature, sealed into a hash chain, streamed, and read
 * through its own API (which needs only the requests' storage, not the requests feature).
 */
@Module({
  imports: [OutboxModule, AccessRequestsModule],
  controllers: [AuditController],
  providers: [
    AuditEventRepository,
    AuditChainRepository,
    AuditService,
    DomainEventBus,
    AuditChainService,
    AuditStreamService,
    AccessHistoryService,
  ],
  exports: [AuditService, DomainEventBus, AuditChainService],
})
export class AuditModule {}
