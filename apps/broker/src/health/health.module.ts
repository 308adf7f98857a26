import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors/connectors.module';
import { OutboxModule } from '../outbox/outbox.module';
import { HealthController } from './health.controller';

@Module({ imports: [ConnectorsModule, OutboxModule], controllers: [HealthController] })
export class HealthModule {}
