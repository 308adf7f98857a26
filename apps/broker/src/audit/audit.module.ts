import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DomainEventBus } from '../common/domain-events';
import { OutboxModule } from '../outbox/outbox.module';
import { AuditEventEntity } from './audit-event.entity';
import { AuditChainService } from './audit-chain.service';
import { AuditStreamService } from './audit-stream.service';
import { AuditService } from './audit.service';

@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity]), OutboxModule],
  providers: [AuditService, DomainEventBus, AuditChainService, AuditStreamService],
  exports: [AuditService, DomainEventBus, AuditChainService],
})
export class AuditModule {}
