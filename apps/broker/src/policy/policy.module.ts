import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessFlowsModule } from '../access-flows/access-flows.module';
import { AuditModule } from '../audit/audit.module';
import { ConnectorEntity } from '../connectors/connector.entity';
import { GroupEntity } from '../identity/group.entity';
import { IdentityModule } from '../identity/identity.module';
import { UserEntity } from '../identity/user.entity';
import { IntegrationEntity } from '../integrations/integration.entity';
import { PolicyController } from './policy.controller';
import { PolicyService } from './policy.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([UserEntity, GroupEntity, ConnectorEntity, IntegrationEntity]),
    AccessFlowsModule,
    IdentityModule,
    AuditModule,
  ],
  controllers: [PolicyController],
  providers: [PolicyService],
})
export class PolicyModule {}
