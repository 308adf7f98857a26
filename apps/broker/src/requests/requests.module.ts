import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessFlowsModule } from '../access-flows/access-flows.module';
import { AuditController } from '../audit/audit.controller';
import { AuditModule } from '../audit/audit.module';
import { DatabaseUserEntity } from '../grants/database-user.entity';
import { GrantsModule } from '../grants/grants.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { AccessRequestEntity } from './access-request.entity';
import { RequestsController } from './requests.controller';
import { RequestsService } from './requests.service';

/** The audit API lives here: reading a request's trail needs the request's visibility rules. */
@Module({
  imports: [
    TypeOrmModule.forFeature([AccessRequestEntity, DatabaseUserEntity]),
    AccessFlowsModule,
    IntegrationsModule,
    IdentityModule,
    GrantsModule,
    AuditModule,
  ],
  controllers: [RequestsController, AuditController],
  providers: [RequestsService],
  exports: [RequestsService],
})
export class RequestsModule {}
