import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { OutboxModule } from '../outbox/outbox.module';
import { AccessFlowRepository } from './access-flow.repository';
import { WhyService } from './why.service';
import { AccessFlowsController } from './access-flows.controller';
import { AccessFlowsService } from './access-flows.service';

@Module({
  imports: [IntegrationsModule, IdentityModule, AuditModule, OutboxModule],
  controllers: [AccessFlowsController],
  providers: [AccessFlowRepository, AccessFlowsService, WhyService],
  exports: [AccessFlowsService],
})
export class AccessFlowsModule {}
