import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ConnectorsModule } from '../connectors/connectors.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationRepository } from './integration.repository';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';

@Module({
  imports: [ConnectorsModule, IdentityModule, AuditModule],
  controllers: [IntegrationsController],
  providers: [IntegrationRepository, IntegrationsService],
  exports: [IntegrationsService, IntegrationRepository],
})
export class IntegrationsModule {}
