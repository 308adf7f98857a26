import { Module } from '@nestjs/common';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';
import { QueueErrorListener } from './queue-error-listener';
import { QueueRegistry } from './queue-registry';

@Module({
  providers: [OutboxService, OutboxRepository, QueueRegistry, QueueErrorListener],
  exports: [OutboxService, QueueRegistry],
})
export class OutboxModule {}
