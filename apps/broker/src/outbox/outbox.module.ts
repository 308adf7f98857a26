import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxEntity } from './outbox.entity';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';
import { QueueErrorListener } from './queue-error-listener';
import { QueueRegistry } from './queue-registry';

@Module({
  imports: [TypeOrmModule.forFeature([OutboxEntity])],
  providers: [OutboxService, OutboxRepository, QueueRegistry, QueueErrorListener],
  exports: [OutboxService, QueueRegistry],
})
export class OutboxModule {}
