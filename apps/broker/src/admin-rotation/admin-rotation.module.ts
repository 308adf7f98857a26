import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { OutboxModule } from '../outbox/outbox.module';
import { AdminRotationController } from './admin-rotation.controller';
import { AdminRotationRepository } from './admin-rotation.repository';
import { AdminRotationService } from './admin-rotation.service';

@Module({
  imports: [IntegrationsModule, OutboxModule, AuditModule],
  controllers: [AdminRotationController],
  providers: [AdminRotationRepository, AdminRotationService],
  exports: [AdminRotationService],
})
export class AdminRotationModule {}
