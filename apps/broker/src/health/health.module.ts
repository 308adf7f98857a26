import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors/connectors.module';
import { OutboxModule } from '../outbox/outbox.module';
import { HealthController } from './health.controller';
import { HealthRepository } from './health.repository';

@Module({
  imports: [ConnectorsModule, OutboxModule],
  controllers: [HealthController],
  providers: [HealthRepository],
})
export class HealthModule {}
