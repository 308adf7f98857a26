import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module';
import { FailedAuthLimiter } from '../common/rate-limit.guard';
import { OutboxModule } from '../outbox/outbox.module';
import { ApiTokenRepository } from './api-token.repository';
import { ApiTokensService } from './api-tokens.service';
import { AuthGuard } from './auth.guard';
import { GroupRepository } from './group.repository';
import { GroupsService } from './groups.service';
import { IdentityController } from './identity.controller';
import { IdentityService } from './identity.service';
import { UserRepository } from './user.repository';
import { UsersService } from './users.service';

@Module({
  imports: [AuditModule, OutboxModule],
  controllers: [IdentityController],
  providers: [
    UserRepository,
    GroupRepository,
    ApiTokenRepository,
    IdentityService,
    UsersService,
    GroupsService,
    ApiTokensService,
    FailedAuthLimiter,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [
    IdentityService,
    UsersService,
    GroupsService,
    ApiTokensService,
    UserRepository,
    GroupRepository,
  ],
})
export class IdentityModule {}
