import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { AccessFlowEntity } from './access-flow.entity';
import { AccessFlowsController } from './access-flows.controller';
import { AccessFlowsService } from './access-flows.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([AccessFlowEntity]),
    IntegrationsModule,
    IdentityModule,
    AuditModule,
  ],
  controllers: [AccessFlowsController],
  providers: [AccessFlowsService],
  exports: [AccessFlowsService],
})
export class AccessFlowsModule {}
