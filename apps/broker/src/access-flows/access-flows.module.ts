import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { AccessFlowVersionEntity } from './access-flow-version.entity';
import { AccessFlowEntity } from './access-flow.entity';
import { GroupEntity } from '../identity/group.entity';
import { WhyService } from './why.service';
import { AccessFlowsController } from './access-flows.controller';
import { AccessFlowsService } from './access-flows.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([AccessFlowEntity, AccessFlowVersionEntity, GroupEntity]),
    IntegrationsModule,
    IdentityModule,
    AuditModule,
  ],
  controllers: [AccessFlowsController],
  providers: [AccessFlowsService, WhyService],
  exports: [AccessFlowsService],
})
export class AccessFlowsModule {}
