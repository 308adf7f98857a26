import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ConnectorsModule } from '../connectors/connectors.module';
import { GrantsModule } from '../grants/grants.module';
import { OutboxModule } from '../outbox/outbox.module';
import { BrokerMetrics } from './broker-metrics.service';
import { MetricsController } from './metrics.controller';
import { MetricsRepository } from './metrics.repository';

@Module({
  imports: [AuditModule, ConnectorsModule, GrantsModule, OutboxModule],
  controllers: [MetricsController],
  providers: [BrokerMetrics, MetricsRepository],
  exports: [BrokerMetrics],
})
export class MetricsModule {}
