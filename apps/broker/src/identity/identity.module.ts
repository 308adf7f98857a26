import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { FailedAuthLimiter } from '../common/rate-limit.guard';
import { ApiTokenEntity } from './api-token.entity';
import { AuthGuard } from './auth.guard';
import { GroupEntity } from './group.entity';
import { IdentityController } from './identity.controller';
import { IdentityService } from './identity.service';
import { UserEntity } from './user.entity';

@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, ApiTokenEntity, GroupEntity]), AuditModule],
  controllers: [IdentityController],
  providers: [IdentityService, FailedAuthLimiter, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [IdentityService],
})
export class IdentityModule {}
