import { Module } from '@nestjs/common';
import { AccessFlowsModule } from '../access-flows/access-flows.module';
import { AuditModule } from '../audit/audit.module';
import { ConnectorsModule } from '../connectors/connectors.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { PolicyAtStart } from './policy-at-start.service';
import { PolicyPeopleApplier } from './policy-people.applier';
import { PolicyServersApplier } from './policy-servers.applier';
import { PolicyController } from './policy.controller';
import { PolicyRepository } from './policy.repository';
import { PolicyService } from './policy.service';

@Module({
  imports: [AccessFlowsModule, IdentityModule, ConnectorsModule, IntegrationsModule, AuditModule],
  controllers: [PolicyController],
  providers: [
    PolicyService,
    PolicyAtStart,
    PolicyRepository,
    PolicyPeopleApplier,
    PolicyServersApplier,
  ],
})
export class PolicyModule {}
